"""The results view's picture for the README: the metrics table sorted by accuracy over the accuracy-versus-
head-size scatter, from a runs folder (``python -m workbench.gui.runs.screenshot RUNS_DIR OUT.png``), or
presentation mode's cost page (``--presentation``)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def _palette(path: Path) -> None:
    """256 colours, undithered: a third of the bytes, and the flat colours of a UI lose nothing visible
    (Pillow comes with matplotlib; without it the full-colour picture stays)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def _presentation(app, store, out: Path, width: int, height: int) -> int:
    from workbench.gui.report.presentation import COST, PresentationView

    view = PresentationView(store)
    view.resize(width, height)
    view.show()
    view.metric_box.setCurrentText(COST)
    for _ in range(10):
        app.processEvents()
        time.sleep(0.02)
    ok = view.grab().save(str(out), "PNG")
    if ok:
        _palette(out)
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m workbench.gui.runs.screenshot", description=__doc__)
    p.add_argument("runs_dir")
    p.add_argument("out")
    p.add_argument("--size", default="1280x800", help="WIDTHxHEIGHT (default 1280x800)")
    p.add_argument("--presentation", action="store_true", help="presentation mode's cost page instead")
    args = p.parse_args(argv)
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        print(f"--size: WIDTHxHEIGHT, got {args.size!r}", file=sys.stderr)
        return 2
    if not os.environ.get("DISPLAY") and sys.platform.startswith("linux"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from workbench.gui.runs.browser import RunsBrowser
    from workbench.runs import RunStore

    app = QApplication.instance() or QApplication([])
    if args.presentation:
        return _presentation(app, RunStore(args.runs_dir), Path(args.out), width, height)
    browser = RunsBrowser(RunStore(args.runs_dir))
    browser.resize(width, height)
    browser.show()
    deadline = time.monotonic() + 60
    while not browser.runs and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    browser.table.sort_by("mean_accuracy", Qt.SortOrder.DescendingOrder)
    browser.bottom.setCurrentWidget(browser.scatter)
    browser.split.setSizes([int(height * 0.42), int(height * 0.5)])
    for _ in range(10):
        app.processEvents()
        time.sleep(0.02)
    ok = browser.grab().save(str(Path(args.out)), "PNG")
    if ok:
        _palette(Path(args.out))
    browser.shutdown()
    return 0 if ok else 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # the picture is written: skip PySide's object teardown at exit, which can crash
