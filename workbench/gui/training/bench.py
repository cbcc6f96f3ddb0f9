"""``python -m workbench.gui.bench_training``: is the GUI fluid while it trains and while it shows big runs?

1. Start to first curve point: the time from pressing Start to the first point on the live curves, with the
   worker pool's warm process (torch and the trainer already imported; goal under 3 s) and, with ``--cold``,
   from a fresh process.
2. Heartbeat: a 5 ms ``QTimer`` on the GUI thread records the gaps between its ticks while the training panel
   runs a real small training with the worker's own torch thread policy. Reported: worst gap, 99th
   percentile, median; the goal is a worst gap of at most 50 ms. Both are measured as the machine is and
   with ``--load N`` CPU-bound processes started by the benchmark (default: 0 and 1). On a shared machine a
   gap also holds the time other processes had the CPU, so the GUI thread's own CPU time (``thread_time``)
   within each gap is reported too, and the live plots' CPU time per frame (new data to the curves and the
   paints that follow) and per paint of one plot.
3. Overlay repaint: the runs browser's plot with five runs of 10,000 points each; a 10 Hz timer re-sets
   every curve's data (as a live view would) and we count repaints actually achieved per second, and the
   cost of one ``setData`` + paint.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from workbench.testing import bench_spec_text, make_fake_run


def _with_threads(session, threads: int):
    session.job_kwargs["threads"] = threads
    return session


def warm_worker(timeout: float = 600.0) -> float:
    """Wait until the pool has a warm process (what a user who opened the workbench a while ago has)."""
    from workbench.gui.common.worker import WARM_MODULES, workers

    t = time.perf_counter()
    job = workers().submit("workbench.jobs.server:ping", modules=list(WARM_MODULES))
    if not job.wait(timeout) or job.state != "returned":
        raise RuntimeError(f"the worker process did not start: {job.error}")
    return time.perf_counter() - t


def burners(n: int) -> list:
    """``n`` CPU-bound processes (another program busy on the machine)."""
    import subprocess

    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def _percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))] if s else float("nan")


def _rounded(stat, values: list[float], digits: int = 1):
    return round(stat(values), digits) if values else None


def heartbeat_during_training(app, store, spec_text: str, interval_ms: int = 5, threads: int | None = None,
                              mode: str = "process", warm: bool = True) -> dict:
    from PySide6.QtCore import QTimer

    from workbench.gui.composer.document import ExperimentDocument
    from workbench.gui.training.panel import TrainPanel
    from workbench.spec import loads

    if threads and mode == "thread":
        import torch

        torch.set_num_threads(threads)
    doc = ExperimentDocument(loads(spec_text, "toml", "bench"))
    if mode == "process":
        from workbench.gui.common.worker import workers

        if warm:
            warm_worker()
        else:
            workers().shutdown()  # the next job starts a fresh process
    panel = TrainPanel(doc, store, mode=mode)
    if mode == "process" and threads:
        real = panel._session
        panel._session = lambda *a, **k: _with_threads(real(*a, **k), threads)
    panel.resize(1200, 700)
    panel.show()
    gaps: list[float] = []
    cpu: list[float] = []  # GUI-thread CPU time within each gap: the part of a stall that is the GUI's own work
    at: list[float] = []  # when each gap ended, from Start
    last = [time.perf_counter(), time.thread_time()]
    t0 = last[0]  # reset at Start

    def beat():
        now, busy = time.perf_counter(), time.thread_time()
        gaps.append(now - last[0])
        cpu.append(busy - last[1])
        at.append(now - t0)
        last[:] = now, busy

    hb = QTimer()
    hb.setTimerType(__import__("PySide6.QtCore", fromlist=["Qt"]).Qt.TimerType.PreciseTimer)
    hb.setInterval(interval_ms)
    hb.timeout.connect(beat)
    for _ in range(20):
        app.processEvents()
    hb.start()
    panel.plots.costs.clear()
    t0 = time.perf_counter()
    last[:] = time.perf_counter(), time.thread_time()
    panel.start()
    first = None
    while panel.session is None or panel.session.running or panel.timer.isActive():
        app.processEvents()
        time.sleep(0.0005)
        if first is None and panel.plots.point_count() > 0:
            first = time.perf_counter() - t0
        if time.perf_counter() - t0 > 300:
            break
    hb.stop()
    wall = time.perf_counter() - t0
    steps = panel.progress_state.step
    ms = [g * 1000 for g in gaps[1:]]
    cpu_ms = [c * 1000 for c in cpu[1:]]
    worst = max(range(len(ms)), key=ms.__getitem__)
    frames = [c * 1000 for c in panel.plots.costs.frames]
    paints = [c * 1000 for c in panel.plots.costs.paints]
    result = {"mode": mode, "warm": warm, "first_point_s": None if first is None else round(first, 2),
              "wall_s": round(wall, 2), "steps": steps, "repaints": panel.repaints,
              "repaint_hz": round(panel.repaints / wall, 1), "status": panel.status,
              "beats": len(ms), "worst_gap_ms": round(max(ms), 1), "worst_at_s": round(at[1:][worst], 2),
              "p99_gap_ms": round(_percentile(ms, .99), 1),
              "median_gap_ms": round(statistics.median(ms), 2), "over_50ms": sum(g > 50 for g in ms),
              "worst_gap_cpu_ms": round(cpu_ms[worst], 1), "max_gap_cpu_ms": round(max(cpu_ms), 1),
              "max_gap_cpu_at_s": round(at[1:][max(range(len(cpu_ms)), key=cpu_ms.__getitem__)], 2),
              "gaps_cpu_over_50ms": sum(c > 50 for c in cpu_ms),
              "frames": len(frames), "frame_cpu_ms_median": _rounded(statistics.median, frames),
              "frame_cpu_ms_p99": _rounded(lambda v: _percentile(v, .99), frames),
              "frame_cpu_ms_max": _rounded(max, frames), "paints": len(paints),
              "paint_cpu_ms_median": _rounded(statistics.median, paints), "paint_cpu_ms_max": _rounded(max, paints)}
    panel.shutdown(10)
    panel.close()
    doc.undo_stack.setClean()
    return result


def overlay_repaint_rate(app, store, runs: int = 5, points: int = 10_000, seconds: float = 3.0) -> dict:
    from PySide6.QtCore import QTimer

    from workbench.gui.runs.browser import RunsBrowser

    ids = [make_fake_run(store, f"big-{i}", seed=i, epochs=10, steps=points) for i in range(runs)]
    browser = RunsBrowser(store)
    browser.resize(1400, 900)
    browser.show()
    browser.wait_idle()
    browser.split_box.setCurrentText("step")
    browser.select(ids)
    browser.wait_idle()
    n_points = sum(len(i.xData) for i in browser.plot.line_items())
    for _ in range(10):
        app.processEvents()
    frames = [0]
    costs: list[float] = []
    items = browser.plot.line_items()
    data = [(i.xData.copy(), i.yData.copy()) for i in items]

    def repaint():
        t = time.perf_counter()
        for item, (x, y) in zip(items, data):
            item.setData(x, y)  # what a live view does every tick
        browser.plot.viewport().repaint()  # paint now, synchronously, so the cost is measured
        costs.append(time.perf_counter() - t)
        frames[0] += 1

    timer = QTimer()
    timer.setInterval(100)
    timer.timeout.connect(repaint)
    timer.start()
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        app.processEvents()
        time.sleep(0.001)
    timer.stop()
    wall = time.perf_counter() - t0
    # and the full redraw from the store rows (grouping toggled: re-computes every curve)
    t = time.perf_counter()
    browser.redraw()
    browser.plot.viewport().repaint()
    full = time.perf_counter() - t
    browser.shutdown()
    browser.close()
    return {"runs": runs, "points_per_run": points, "points_drawn": n_points, "target_hz": 10,
            "achieved_hz": round(frames[0] / wall, 1), "repaint_ms_median": round(statistics.median(costs) * 1000, 1),
            "repaint_ms_worst": round(max(costs) * 1000, 1), "full_redraw_ms": round(full * 1000, 1)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m workbench.gui.bench_training", description=__doc__.split("\n")[0])
    p.add_argument("--samples", type=int, default=600)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads for the training (default: the worker's policy, 1 for small circuits)")
    p.add_argument("--mode", choices=("process", "thread", "both"), default="process",
                   help="train in a worker process (what the GUI does), in a thread of the GUI process, or both")
    p.add_argument("--load", default="0,1", help="CPU-bound processes running alongside, e.g. 0,1 (default)")
    p.add_argument("--cold", action="store_true", help="also measure Start from a fresh worker process")
    p.add_argument("--no-overlay", action="store_true", help="skip the overlay repaint measurement")
    p.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        loads = [int(n) for n in args.load.split(",")]
        if any(n < 0 or n > 64 for n in loads):
            raise ValueError
    except ValueError:
        print(f"--load: expected counts from 0 to 64 like 0,1, got {args.load!r}", file=sys.stderr)
        return 2
    if not os.environ.get("QT_QPA_PLATFORM") and not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from workbench.gui.shell.app import make_app
    from workbench.runs import RunStore

    app = make_app([sys.argv[0]])
    print(f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} before the "
          "benchmark" if hasattr(os, "getloadavg") else f"{os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(Path(tmp) / "runs")
        modes = ("process", "thread") if args.mode == "both" else (args.mode,)
        spec_text = bench_spec_text(args.samples, args.epochs, args.batch)
        report: dict = {"cpus": os.cpu_count(), "samples": args.samples, "epochs": args.epochs, "batch": args.batch,
                        "training": []}
        for load in loads:
            extra = burners(load)
            try:
                for mode in modes:
                    for warm in ((True, False) if args.cold and mode == "process" else (True,)):
                        hb = heartbeat_during_training(app, store, spec_text, threads=args.threads, mode=mode,
                                                       warm=warm)
                        where = f"a {'warm' if warm else 'fresh'} worker process" if mode == "process" else \
                            "a thread of the GUI process"
                        print(f"[{load} CPU-bound process(es) alongside] training in {where} ({hb['steps']} "
                              f"steps, {hb['wall_s']} s, torch threads: {args.threads or 'worker policy'}): "
                              f"Start to first curve point {hb['first_point_s']} s; GUI heartbeat (5 ms timer) "
                              f"worst gap {hb['worst_gap_ms']} ms ({hb['worst_at_s']} s after Start), p99 "
                              f"{hb['p99_gap_ms']} ms, median {hb['median_gap_ms']} ms, {hb['over_50ms']} gaps "
                              f"> 50 ms of {hb['beats']}; panel repaints {hb['repaint_hz']} Hz; run {hb['status']}",
                              flush=True)
                        print(f"    GUI-thread CPU time within a heartbeat gap (its own work; other processes do not "
                              f"inflate it): max {hb['max_gap_cpu_ms']} ms ({hb['max_gap_cpu_at_s']} s after Start), "
                              f"{hb['gaps_cpu_over_50ms']} over 50 ms; "
                              f"within the worst gap {hb['worst_gap_cpu_ms']} ms", flush=True)
                        print(f"    live plots, GUI-thread CPU per frame (data to curves + paints; thread time): "
                              f"median {hb['frame_cpu_ms_median']} ms, p99 {hb['frame_cpu_ms_p99']} ms, max "
                              f"{hb['frame_cpu_ms_max']} ms over {hb['frames']} frames; one plot's paint median "
                              f"{hb['paint_cpu_ms_median']} ms, max {hb['paint_cpu_ms_max']} ms", flush=True)
                        report["training"].append({"load": load, **hb})
            finally:
                for proc in extra:
                    proc.kill()
                    proc.wait()
        if not args.no_overlay:
            ov = report["overlay"] = overlay_repaint_rate(app, store)
            print(f"overlay: {ov['runs']} runs x {ov['points_per_run']} points ({ov['points_drawn']} drawn): "
                  f"{ov['achieved_hz']} Hz achieved of {ov['target_hz']} Hz; setData+paint median "
                  f"{ov['repaint_ms_median']} ms, worst {ov['repaint_ms_worst']} ms; full redraw from rows "
                  f"{ov['full_redraw_ms']} ms")
    from workbench.gui.common.worker import workers

    workers().shutdown()
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
