"""``qmtl runs``: list, show, compare, export, tag and annotate recorded runs (the metrics table, renaming and
the trash are in ``manage_commands``)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from workbench.errors import UserError
from workbench.runs.export import compare_runs, export_metrics_csv, flatten, spec_diff
from workbench.runs.records import STATUSES, json_safe
from workbench.runs.store import DB_NAME, RunStore, default_runs_dir
from workbench.runs.table import format_time, render_pairs, render_table, render_transposed, table_width
from workbench.spec.bounds import user_int


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runs", help="list, show, compare and export runs")
    p.add_argument("--runs-dir", default=None, help="runs folder (default: $QMTL_RUNS_DIR or ./runs)")
    ss = p.add_subparsers(dest="runs_command", metavar="SUBCOMMAND")

    def add(name: str, help: str) -> argparse.ArgumentParser:
        sp = ss.add_parser(name, help=help)
        # SUPPRESS keeps a --runs-dir given before the subcommand from being overwritten by this default
        sp.add_argument("--runs-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        return sp

    sp = add("list", "runs, newest first")
    sp.add_argument("--kind")
    sp.add_argument("--tag")
    sp.add_argument("--status", choices=STATUSES)
    sp.add_argument("--search", help="text in the id, name, note or a tag")
    sp.add_argument("--limit", type=user_int("limit", 1, 10**9))
    sp.add_argument("--json", action="store_true", help="print JSON instead of a table")

    sp = add("show", "everything recorded about one run")
    sp.add_argument("run", help="run id or a unique prefix of it")
    sp.add_argument("--json", action="store_true", help="print JSON")

    sp = add("compare", "runs side by side: head/engine params and summary figures")
    sp.add_argument("runs", nargs="+", metavar="RUN")
    sp.add_argument("--diff", action="store_true", help="also print the spec diff (exactly two runs)")
    sp.add_argument("--json", action="store_true", help="print JSON instead of a table")

    sp = add("export", "metric rows of runs")
    sp.add_argument("runs", nargs="+", metavar="RUN")
    sp.add_argument("--format", choices=["csv"], default="csv")
    sp.add_argument("--out", help="file to write (default: standard output)")

    sp = add("tag", "add tags to a run (or remove them with --remove); `qmtl runs list --tag T` filters by one")
    sp.add_argument("run")
    sp.add_argument("tags", nargs="+", metavar="TAG")
    sp.add_argument("--remove", action="store_true")

    sp = add("note", "set a run's note (an empty TEXT clears it)")
    sp.add_argument("run")
    sp.add_argument("text", nargs="+", metavar="TEXT")

    sp = add("repair", "check runs.sqlite; rebuild it from the run folders if it is damaged (keeps a copy)")
    sp.add_argument("--json", action="store_true", help="print JSON")

    from workbench.runs import manage_commands

    manage_commands.register(add)
    p.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    command = getattr(args, "runs_command", None) or "list"
    from workbench.runs.manage_commands import HANDLERS

    if command in HANDLERS:
        run, needs_runs = HANDLERS[command]
        return run(_need(args) if needs_runs else _open(args), args)
    return _HANDLERS[command](args)


def _runs_dir(args: argparse.Namespace) -> Path:
    return Path(args.runs_dir).expanduser() if args.runs_dir else default_runs_dir()


def _open(args: argparse.Namespace) -> RunStore | None:
    """The store, or None where there is none yet: reading must not leave an empty runs folder behind."""
    from workbench.runs.repair import run_folders

    root = _runs_dir(args)
    # run folders without a database: opening the store rebuilds the index from them
    return RunStore(root) if (root / DB_NAME).exists() or run_folders(root) else None


def _need(args: argparse.Namespace) -> RunStore:
    store = _open(args)
    if store is None:
        raise UserError(f"no runs recorded in {_runs_dir(args)} (set --runs-dir or QMTL_RUNS_DIR)")
    return store


def _print_json(data: Any) -> None:
    print(json.dumps(json_safe(data), indent=2, allow_nan=False))


def _summary_figures(summary: dict, count: int = 2) -> str:
    """The headline numbers of a run: accuracies first, then losses, then whatever comes first."""
    numbers = {
        k: v for k, v in flatten(summary).items() if isinstance(v, int | float) and not isinstance(v, bool)
    }

    def rank(key: str) -> int:
        last = key.rsplit(".", 1)[-1].lower()
        return 0 if "acc" in last else 1 if "loss" in last else 2

    chosen = sorted(numbers, key=rank)[:count]  # sorted() is stable, so ties keep the summary's order
    return "  ".join(f"{k}={numbers[k]:.4g}" for k in chosen)


def _summary_or_error(info) -> str:
    """A failed run has no figures; its error, cut to one short line, says why."""
    if info.status == "failed" and info.error and not info.summary:
        line = info.error.strip().splitlines()[0] if info.error.strip() else ""
        return "error: " + (line if len(line) <= 70 else line[:69] + "…")
    return _summary_figures(info.summary)


# -- subcommands -----------------------------------------------------------------------------------------


def _list(args: argparse.Namespace) -> int:
    store = _open(args)
    infos = (
        store.list_runs(
            kind=getattr(args, "kind", None),
            tag=getattr(args, "tag", None),
            status=getattr(args, "status", None),
            search=getattr(args, "search", None),
            limit=getattr(args, "limit", None),
        )
        if store
        else []
    )
    if getattr(args, "json", False):
        _print_json([info.to_dict() for info in infos])
        return 0
    if not infos:
        print(f"no runs in {_runs_dir(args)}")
        return 0
    headers = ["id", "name", "kind", "status", "tags", "created", "summary"]
    rows = [
        [i.id, i.name, i.kind, i.status, " ".join(i.tags), format_time(i.created), _summary_or_error(i)]
        for i in infos
    ]
    print(render_table(headers, rows))
    return 0


def _show(args: argparse.Namespace) -> int:
    store = _need(args)
    run_id = store.resolve(args.run)
    info = store.get(run_id)
    jobs = store.jobs(run_id)
    artifacts = store.artifacts(run_id)
    last = store.last_metrics(run_id)
    if args.json:
        data = info.to_dict()
        data["run_dir"] = str(store.run_dir(run_id))
        data["jobs"] = [asdict(j) for j in jobs]
        data["artifacts"] = [asdict(a) | {"path": str(store.run_dir(run_id) / a.relpath)} for a in artifacts]
        data["metrics"] = [asdict(m) for m in last]
        _print_json(data)
        return 0

    head = [
        ("id", info.id),
        ("name", info.name),
        ("kind", info.kind),
        ("status", info.status),
        ("created", format_time(info.created)),
        ("updated", format_time(info.updated)),
        ("folder", store.run_dir(run_id)),
        ("tags", ", ".join(info.tags) or None),
    ]
    if info.parent:
        head.append(("parent", info.parent))
    if info.error:
        head.append(("error", info.error))
    sections = [render_pairs(head, indent="")]
    if info.note:
        sections.append("note\n" + "\n".join("  " + line for line in info.note.splitlines()))
    sections.append("params\n" + render_pairs(sorted(flatten(info.params).items())))
    sections.append("summary\n" + render_pairs(list(flatten(info.summary).items())))
    sections.append("provenance\n" + render_pairs(list(flatten(info.provenance).items())))
    if jobs:
        rows = [[j.job_id, j.backend, j.status, format_time(j.updated)] for j in jobs]
        sections.append("jobs\n" + render_table(["job", "backend", "status", "updated"], rows, indent="  "))
    if artifacts:
        rows = [[a.name, a.kind, a.relpath] for a in artifacts]
        sections.append("artifacts\n" + render_table(["name", "kind", "path"], rows, indent="  "))
    if last:
        rows = [[m.split, m.key, m.step, m.epoch, m.value] for m in last]
        headers = ["split", "metric", "step", "epoch", "last value"]
        sections.append("metrics\n" + render_table(headers, rows, indent="  "))
    print("\n\n".join(sections))
    return 0


def _compare(args: argparse.Namespace) -> int:
    store = _need(args)
    run_ids = list(dict.fromkeys(store.resolve(r) for r in args.runs))
    if args.diff and len(run_ids) != 2:
        raise UserError(f"--diff compares exactly two runs, got {len(run_ids)}")
    headers, rows = compare_runs(store, run_ids)
    diff = spec_diff(store, *run_ids) if args.diff else None
    if args.json:
        data: dict[str, Any] = {"columns": headers, "runs": [dict(zip(headers, row)) for row in rows]}
        if diff is not None:
            data["spec_diff"] = diff
        _print_json(data)
        return 0
    # Many summary figures make a row per run too wide to read; then runs become columns instead.
    if table_width(headers, rows) > shutil.get_terminal_size((120, 24)).columns:
        print(render_transposed(headers, rows))
    else:
        print(render_table(headers, rows))
    if diff is not None:
        print()
        print("\n".join(diff) if diff else "specs are identical")
    return 0


def _export(args: argparse.Namespace) -> int:
    store = _need(args)
    run_ids = list(dict.fromkeys(store.resolve(r) for r in args.runs))
    if args.out:
        try:
            count = export_metrics_csv(store, run_ids, args.out)
        except OSError as exc:
            raise UserError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
        print(f"wrote {count} metric rows of {len(run_ids)} run(s) to {args.out}")
    else:
        export_metrics_csv(store, run_ids, sys.stdout)
    return 0


def _tag(args: argparse.Namespace) -> int:
    store = _need(args)
    run_id = store.resolve(args.run)
    if args.remove:
        for tag in args.tags:
            store.remove_tag(run_id, tag)
    else:
        store.add_tags(run_id, *args.tags)
    tags = store.get(run_id).tags
    print(f"{run_id}: {', '.join(tags) if tags else '(no tags)'}")
    return 0


def _note(args: argparse.Namespace) -> int:
    store = _need(args)
    run_id = store.resolve(args.run)
    store.set_note(run_id, " ".join(args.text).strip())
    return 0


def _repair(args: argparse.Namespace) -> int:
    from workbench.runs.repair import repair

    root = _runs_dir(args)
    if not root.is_dir():
        raise UserError(f"--runs-dir: no runs folder {root}")
    report = repair(root)
    if args.json:
        print(json.dumps({"database": str(report.db_path), "integrity": report.integrity,
                          "backup": str(report.backup) if report.backup else None, "salvaged": report.salvaged,
                          "from_folders": report.from_folders, "skipped": report.skipped}, indent=2))
    else:
        print("\n".join(report.lines()))
    return 0


_HANDLERS = {
    "repair": _repair,
    "list": _list,
    "show": _show,
    "compare": _compare,
    "export": _export,
    "tag": _tag,
    "note": _note,
}
