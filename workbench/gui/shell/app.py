"""``qmtl-workbench [SPEC]``: the desktop workbench. ``--screenshot FILE`` renders the window and exits."""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

from workbench.desktop import APP_ID, ICON_SIZES, icon_png
from workbench.errors import UserError
from workbench.toplevel import OneLineParser

SCREENSHOT_SIZE = (1600, 1000)
SCREENS = ("composer", "data", "new", "train", "runs", "presentation", "report")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qmtl-workbench", description="QMTL Workbench: the circuit composer and "
                                                                   "experiment editor")
    p.add_argument("spec", nargs="?", help="experiment file to open (TOML or JSON) or a shipped example's name "
                                           "(qmtl examples); default: the digits demo")
    p = OneLineParser(prog="qmtl-workbench", description="QMTL Workbench: the circuit composer and "
                                                          "experiment editor")
    p.add_argument("spec", nargs="?", help="experiment file to open (TOML or JSON); default: the digits demo")
    p.add_argument("--screenshot", metavar="FILE", help="render the window offscreen to a PNG and exit")
    p.add_argument("--theme", choices=["light", "dark"], help="colour theme (default: the last one used)")
    p.add_argument("--size", default=f"{SCREENSHOT_SIZE[0]}x{SCREENSHOT_SIZE[1]}",
                   help="window size for --screenshot, WIDTHxHEIGHT (default %(default)s)")
    p.add_argument("--screen", choices=SCREENS, default="composer",
                   help="what --screenshot shows: the composer; data (the data panel); new (File > New's data step); "
                        "train (trains the experiment, then grabs the "
                        "curves); runs (the browser, newest runs selected, seeds grouped); presentation (a replayed "
                        "run); report (the HTML report of the newest run)")
    p.add_argument("--runs-dir", default=None,
                   help="run store folder (default: $QMTL_RUNS_DIR or runs/ in the workbench's data folder)")
    p.add_argument("--install-desktop", action="store_true",
                   help="add the workbench to this user's desktop menu (launcher and icon in $XDG_DATA_HOME, "
                        "default ~/.local/share) and exit")
    return p


def make_app(argv: list[str]):
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from workbench.gui.shell.session import APP, ORG

    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv)
        from workbench.gui.common.compat import collect_garbage_on_gui_thread

        collect_garbage_on_gui_thread(app)
    QCoreApplication.setOrganizationName(ORG)
    QCoreApplication.setApplicationName(APP)
    QGuiApplication.setApplicationDisplayName("QMTL Workbench")
    QGuiApplication.setDesktopFileName(APP_ID)  # Wayland matches the window to the installed launcher by this
    app.setWindowIcon(app_icon())
    return app


def app_icon():
    """The application icon, every shipped size (the window, the task switcher, the About box)."""
    from PySide6.QtGui import QIcon

    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(icon_png(size)))
    return icon


def settle() -> None:
    """After start-up: move the objects that live as long as the app (modules, Qt wrappers, the demo) out of
    the garbage collector's way, so its full collections do not stall an edit (they cost 40-60 ms here)."""
    gc.collect()
    gc.freeze()


def screenshot(window, path: str | Path, size: tuple[int, int] = SCREENSHOT_SIZE) -> Path:
    """Lay the window out at ``size``, fit the circuit and save the picture."""
    from PySide6.QtWidgets import QApplication

    path = Path(path)
    window.resize(*size)
    window.show()
    QApplication.processEvents()
    window.default_dock_sizes()
    deadline = time.monotonic() + 20
    while not window.budget.scaling_ready() and time.monotonic() < deadline:  # the plot is computed off-thread
        QApplication.processEvents()
        time.sleep(0.01)
    for _ in range(3):
        QApplication.processEvents()
    window.fit_readable()
    QApplication.processEvents()
    image = window.grab()
    if not image.save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")
    return path


def _wait(condition, seconds: float) -> bool:
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    return condition()


