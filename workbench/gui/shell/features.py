"""THE place where a feature plugs into the main window: its docks, menu actions and toolbar buttons.

Each feature has a ``register(window)`` function below, listed in ``FEATURES``; the window calls them in that
order after its own composer docks, menus and toolbar exist, and before it lays the docks out. To add a panel:

    def probe(w) -> None:
        w.probe_dock = w.docks.add(Panel("Probe", "probeDock", lambda w: ProbePanel(w.doc), follows_run=True))
        w.act_probe = w.menus.add("&Run/runs", "&Probe…", lambda: w.docks.show("probeDock"), "Ctrl+Shift+B",
                                  "Show the probe panel", toolbar="run", short="Probe")

    FEATURES = (..., probe)

What a registration can use:

- ``w.docks.add(Panel(title, name, create, area="bottom", tab="bottom", ...))`` adds a dock and its
  View-menu toggle (``shell/docks.py``). ``create(w)`` builds the widget; or ``create="module:Class"`` with
  ``lazy=True`` builds ``Class(w.store)`` the first time the dock is shown. The panel's ``set_theme(theme)``
  is called on every theme change; with ``follows_run`` its ``set_run(run_id)`` follows the runs browser's
  selection; ``close(widget)`` stops its work when the window closes; ``may_close(widget)`` may refuse it.
  Bottom panels share one tab group in the order they are added. Never rename a dock's ``name``: saved
  layouts find docks by it.
- ``w.menus.add("&Menu/section", text, slot, shortcut, tip, icon, toolbar="section", short="Name")`` adds
  an action at the end of a menu section (and of a toolbar section). Sections are listed in
  ``shell/menus.py``: File open/save/export/quit, Edit undo/clipboard/template, Tasks tasks/remove,
  Run train/runs, View zoom/theme/panels/layout, Help help; toolbar file/edit/tasks/view/run. The toolbar
  must still fit a 1280-pixel screen (journey J6 checks it): give toolbar buttons a ``short`` name, or none.
- ``w.doc`` (the experiment document), ``w.store`` (the run store), ``w.spec_dir()`` (where relative data
  paths resolve), ``w.report(text, error)`` (status bar and log), ``w.theme`` and the ``w.themeChanged`` and
  ``w.closing`` signals for windows that are not docks.
"""

from __future__ import annotations

from workbench.gui.code.dock import install as install_code_pane
from workbench.gui.common import messages
from workbench.gui.data.checker import DataChecker
from workbench.gui.data.panel import DataPanel
from workbench.gui.probe.panel import ProbePanel
from workbench.gui.runs.browser import RunsBrowser
from workbench.gui.shell.docks import Panel
from workbench.gui.sweeps.panel import SweepPanel
from workbench.gui.training.panel import TrainPanel


def data(w) -> None:
    w.data_checker = DataChecker(w.doc, w.spec_dir, w)  # "ready to train": the spec checked against its data
    w.closing.connect(w.data_checker.shutdown)
    w.data_dock = w.docks.add(Panel("Data", "dataDock", lambda w: DataPanel(w.doc, w.spec_dir),
                                    close=lambda p: p.shutdown()))
    w.data_panel = w.data_dock.widget()
    w.data_checker.fileChanged.connect(w.data_panel.reload)


def training(w) -> None:
    w.train_dock = w.docks.add(Panel("Train", "trainDock",
                                     lambda w: TrainPanel(w.doc, w.store, base_dir=w.spec_dir),
                                     may_close=lambda p: _confirm_stop_training(w, p),
                                     close=lambda p: p.shutdown(wait=15)))
    w.train = train = w.train_dock.widget()
    links, add = w.run_links, w.menus.add
    w.act_train = add("&Run/train", "&Train…", links.show_train, "Ctrl+R", "Show the training panel")
    w.act_start = add("&Run/train", "&Start Training", links.start_training, "Ctrl+Shift+R",
                      "Train the experiment as it is in the editor", toolbar="run", short="Train")
    w.act_stop = add("&Run/train", "S&top Training", lambda: train.stop(), "Ctrl+.", "Stop after the current step")
    train.message.connect(w.report)
    train.runStarted.connect(links.run_started)
    train.runEnded.connect(links.run_ended)
    w.doc.validityChanged.connect(lambda ok: w.act_start.setEnabled(ok))
    w.act_start.setEnabled(w.doc.is_trainable())


