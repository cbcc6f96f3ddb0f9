"""The data panel and File > New: data chosen in the GUI, tasks from the label columns, undoable, checked."""

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt

from workbench.gui.composer.document import ExperimentDocument, new_spec
from workbench.gui.data.checker import DataChecker
from workbench.gui.data.panel import DataPanel


def write_csv(path):
    rng = np.random.default_rng(1)
    n = 90
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "x3": rng.normal(size=n),
                       "shape": np.tile(["round", "square", "star"], n // 3), "big": np.tile([0, 1], n // 2),
                       "comment": [f"row {i}" for i in range(n)]})
    df.to_csv(path, index=False)
    return path


def click_header(qtbot, panel, column):
    header = panel.table.horizontalHeader()
    j = panel.preview.columns.index(column)
    x = header.sectionViewportPosition(j) + header.sectionSize(j) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=header.rect().center().__class__(x, 5))


def test_a_csv_file_becomes_features_and_two_tasks_undoably(qtbot, tmp_path):
    doc = ExperimentDocument(new_spec())
    checker = DataChecker(doc, lambda: tmp_path)
    panel = DataPanel(doc, lambda: tmp_path)
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    csv = write_csv(tmp_path / "shapes.csv")
    panel.path.setVisible(True)
    qtbot.keyClicks(panel.path, str(csv))
    with qtbot.waitSignal(panel.previewReady, timeout=60000):
        qtbot.keyClick(panel.path, Qt.Key.Key_Return)
    spec = doc.spec
    assert spec.dataset.source == "csv" and spec.dataset.labels == ["shape", "big"]
    assert spec.dataset.features == ["x1", "x2", "x3"]  # the text column is left out
    assert [(t.name, t.classes) for t in spec.tasks] == [("shape", 3), ("big", 2)]
    assert [t.class_names for t in spec.tasks] == [("round", "square", "star"), ("0", "1")]  # the data's labels
    qtbot.waitUntil(lambda: doc.data_state == "ok", timeout=60000)
    assert doc.is_trainable() and "3 features" in panel.check_label.text()

    click_header(qtbot, panel, "big")  # label -> left out
    assert [t.name for t in doc.spec.tasks] == ["shape"] and doc.spec.dataset.labels == ["shape"]
    click_header(qtbot, panel, "x3")  # feature -> label: 90 distinct values cannot be one, so left out
    assert doc.spec.dataset.features == ["x1", "x2"]
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert [(t.name, t.classes) for t in doc.spec.tasks] == [("shape", 3), ("big", 2)]
    assert "◆ big" == panel.table.horizontalHeaderItem(4).text()

    panel.pca_on.setChecked(True)
    panel.pca.setValue(2)
    assert doc.spec.dataset.pca == 2
    qtbot.waitUntil(lambda: doc.data_state == "ok", timeout=60000)
    panel.pca.setValue(3)
    panel.pca_on.setChecked(False)
    assert doc.spec.dataset.pca is None
    checker.shutdown()
    panel.shutdown()


def test_mismatched_tasks_are_named_in_plain_words(qtbot, tmp_path):
    doc = ExperimentDocument(new_spec())  # digits data with a task called task1: what File > New used to give
    DataChecker(doc, lambda: tmp_path).check_now()
    qtbot.waitUntil(lambda: doc.data_state == "problems", timeout=60000)
    assert not doc.is_trainable()
    assert str(doc.first_problem()).startswith("dataset: task 'task1' has no label column 'task1' in the data")


def test_file_new_asks_for_data_and_takes_its_tasks(qtbot, window):
    dialog = window.new_file()
    qtbot.waitUntil(lambda: dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled(), timeout=60000)
    dialog.data.choose_source("penguins")
    qtbot.waitUntil(lambda: dialog.scratch.spec.dataset.source == "penguins" and not dialog.data.busy(),
                    timeout=60000)
    qtbot.keyClicks(dialog.name, "-birds")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    spec = window.doc.spec
    assert spec.name == "untitled-birds" and spec.dataset.source == "penguins"
    assert [(t.name, t.classes) for t in spec.tasks] == [("species", 3), ("sex", 2), ("island", 3)]
    assert spec.tasks[0].class_names == ("Adelie", "Chinstrap", "Gentoo")
    qtbot.waitUntil(lambda: window.doc.data_state == "ok", timeout=60000)
    assert "ready to train" in window.status_valid.text()


def test_synthetic_knobs_change_one_option_and_keep_per_task_classes(qtbot, tmp_path):
    from workbench.spec.examples import small_synthetic

    spec = small_synthetic()
    doc = ExperimentDocument(spec)
    panel = DataPanel(doc, lambda: tmp_path)
    qtbot.addWidget(panel)
    before = dict(doc.spec.dataset.options)
    qtbot.waitUntil(lambda: panel.preview is not None, timeout=60000)
    with qtbot.waitSignal(panel.previewReady, timeout=60000):
        panel.knobs["relatedness"].setValue(0.9)
    options = doc.spec.dataset.options
    assert options["relatedness"] == 0.9
    assert {k: v for k, v in options.items() if k != "relatedness"} == \
        {k: v for k, v in before.items() if k != "relatedness"}
    panel.shutdown()


def test_rewriting_the_data_file_checks_again(qtbot, tmp_path):
    """The data file changes on disk (another program rewrites it): the check runs again by itself and "ready to
    train" turns into the reason it no longer holds, and back."""
    csv = write_csv(tmp_path / "shapes.csv")
    doc = ExperimentDocument(new_spec())
    checker = DataChecker(doc, lambda: tmp_path)
    panel = DataPanel(doc, lambda: tmp_path)
    checker.fileChanged.connect(panel.reload)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.previewReady, timeout=60000):
        panel.use_file(str(csv))
    qtbot.waitUntil(lambda: doc.data_state == "ok", timeout=60000)
    assert "ready to train" in panel.check_label.text()

    # "shape" gains a fourth class in the file: the experiment still says 3
    text = csv.read_text().replace("star", "hexagon", 5)
    with qtbot.waitSignal(checker.fileChanged, timeout=30000):
        csv.write_text(text)
    qtbot.waitUntil(lambda: doc.data_state == "problems" and "4 in the data" in panel.check_label.text(),
                    timeout=60000)
    assert "task 'shape' has 3 classes in the experiment but 4 in the data" in doc.first_problem().message
    assert not doc.is_trainable()
    qtbot.waitUntil(lambda: "hexagon" in str(panel.preview.label_tasks["shape"]), timeout=60000)  # re-read

    # the file back as it was: ready again
    with qtbot.waitSignal(checker.fileChanged, timeout=30000):
        write_csv(csv)
    qtbot.waitUntil(lambda: doc.data_state == "ok" and "ready to train" in panel.check_label.text(), timeout=60000)
    assert doc.is_trainable()
    checker.shutdown()
    panel.shutdown()