def screenshot_screen(window, path: str | Path, screen: str, size: tuple[int, int] = SCREENSHOT_SIZE) -> Path:
    """Screens other than the composer: lay them out with real data and save the picture."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    path = Path(path)
    window.resize(*size)
    window.show()
    for _ in range(3):
        QApplication.processEvents()
    target = window
    if screen == "data":
        window.data_dock.show()
        window.data_dock.raise_()
        window.resizeDocks([window.data_dock], [int(size[1] * 0.5)], Qt.Orientation.Vertical)
        _wait(lambda: not window.data_panel.busy() and not window.data_checker.busy()
              and window.doc.data_state != "checking", 120)
    elif screen == "new":
        target = window.new_file()
        _wait(lambda: not target.data.busy() and target.data.preview is not None, 120)
        _wait(lambda: target.scratch.data_state not in ("checking", "unchecked"), 120)
    elif screen == "train":
        window.show_train()
        window.resizeDocks([window.train_dock], [int(size[1] * 0.55)], Qt.Orientation.Vertical)
        if not window.train.start():
            raise OSError(f"cannot train: {window.train.last_error or window.doc.first_problem()}")
        _wait(lambda: window.train.status not in ("running", "paused") and not window.train.timer.isActive(), 600)
    elif screen == "runs":
        window.show_runs()
        window.resizeDocks([window.runs_dock], [int(size[1] * 0.62)], Qt.Orientation.Vertical)
        browser = window.runs
        browser.wait_idle()
        runs = list(browser.runs.values())
        if not runs:
            raise OSError("the run store is empty: train something first (or pass --runs-dir)")
        browser.select([r.id for r in runs[:6]])
        browser.group_box.setChecked(True)
        browser.wait_idle()
    elif screen == "presentation":
        target = window.show_presentation()
        target.resize(*size)
        _wait(lambda: False, 0.2)
        target.toggle_replay()
        _wait(lambda: not target.timer.isActive(), 60)
    elif screen == "report":
        import tempfile

        from workbench.gui.report.report import ReportPreview, write_report

        runs = window.store.list_runs(kind="train")
        if not runs:
            raise OSError("the run store is empty: train something first (or pass --runs-dir)")
        out = write_report(window.store, [runs[0].id], Path(tempfile.mkdtemp()) / "report.html")
        target = ReportPreview(out, window)
        target.resize(size[0] - 400, size[1])
        target.show()
    for _ in range(5):
        QApplication.processEvents()
        time.sleep(0.02)
    if not target.grab().save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")
    if screen == "new":
        target.reject()
    return path


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.screenshot and not os.environ.get("QT_QPA_PLATFORM") and not os.environ.get("DISPLAY") \
            and sys.platform.startswith("linux"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if args.install_desktop:
        return install_desktop()
    if args.spec:
        from workbench.spec.examples import resolve_experiment

        try:
            args.spec = str(resolve_experiment(args.spec))
        except UserError as exc:
            print(f"qmtl-workbench: error: {exc}", file=sys.stderr)
            return 2
    from workbench.gui.shell.platform_check import check_platform

    problem = check_platform()
    if problem:  # Qt would abort the process with a page of text
        print(f"qmtl-workbench: error: {problem}", file=sys.stderr)
        return 2
    app = make_app([sys.argv[0]])

    from workbench.gui.shell.mainwindow import MainWindow

    if args.screenshot:
        try:
            w, h = (int(v) for v in args.size.lower().split("x"))
        except ValueError:
            print(f"qmtl-workbench: error: --size wants WIDTHxHEIGHT, got {args.size!r}", file=sys.stderr)
            return 2
        window = MainWindow(args.spec, theme=args.theme or "light", autosave=False, restore_layout=False,
                            persist=False, runs_dir=args.runs_dir)
        if args.spec and window.doc.path is None:
            print(f"qmtl-workbench: error: cannot open {args.spec}", file=sys.stderr)
            return 2
        try:
            if args.screen == "composer":
                out = screenshot(window, args.screenshot, (w, h))
            else:
                out = screenshot_screen(window, args.screenshot, args.screen, (w, h))
        except OSError as exc:
            print(f"qmtl-workbench: error: {exc}", file=sys.stderr)
            return 2
        window.doc.undo_stack.setClean()
        window.close()
        print(out)
        return 0
    window = MainWindow(args.spec, theme=args.theme, runs_dir=args.runs_dir)
    window.show()
    window.offer_recovery()
    settle()
    return app.exec()


def install_desktop() -> int:
    from workbench.desktop import install_desktop as install

    try:
        written = install()
    except OSError as exc:
        print(f"qmtl-workbench: error: cannot install the launcher: {exc}", file=sys.stderr)
        return 2
    print(f"installed the launcher {written[0]} and the icon (PNG, {len(written) - 2} sizes, and SVG) under "
          f"{written[1].parents[3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
