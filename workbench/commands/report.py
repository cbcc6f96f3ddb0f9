"""``qmtl report RUN... --out FILE.html``: a self-contained HTML report of a run or a comparison of runs
(the same file as the workbench's Report action writes)."""

from __future__ import annotations

from pathlib import Path

from workbench.errors import UserError
from workbench.runs import RunStore, RunStoreError, default_runs_dir


def register(sub) -> None:
    p = sub.add_parser("report", help="write an HTML report of one or more runs",
                       description="Settings, test metrics, parameter counts, circuit resources, training curves and "
                                   "the spec (or the spec diff of two runs), in one HTML file with inline images.")
    p.add_argument("runs", nargs="+", metavar="RUN", help="run ids or unique prefixes")
    p.add_argument("--out", required=True, help="HTML file to write")
    p.add_argument("--runs-dir", default=None, help="run store folder (default: $QMTL_RUNS_DIR or ./runs)")
    p.add_argument("--circuit", default=None, help="a picture of the circuit (PNG or SVG) to embed for the runs")
    p.add_argument("--title", default=None)
    p.set_defaults(func=run)


def run(args) -> int:
    from workbench.analysis.html_report import write_report

    store = RunStore(args.runs_dir or default_runs_dir())
    try:
        ids = [store.resolve(r) for r in args.runs]
    except RunStoreError as exc:
        raise UserError(str(exc)) from None
    circuits = None
    if args.circuit:
        pic = Path(args.circuit)
        if not pic.exists():
            raise UserError(f"--circuit: {pic} does not exist")
        mime = "image/svg+xml" if pic.suffix.lower() == ".svg" else "image/png"
        circuits = {i: (pic.read_bytes(), mime) for i in ids}
    try:
        out = write_report(store, ids, args.out, circuits=circuits, title=args.title)
    except OSError as exc:
        raise UserError(f"--out: cannot write {args.out}: {exc}") from None
    print(out)
    return 0