def _confirm_stop_training(window, train) -> bool:
    """Closing during a training: ask, then stop the worker cleanly; the run stays resumable."""
    if not train.is_training():
        return True
    choice = messages.ask(window, "Training in progress",
                          f"Run {train.run_id or ''} is still training. Stop it and close? It stays "
                          "resumable from its last epoch (Runs browser → Resume).",
                          ("Stop and Close", "Cancel"), "Cancel")
    if choice != "Stop and Close":
        return False
    if not train.shutdown(wait=15):
        window.report("the training worker did not stop in time", error=True)
    return True


def runs(w) -> None:
    w.runs_dock = w.docks.add(Panel("Runs", "runsDock", lambda w: RunsBrowser(w.store), close=lambda p: p.shutdown()))
    w.runs = browser = w.runs_dock.widget()
    links, add = w.run_links, w.menus.add
    w.act_runs = add("&Run/runs", "&Runs Browser", links.show_runs, "Ctrl+B", "Browse, compare and export runs",
                     toolbar="run", short="Runs")
    w.act_report = add("&Run/runs", "HTML &Report of Selected Runs…", links.report_selected, "Ctrl+Shift+H",
                       "Write a self-contained HTML report of the runs selected in the browser")
    w.act_present = add("&Run/runs", "&Presentation Mode", links.show_presentation, "F5",
                        "Large-type full-window curves and a replay of a finished run", toolbar="run",
                        short="Present")
    browser.message.connect(w.report)
    browser.cloneRequested.connect(links.clone_run)
    browser.resumeRequested.connect(links.resume_run)
    browser.reportRequested.connect(links.write_report)
    browser.runSelected.connect(w.docks.set_run)


def sweeps(w) -> None:
    w.sweep_dock = w.docks.add(Panel("Sweep", "sweepDock", lambda w: SweepPanel(w.doc, w.store, base_dir=w.spec_dir),
                                     close=lambda p: p.shutdown(wait=15)))
    w.sweep = sweep = w.sweep_dock.widget()
    w.act_sweep = w.menus.add("&Run/train", "S&weep…", w.run_links.show_sweep, None,
                              "Train the experiment over axes of settings, in parallel")
    sweep.message.connect(w.report)
    sweep.runOpened.connect(w.run_links.open_run)
    sweep.sweepEnded.connect(lambda _sid, _state: w.runs.refresh())


def noise(w) -> None:
    w.docks.add(Panel("Noise", "noiseDock", "workbench.gui.noise.panel:NoisePanel", lazy=True, follows_run=True))


def hardware(w) -> None:
    w.docks.add(Panel("Hardware", "hardwareDock", "workbench.gui.hardware.panel:HardwarePanel", lazy=True,
                      follows_run=True))


def probe(w) -> None:
    w.probe_dock = w.docks.add(Panel("Probe", "probeDock", lambda w: ProbePanel(w.doc, w.scene)))
    w.probe = w.probe_dock.widget()
    w.probe_dock.hide()  # shown (and computing) once a probe is placed on the canvas, or from the View menu
    w.scene.probes.changed.connect(lambda at: at is not None and (w.probe_dock.show(), w.probe_dock.raise_()))


def live_outputs(w) -> None:
    from workbench.gui.live.panel import LiveOutputsPanel

    w.live_dock = w.docks.add(Panel("Live outputs", "liveOutputsDock",
                                    lambda w: LiveOutputsPanel(w.doc, w.spec_dir, w.store.root, w.theme),
                                    close=lambda p: p.shutdown()))
    w.live = w.live_dock.widget()
    w.runs.cloneRequested.connect(lambda spec, run_id, _head: w.live.cloned(spec, run_id))
    w.act_live = w.menus.add("&Run/runs", "&Live Outputs", lambda: w.docks.show("liveOutputsDock"), "Ctrl+Shift+L",
                             "What the circuit predicts for one input, recomputed on every edit")
    # the probe looks inside the circuit for the input the live outputs show (what the encoder loaded for it)
    w.live.outputsShown.connect(lambda out: w.probe.set_input(out.encoder_inputs, out.input))
    # ... with the same weights: a cloned run's trained weights, or the (re-drawn) seed's initial weights
    w.live.sourceChanged.connect(w.probe.set_source)
    w.probe.set_source(w.live.source())


def code(w) -> None:
    install_code_pane(w)  # the code dock; File > Export > OpenQASM 3… and PennyLane Script…


FEATURES = (data, training, runs, sweeps, noise, hardware, probe, live_outputs, code)
