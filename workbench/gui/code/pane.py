"""The code pane: the chosen task's circuit (shared encoder + its block) as OpenQASM 3 and as a PennyLane script.

Both texts are written again after every change of the document (coalesced: one refresh per burst of edits; a
hidden pane waits until it is shown).
The QASM is editable: Apply (or Ctrl+Return) reads it with the core importer and sets the task's block in ONE
undoable command; an error marks its line and leaves the document as it was. While the text holds edits not yet
applied, a change of the document does not overwrite it: the pane says so, and Revert shows the current circuit.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontDatabase, QKeyEvent, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from workbench.circuits.export_pennylane import to_pennylane_source
from workbench.circuits.import_qasm import QasmError, encoder_lines, import_task_block, task_qasm
from workbench.circuits.program import build_program
from workbench.errors import UserError
from workbench.gui.code.highlight import PYTHON_RULES, QASM_RULES, RuleHighlighter
from workbench.gui.common import messages
from workbench.gui.composer import commands as C
from workbench.gui.composer.document import ExperimentDocument
from workbench.textsafe import first_line

REFRESH_MS = 60  # a burst of edits (a drag, typing in a field) refreshes the code once
ERROR_FILL = QColor(220, 50, 47, 70)
ENCODER_FILL = QColor(128, 128, 128, 40)
MAX_SHADED_LINES = 5000  # a huge encoder is shaded over its first lines only


class QasmEditor(QPlainTextEdit):
    """The QASM text: Ctrl+Return (or Ctrl+Enter) asks to apply it instead of breaking the line."""

    applyRequested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.applyRequested.emit()
            event.accept()
            return
        super().keyPressEvent(event)


def _code_view(editor: QPlainTextEdit, read_only: bool) -> QPlainTextEdit:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    # 10 points at least: smaller, the common monospace fonts lose the underscores of _w_3_ between lines
    font.setPointSizeF(max(font.pointSizeF(), 10.0))
    editor.setFont(font)
    editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    editor.setReadOnly(read_only)
    editor.setTabStopDistance(4 * editor.fontMetrics().horizontalAdvance(" "))
    return editor


class CodePane(QWidget):
    regenerated = Signal()  # the texts were written again from the document
    applied = Signal(str)  # the QASM was applied; what to tell (notes)
    applyFailed = Signal(str)  # the QASM was not applied; the error
    message = Signal(str, bool)  # for the window's log: text, is it an error

    def __init__(self, doc: ExperimentDocument, parent=None):
        super().__init__(parent)
        self.doc = doc
        self._generated = ""  # the QASM last written from the document
        self._dirty = False  # the editor holds edits not applied
        self._stale = False  # ... and the document changed since they began
        self._setting = False
        self._error_line = 0
        self._encoder = None  # (first, last) line of the encoder's gates in the generated text
        self._encoder_marks: list = []
        self.task_box = QComboBox()
        self.task_box.setObjectName("codeTask")
        self.task_box.setToolTip("The task whose circuit (shared encoder + its block) is shown")
        self.task_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.task_box.setMinimumContentsLength(8)
        self.tabs = QTabWidget()
        self.qasm_edit = _code_view(QasmEditor(), read_only=False)
        self.qasm_edit.setObjectName("qasmEditor")
        self.py_view = _code_view(QPlainTextEdit(), read_only=True)
        self.py_view.setObjectName("pennylaneView")
        self._highlighters = [RuleHighlighter(self.qasm_edit.document(), QASM_RULES),
                              RuleHighlighter(self.py_view.document(), PYTHON_RULES)]
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setObjectName("codeNote")
        self.state = QLabel()
        self.state.setObjectName("codeState")
        self.state.setWordWrap(True)  # the dock may be as narrow as the inspector
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setObjectName("qasmError")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setStyleSheet("color: #d0342c")
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("Read the QASM into the task's block (Ctrl+Return); undo with Ctrl+Z")
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Drop the edits and show the circuit as the document has it")
        self._build()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        doc.changed.connect(self._document_changed)
        self.task_box.activated.connect(self._task_chosen)
        self.qasm_edit.textChanged.connect(self._edited)
        self.qasm_edit.applyRequested.connect(self.apply)
        self.apply_button.clicked.connect(self.apply)
        self.revert_button.clicked.connect(self.revert)
        self._task = ""
        self._pending = True  # written on the first show: a hidden pane costs nothing per edit
        self._shown = True

    def _build(self) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel("Task:"))
        top.addWidget(self.task_box, 1)
        qasm_page = QWidget()
        lay = QVBoxLayout(qasm_page)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addWidget(self.note)
        lay.addWidget(self.qasm_edit, 1)
        lay.addWidget(self.error)
        row = QHBoxLayout()
        row.addWidget(self.state, 1)
        row.addWidget(self.revert_button)
        row.addWidget(self.apply_button)
        lay.addLayout(row)
        self.tabs.addTab(qasm_page, "OpenQASM 3")
        self.tabs.addTab(self.py_view, "PennyLane")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addLayout(top)
        outer.addWidget(self.tabs, 1)

    def _document_changed(self, _path) -> None:
        if self._shown and self.isVisible():
            self._timer.start()
        else:
            self._pending = True

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._pending and self._shown:
            self.refresh()

    def set_shown(self, shown: bool) -> None:
        """Whether the pane can be seen (a dock behind another's tab is "visible" to Qt, yet unseen)."""
        self._shown = shown
        if shown and self._pending and self.isVisible():
            self.refresh()

    # ------------------------------------------------------------------------------------------- state
    def current_task(self) -> str:
        return self._task

    def is_edited(self) -> bool:
        return self._dirty

    def qasm_text(self) -> str:
        return self.qasm_edit.toPlainText()

    def set_task(self, task: str | int) -> bool:
        """Show task ``task`` (name or index); asks before dropping edits not applied."""
        names = [t.name for t in self.doc.spec.tasks]
        name = names[task] if isinstance(task, int) and 0 <= task < len(names) else task
        if name not in names or name == self._task:
            return name == self._task
        if self._dirty and messages.ask(self, "Unapplied QASM", f"Drop the QASM edits of task {self._task!r}?",
                                        ("Discard", "Keep Editing"), "Keep Editing") != "Discard":
            self.task_box.setCurrentText(self._task)
            return False
        self._task = name
        self._dirty = self._stale = False
        self.refresh()
        return True

    def _task_chosen(self, index: int) -> None:
        self.set_task(self.task_box.itemText(index))

    def _sync_tasks(self) -> None:
        names = [t.name for t in self.doc.spec.tasks]
        if [self.task_box.itemText(i) for i in range(self.task_box.count())] != names:
            self.task_box.blockSignals(True)
            self.task_box.clear()
            self.task_box.addItems(names)
            self.task_box.blockSignals(False)
        if self._task not in names:  # a renamed or removed task: the first one (edits of a gone task are moot)
            self._task = names[0] if names else ""
            self._dirty = self._stale = False
        self.task_box.setCurrentText(self._task)

    # ------------------------------------------------------------------------------------------- texts
    def refresh(self) -> None:
        """Write both texts again from the document (the QASM only when it holds no unapplied edits)."""
        self._timer.stop()
        self._pending = False
        self._sync_tasks()
        spec, task = self.doc.spec, self._task
        problem = self.doc.first_spec_problem()
        qasm = python = None
        program = None
        if problem is None and task:
            try:
                program = build_program(spec)
                qasm = task_qasm(program, task, spec.name)
                python = to_pennylane_source(program, None, tasks=[task], title=spec.name)
            except (UserError, ValueError) as exc:
                problem = first_line(exc)
        if problem is not None:
            qasm = python = None
            reason = f"the circuit cannot be written until the experiment's problem is fixed: {problem}"
        self._set_python(python if python is not None else f"# {reason}")
        if self._dirty:
            self._stale = self._stale or qasm != self._generated
        else:
            self._generated = qasm if qasm is not None else f"// {reason}"
            self._encoder = encoder_lines(program, qasm) if qasm is not None and program is not None else None
            self._set_qasm(self._generated)
            self.qasm_edit.setReadOnly(qasm is None)
        self._update_note()
        self._update_state()
        self.regenerated.emit()

    def _set_python(self, text: str) -> None:
        if self.py_view.toPlainText() == text:
            return
        bar = self.py_view.verticalScrollBar()
        value = bar.value()
        self.py_view.setPlainText(text)
        bar.setValue(value)

    def _set_qasm(self, text: str) -> None:
        bar = self.qasm_edit.verticalScrollBar()
        value = bar.value()
        self._setting = True
        try:
            if self.qasm_edit.toPlainText() != text:
                self.qasm_edit.setPlainText(text)
        finally:
            self._setting = False
        bar.setValue(value)
        self._encoder_marks = self._line_marks(*self._encoder, ENCODER_FILL) if self._encoder else []
        self._clear_error()

    def _edited(self) -> None:
        if self._setting:
            return
        self._dirty = self.qasm_edit.toPlainText() != self._generated
        if not self._dirty:
            self._stale = False
        self._update_state()

    def _update_state(self) -> None:
        if self._dirty:
            text = "edited — Apply (Ctrl+Return) or Revert"
            if self._stale:
                text += "; the circuit changed since (Revert shows it)"
        else:
            text = "in step with the composer"
        self.state.setText(text)
        self.apply_button.setEnabled(self._dirty)
        self.revert_button.setEnabled(self._dirty)

    def _update_note(self) -> None:
        spec = self.doc.spec
        names = [t.name for t in spec.tasks]
        if self._task not in names:
            self.note.setText("")
            return
        task = spec.tasks[names.index(self._task)]
        block = spec.block_for(task)
        parts = []
        if self._encoder is not None:
            first, last = self._encoder
            parts.append(f"Lines {first}–{last} (shaded) are the shared encoder: edit it in the composer.")
        if block.template != "Custom":
            parts.append(f"The block is the {block.template} template: applying QASM makes it a custom block.")
        if task.block is None:
            parts.append("The task uses the head's default block: applying gives it a block of its own.")
        self.note.setText(" ".join(parts))

    # ------------------------------------------------------------------------------------------- apply
    def apply(self) -> bool:
        """Read the QASM into the task's block: one undoable command, or an error at its line."""
        task = self._task
        if not self._dirty:  # nothing typed: the document already holds this circuit
            return False
        try:
            result = import_task_block(self.doc.spec, task, self.qasm_edit.toPlainText())
        except QasmError as exc:
            self._show_error(str(exc), exc.line, exc.column)
            return False
        except UserError as exc:
            self._show_error(first_line(exc, 400), 0, 0)
            return False
        if result.changed:
            C.set_block(self.doc, result.task_index, result.block, f"Apply OpenQASM to task {task}")
        self._dirty = self._stale = False
        self.refresh()
        note = "; ".join(result.notes) if result.changed else "no change"
        self.state.setText(f"applied: {note}" if result.changed else "applied: the circuit is unchanged")
        self.message.emit(f"OpenQASM applied to task {task}: {note}", False)
        self.applied.emit(note)
        return True

    def revert(self) -> None:
        self._dirty = self._stale = False
        self.refresh()

    def _show_error(self, text: str, line: int, column: int) -> None:
        self.error.setText(text)
        self._error_line = line
        self._mark_lines()
        if line:
            block = self.qasm_edit.document().findBlockByNumber(line - 1)
            cursor = QTextCursor(block)
            cursor.movePosition(QTextCursor.MoveOperation.Right, n=max(0, min(column - 1, block.length() - 1)))
            self.qasm_edit.setTextCursor(cursor)
            self.qasm_edit.ensureCursorVisible()
        self.message.emit(f"OpenQASM not applied: {text}", True)
        self.applyFailed.emit(text)

    def _clear_error(self) -> None:
        self.error.setText("")
        self._error_line = 0
        self._mark_lines()

    def error_line(self) -> int:
        return self._error_line

    def _mark_lines(self) -> None:
        """Shade the encoder's lines (their cursors follow edits of the text); mark the error's line."""
        marks = list(self._encoder_marks)
        if self._error_line:
            marks += self._line_marks(self._error_line, self._error_line, ERROR_FILL)
        self.qasm_edit.setExtraSelections(marks)

    def _line_marks(self, first: int, last: int, fill: QColor) -> list:
        doc = self.qasm_edit.document()
        marks = []
        for number in range(first - 1, min(last, first - 1 + MAX_SHADED_LINES)):
            sel = QTextEdit.ExtraSelection()
            sel.cursor = QTextCursor(doc.findBlockByNumber(number))
            sel.format.setBackground(fill)
            sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            marks.append(sel)
        return marks
