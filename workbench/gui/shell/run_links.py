"""How training, sweeps, the runs browser and the report follow each other: a run started or ended refreshes
the browser, a browser request clones, resumes or reports a run, a sweep's point opens its run."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from workbench.gui.common import messages


class RunLinks(QObject):
    def __init__(self, window):
        super().__init__(window)  # a QObject: its slots die with the window, not after it
        self.w = window
        self.presentation = None

    def show_train(self) -> None:
        self.w.docks.show("trainDock")

    def show_runs(self) -> None:
        self.w.docks.show("runsDock")
        self.w.runs.refresh()

    def show_sweep(self) -> None:
        self.w.docks.show("sweepDock")

    def open_run(self, run_id: str) -> None:
        """Show a run in the runs browser (a sweep's point or trial)."""
        runs = self.w.runs
        self.show_runs()
        runs.select([run_id])
        if run_id not in runs.selected_ids():  # a run newer than the browser's last poll: once it is there
            QTimer.singleShot(600, lambda: runs.select([run_id]))

    def start_training(self) -> bool:
        self.show_train()
        return self.w.train.start()

    def run_started(self, run_id: str) -> None:
        self.w.runs.busy_run = run_id
        self.w.runs.refresh()

    def run_ended(self, run_id: str, status: str) -> None:
        self.w.runs.busy_run = None
        self.w.runs.refresh()
        self.w.report(f"run {run_id} {status}", error=status == "failed")

    def clone_run(self, spec, run_id: str, head: str) -> bool:
        """Load a run's spec into the composer as a new, untitled (modified) document."""
        w = self.w
        if not w.files.confirm_discard():
            return False
        spec.name = f"{spec.name} (clone of {run_id})"
        w.doc.replace(spec, None, modified=True)
        w.train.set_head(head)
        w.report(f"cloned run {run_id} into a new experiment; edit it and train, or save it")
        QTimer.singleShot(0, w.fit_readable)
        return True

    def resume_run(self, run_id: str) -> bool:
        self.show_train()
        return self.w.train.resume_run(run_id)

    def write_report(self, run_ids: list, path: str | None = None):
        from workbench.gui.report.report import ReportPreview
        from workbench.gui.report.report import write_report as write

        w = self.w
        if not run_ids:
            return None
        start = str(Path(str(w.settings.value("lastDir", Path.home()))) / f"report-{run_ids[0]}.html")
        path = path or messages.save_path(w, start, "Write HTML report", "HTML (*.html)")
        if not path:
            return None
        try:
            out = write(w.store, list(run_ids), path)
        except Exception as exc:  # noqa: BLE001
            w.report(f"cannot write the report: {exc}", error=True)
            messages.error(w, "Report failed", str(exc))
            return None
        w.report(f"wrote the report to {out}")
        preview = ReportPreview(out, w)
        preview.open()
        return out

    def report_selected(self):
        return self.write_report(self.w.runs.selected_ids())

    def show_presentation(self, run_id: str | None = None):
        from workbench.gui.report.presentation import PresentationView

        w = self.w
        if self.presentation is None:
            self.presentation = PresentationView(w.store, w.theme)
            self.presentation.resize(w.size())
            w.themeChanged.connect(self.presentation.set_theme)
            w.closing.connect(self.presentation.close)
        selected = run_id or (w.runs.selected_ids() or [None])[0]
        self.presentation.reload_runs(selected)
        self.presentation.show()
        self.presentation.raise_()
        return self.presentation
