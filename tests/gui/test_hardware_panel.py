"""The hardware panel in local testing mode: the account dialog (masked token, refused when empty, never shown
again), a simulated device fault shown in the job monitor, and reattaching to recorded jobs after a restart."""

import subprocess
import sys

import pytest
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QLineEdit, QTableWidget, QWidget

from tests.core.test_hardware_support import SPEC
from workbench.hardware.execute import forget_jobs
from workbench.runs import RunStore

TOKEN = "QmtlGuiKey-0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from workbench.spec import loads
    from workbench.training import train

    root = tmp_path_factory.mktemp("hw_gui")
    store = RunStore(root / "runs")
    return store, train(loads(SPEC, "toml", "test"), store, base_dir=root).run_id


@pytest.fixture
def account_store(tmp_path, monkeypatch):
    import keyring.backends.fail

    from workbench.hardware.account import AccountStore

    monkeypatch.setenv("QMTL_CONFIG_DIR", str(tmp_path / "config"))
    forget_jobs()
    yield AccountStore(tmp_path / "config", keyring_backend=keyring.backends.fail.Keyring())
    forget_jobs()


@pytest.fixture
def panel(qtbot, trained, account_store):
    from workbench.gui.hardware.panel import HardwarePanel

    store, rid = trained
    w = HardwarePanel(store, account_store=account_store)
    qtbot.addWidget(w)
    w.set_run(rid)
    w.show()
    assert w.wait(60), w.jobs.busy
    return w


def all_texts(root: QWidget) -> list[str]:
    out = []
    for w in [root, *root.findChildren(QWidget)]:
        out += [w.windowTitle(), w.toolTip(), w.statusTip(), w.accessibleName()]
        if isinstance(w, QLabel | QAbstractButton):
            out.append(w.text())
        if isinstance(w, QLineEdit):
            out += [w.text(), w.displayText(), w.placeholderText()]
        if isinstance(w, QComboBox):
            out += [w.itemText(i) for i in range(w.count())]
        if isinstance(w, QTableWidget):
            for r in range(w.rowCount()):
                for c in range(w.columnCount()):
                    item = w.item(r, c)
                    if item is not None:
                        out += [item.text(), item.toolTip()]
    return out


def test_account_dialog_refuses_an_empty_token_and_never_shows_it(panel, account_store):
    assert panel.local and "No account set" in panel.account_box.label.text()
    assert panel.backends_info and any(b.name == "fake_manila" for b in panel.backends_info)
    dlg = panel.open_account_dialog()
    assert dlg.token.echoMode() == QLineEdit.EchoMode.Password
    dlg.token.setText("   ")
    assert not dlg.try_save()
    assert dlg.isVisible() and dlg.error_label.isVisible() and "token: empty" in dlg.error_label.text()
    assert account_store.load() is None

    # IBM's service, unreachable: the panel must say so in one line, without the token
    panel.service_factory = "tests.support.hardware:Offline"
    dlg.token.setText(TOKEN)
    assert TOKEN not in dlg.token.displayText()  # masked while typed
    assert dlg.try_save()
    assert dlg.token.text() == "" and not dlg.isVisible()
    dialog_texts = all_texts(dlg)  # before the closed dialog is deleted with its (emptied) field
    assert account_store.load().token == TOKEN
    label = panel.account_box.label.text()
    assert "account file" in label and f"{len(TOKEN)} characters, hidden" in label
    assert str(account_store.file_path) in label
    assert not panel.local
    assert panel.wait(60)
    assert "network" in panel.picker.note.text() and TOKEN not in panel.picker.note.text()
    texts = all_texts(panel) + dialog_texts
    assert texts and all(TOKEN not in t for t in texts)
    # a restart shows the saved account, still without the token
    from workbench.gui.hardware.panel import HardwarePanel

    again = HardwarePanel(panel.store, account_store=account_store, service_factory=panel.service_factory)
    assert f"{len(TOKEN)} characters, hidden" in again.account_box.label.text()
    assert all(TOKEN not in t for t in all_texts(again))
    again.wait(30)
    again.deleteLater()


def test_simulated_job_failure_shows_in_the_monitor(panel, trained, answers):
    store, rid = trained
    panel.backend_factory = "tests.support.hardware:failing_manila"  # the core tests' fault injection
    assert panel.select_backend("fake_manila")
    panel.samples.setValue(4)
    panel.shots.setValue(100)
    answers.queue = ["Submit"]
    before = {j.job_id for j in store.jobs(rid)}
    assert panel.submit()
    assert panel.wait(60)
    # the pre-flight came first, in the confirmation
    assert len(answers.asked) == 1 and "estimated QPU time" in answers.asked[0] and "fake_manila" in answers.asked[0]
    new = [j for j in store.jobs(rid) if j.job_id not in before]
    assert new and all(j.status == "ERROR" for j in new)
    assert panel.wait(10, until=lambda: all(panel.job_row(j.job_id) for j in new))
    for j in new:
        row = panel.job_row(j.job_id)
        assert row["Status"] == "failed" and "simulated QPU fault" in row["Note"] and row["Run"] == rid
    assert "failed" in panel.status.text() and "simulated QPU fault" in panel.status.text()


def test_cancelled_confirmation_submits_nothing(panel, trained, answers):
    store, rid = trained
    assert panel.select_backend("fake_manila")
    answers.queue = ["Cancel"]
    n = len(store.jobs())
    assert panel.submit() and panel.wait(60)
    assert answers.asked and len(store.jobs()) == n and "not submitted" in panel.status.text()


def test_monitor_reattaches_to_recorded_jobs_after_a_restart(qtbot, trained, account_store):
    from workbench.gui.hardware.panel import HardwarePanel

    store, rid = trained
    # a job recorded by a workbench (its worker process) that has since exited: its local job cannot come back
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    store.add_job(rid, "job-from-before", "fake_manila", "RUNNING",
                  {"local": True, "pid": gone.pid, "submitted": "2026-01-01T00:00:00+00:00", "tasks": []})
    w = HardwarePanel(store, account_store=account_store)
    qtbot.addWidget(w)
    assert w.wait(30, until=lambda: (w.job_row("job-from-before") or {}).get("Status") == "failed")
    row = w.job_row("job-from-before")
    assert "lost" in row["Note"] and row["Backend"].startswith("fake_manila")
    assert [j.status for j in store.jobs(rid) if j.job_id == "job-from-before"] == ["ERROR"]


def test_preflight_speaks_only_of_the_chosen_backend(panel, trained, answers):
    """Listing the backends opens every fake device (some warn, e.g. "not typical"); the pre-flight of a run on
    fake_manila must not repeat another device's warning."""
    import re

    store, rid = trained
    panel.refresh_backends()  # on an idle pool: the process that lists the backends also runs the pre-flight
    assert panel.wait(60)
    assert panel.select_backend("fake_manila")
    answers.queue = ["Cancel"]
    assert panel.submit() and panel.wait(60)
    asked = answers.asked[-1]
    assert "fake_manila" in asked
    named = set(re.findall(r"fake_[a-z0-9_]+", asked))
    assert named == {"fake_manila"}, f"the pre-flight speaks of other backends: {sorted(named - {'fake_manila'})}"
