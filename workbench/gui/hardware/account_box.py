"""The IBM Quantum account as the hardware panel shows it: where it is kept and how long the key is (never the
key), Set / Delete, and the local testing mode switch (forced on without an account)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from workbench.errors import UserError
from workbench.gui.common import messages
from workbench.gui.common.theme import LIGHT, Theme
from workbench.gui.hardware.account_dialog import AccountDialog, one_line_of


class AccountBox(QGroupBox):
    changed = Signal()  # the account or the mode changed: the backends are listed again
    status = Signal(str, bool)  # a line for the panel's status (text, is an error)

    def __init__(self, account_store, parent=None):
        super().__init__("IBM Quantum account", parent)
        self.account_store = account_store
        self.theme = LIGHT
        self.account = None  # the saved Account, handed to the worker (which connects); never shown
        self.account_public: dict | None = None
        av = QVBoxLayout(self)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        av.addWidget(self.label)
        row = QHBoxLayout()
        self.set_button = QPushButton("Set account…")
        self.set_button.clicked.connect(self.open_dialog)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete)
        row.addWidget(self.set_button)
        row.addWidget(self.delete_button)
        row.addStretch(1)
        av.addLayout(row)
        self.local_box = QCheckBox("Local testing mode (fake backends, Aer)")
        self.local_box.setToolTip("Run on qiskit-ibm-runtime's fake backends in this process; nothing is sent "
                                  "to IBM")
        self.local_box.toggled.connect(lambda _on: self.changed.emit())
        av.addWidget(self.local_box)
        av.addStretch(1)

    @property
    def local(self) -> bool:
        return self.account_public is None or self.local_box.isChecked()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self._show()

    def load(self) -> None:
        try:
            account = self.account_store.load()
        except UserError as exc:
            account = None
            self.status.emit(one_line_of(exc), True)
        self.account = account
        self.account_public = account.public() if account else None
        self._show()

    def _set_local(self, on: bool) -> None:
        self.local_box.blockSignals(True)
        self.local_box.setChecked(on)
        self.local_box.blockSignals(False)

    def _show(self) -> None:
        a = self.account_public
        if a is None:
            self.label.setText("<i>No account set.</i> Backends are local testing mode's fake devices.")
            self._set_local(True)
            self.local_box.setEnabled(False)
            self.delete_button.setEnabled(False)
            return
        where = "OS keyring" if a["storage"] == "keyring" else \
            "account file (mode 0600)" if a["storage"] == "file" else a["storage"]
        self.label.setText(
            f"Channel <b>{html.escape(a['channel'])}</b>, instance {html.escape(a['instance'] or '–')}"
            f"{', region ' + html.escape(a['region']) if a['region'] else ''}<br>"
            f"API key: {html.escape(a['token'])}, stored in the <b>{where}</b><br>"
            f"<span style='color:{self.theme.muted}'>{html.escape(a['location'])}</span>")
        self.local_box.setEnabled(True)
        self.delete_button.setEnabled(a["storage"] != "environment")

    def open_dialog(self) -> AccountDialog:
        dlg = AccountDialog(self.account_store, self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.saved.connect(self._saved)
        dlg.open()  # not exec(): never blocks a test
        self._dialog = dlg
        return dlg

    def _saved(self, public: dict) -> None:
        try:
            self.account = self.account_store.load()
        except UserError:
            self.account = None
        self.account_public = public
        self._show()
        self._set_local(False)
        self.status.emit(f"account saved in the {'OS keyring' if public['storage'] == 'keyring' else 'account file'}"
                         f": {public['location']}", False)
        self.changed.emit()

    def delete(self) -> None:
        if messages.ask(self, "Delete account", "Remove the IBM Quantum account from this computer?",
                        ("Delete", "Keep"), "Keep") != "Delete":
            return
        removed = self.account_store.delete()
        self.account = None
        self.account_public = None
        self._show()
        self.status.emit("removed: " + "; ".join(removed) if removed else "no account was saved", False)
        self.changed.emit()
