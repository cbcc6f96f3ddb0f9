"""J5: a training that fails is kept as failed, with its reason, in the runs browser and `qmtl runs list`;
once the cause is fixed it resumes from the browser and the train panel shows that run."""

from PySide6.QtCore import Qt

from tests.gui.journeys.journey import TRAIN_TIMEOUT_MS, open_window, write_shapes_csv
from workbench.cli import main as qmtl
from workbench.gui.common import messages
from workbench.gui.runs.table_model import ID_ROLE
from workbench.spec import dumps
from workbench.spec.model import BackboneSpec, DatasetSpec, ExperimentSpec, QuantumSpec, TaskSpec, TrainingSpec


def test_a_failing_training_is_kept_as_failed(qtbot, tmp_path, monkeypatch, answers, capsys, shot):
    csv = write_shapes_csv(tmp_path / "shapes.csv")
    spec = ExperimentSpec(name="shapes", dataset=DatasetSpec(source="csv", path=str(csv), labels=["shape", "size"],
                                                             features=["width", "height", "depth"]),
                          tasks=[TaskSpec("shape", 3), TaskSpec("size", 2)], quantum=QuantumSpec(qubits=3),
                          backbone=BackboneSpec(width=3),
                          training=TrainingSpec(epochs=1, batch_size=32))
    path = tmp_path / "shapes.toml"
    path.write_text(dumps(spec))
    win = open_window(qtbot, tmp_path)
    monkeypatch.setattr(messages, "open_path", lambda *a, **k: str(path))
    qtbot.keyClick(win, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)  # File > Open
    qtbot.waitUntil(lambda: win.doc.path == path and win.doc.data_state == "ok", timeout=120000)

    write_shapes_csv(csv, broken=True)  # the file changes on disk after the check
    panel = win.train
    win.show_train()
    with qtbot.waitSignal(panel.runEnded, timeout=TRAIN_TIMEOUT_MS) as ended:
        qtbot.mouseClick(panel.start_btn, Qt.MouseButton.LeftButton)
    run_id, status = ended.args
    assert status == "failed"
    assert "Training failed" in panel.status_label.text() and "missing values" in panel.status_label.text()
    info = win.store.get(run_id)
    assert info.status == "failed" and "label column 'size' has 1 missing values" in info.error

    qtbot.keyClick(win, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)  # Runs Browser
    model = win.runs.table.model()
    cols = {model.headerData(c, Qt.Orientation.Horizontal): c for c in range(model.columnCount())}

    def cell(column):
        row = next((r for r in range(model.rowCount()) if model.index(r, 0).data(ID_ROLE) == run_id), None)
        return None if row is None else model.index(row, cols[column]).data()

    qtbot.waitUntil(lambda: cell("Status") == "failed", timeout=60000)  # the browser polls the store
    win.runs.select([run_id])
    assert "missing values" in cell("Mean test acc.")
    shot(win, "j5-failed-in-browser")

    assert qmtl(["runs", "list", "--runs-dir", str(win.store.root)]) == 0
    listed = [line for line in capsys.readouterr().out.splitlines() if line.startswith(run_id)]
    assert listed and "failed" in listed[0] and "missing values" in listed[0]

    # the cause fixed on disk, the failed run resumes from the browser under the same id
    write_shapes_csv(csv)
    panel.head.setCurrentIndex(panel.head.findData("hps"))  # the form's own head: Resume must not use it
    qtbot.waitUntil(win.runs.resume_btn.isEnabled, timeout=10000)
    with qtbot.waitSignal(panel.runEnded, timeout=TRAIN_TIMEOUT_MS) as ended:
        qtbot.mouseClick(win.runs.resume_btn, Qt.MouseButton.LeftButton)
    assert ended.args == [run_id, "finished"]
    assert panel.head.currentData() == "qmtl" and panel.epochs.value() == 1
    assert win.store.get(run_id).status == "finished"
    shot(win, "j5-resumed")
    win.doc.undo_stack.setClean()
