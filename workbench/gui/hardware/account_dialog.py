"""The IBM Quantum account dialog: the API key is typed into a masked field, handed to ``AccountStore.save`` and
cleared; an empty key is refused in place."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from workbench.errors import UserError
from workbench.gui.common.theme import LIGHT
from workbench.gui.common.worker import JobError


def one_line_of(exc: BaseException | JobError | str) -> str:
    from workbench.hardware.errors import one_line

    text = one_line(str(exc))
    if isinstance(exc, JobError):
        return text
    if isinstance(exc, BaseException) and not isinstance(exc, UserError):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text


class AccountDialog(QDialog):
    """Save the IBM Quantum account. The token field is masked and emptied once saved; an empty token is refused
    in place."""

    saved = Signal(object)  # Account.public() dict

    def __init__(self, account_store, parent: QWidget | None = None):
        super().__init__(parent)
        from workbench.hardware.account import CHANNELS, REGIONS

        self.account_store = account_store
        self.setWindowTitle("IBM Quantum account")
        self.setModal(True)
        form = QFormLayout(self)
        intro = QLabel("The API key is kept in the OS keyring, or where none works in Qiskit's account file "
                       "(readable only by you). It is never shown again, logged or stored with runs.")
        intro.setWordWrap(True)
        form.addRow(intro)
        self.channel = QComboBox()
        self.channel.addItems(list(CHANNELS))
        form.addRow("Channel:", self.channel)
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("IBM Cloud API key")
        self.token.setObjectName("tokenField")
        form.addRow("API key:", self.token)
        self.instance = QLineEdit()
        self.instance.setPlaceholderText("optional; ibm_cloud: the instance CRN")
        form.addRow("Instance:", self.instance)
        self.region = QComboBox()
        self.region.addItem("(any)", None)
        for r in REGIONS:
            self.region.addItem(r, r)
        form.addRow("Region:", self.region)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {LIGHT.error};")
        self.error_label.hide()
        form.addRow(self.error_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.try_save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.account = None
        self.resize(460, self.sizeHint().height())

    def try_save(self) -> bool:
        token = self.token.text()
        if not token.strip():
            self._error("token: empty: paste the IBM Cloud API key")
            return False
        try:
            self.account = self.account_store.save(token, self.channel.currentText(),
                                                   self.instance.text().strip() or None, self.region.currentData())
        except UserError as exc:
            self._error(one_line_of(exc))
            return False
        finally:
            del token
        self.token.clear()
        self.error_label.hide()
        self.saved.emit(self.account.public())
        self.accept()
        return True

    def _error(self, text: str) -> None:
        self.error_label.setText(f"⚠ {text}")
        self.error_label.show()
