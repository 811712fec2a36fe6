"""Log in: hub address, user, password, "remember me" (token in the OS keyring only)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class LoginDialog(QDialog):
    login_requested = Signal(str, str, str, bool)  # url, user, password, remember

    def __init__(self, hub_url: str, username: str, keyring_available: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Frontline — sign in"))
        self.setMinimumWidth(420)
        lay = QVBoxLayout(self)
        title = QLabel(self.tr("Sign in to your support hub"), self)
        title.setObjectName("sectionTitle")
        lay.addWidget(title)
        form = QFormLayout()
        self.url = QLineEdit(hub_url, self)
        self.url.setPlaceholderText("ws://hub.example.local:8765")
        self.user = QLineEdit(username, self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(self.tr("Hub address"), self.url)
        form.addRow(self.tr("User name"), self.user)
        form.addRow(self.tr("Password"), self.password)
        lay.addLayout(form)
        self.remember = QCheckBox(self.tr("Remember me on this computer"), self)
        lay.addWidget(self.remember)
        self.keyring_note = QLabel(self)
        self.keyring_note.setObjectName("muted")
        self.keyring_note.setWordWrap(True)
        if not keyring_available:
            self.remember.setChecked(False)
            self.remember.setEnabled(False)
            self.keyring_note.setText(self.tr(
                "This computer has no password keyring, so Frontline cannot remember you: "
                "you stay signed in until you close the app."))
        else:
            self.keyring_note.hide()
        lay.addWidget(self.keyring_note)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setObjectName("loginError")
        self.error.setStyleSheet("color: #d64545;")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        lay.addWidget(self.error)
        self.buttons = QDialogButtonBox(self)
        self.sign_in = QPushButton(self.tr("Sign in"), self)
        self.sign_in.setDefault(True)
        self.buttons.addButton(self.sign_in, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self.reject)
        self.sign_in.clicked.connect(self.submit)
        lay.addWidget(self.buttons)
        (self.password if username else self.user).setFocus()

    def submit(self) -> None:
        url, user, password = self.url.text().strip(), self.user.text().strip(), self.password.text()
        if not url or not user or not password:
            self.show_error(self.tr("Fill in the hub address, your user name and your password."))
            return
        self.error.hide()
        self.set_busy(True)
        self.login_requested.emit(url, user, password, self.remember.isChecked())

    def set_busy(self, busy: bool) -> None:
        self.sign_in.setEnabled(not busy)
        self.sign_in.setText(self.tr("Signing in…") if busy else self.tr("Sign in"))
        for w in (self.url, self.user, self.password):
            w.setEnabled(not busy)

    def show_error(self, text: str, *, retry: bool = False) -> None:
        self.set_busy(False)
        self.error.setText(text)
        self.error.show()
        if retry:
            self.sign_in.setText(self.tr("Retry"))
        else:
            self.password.selectAll()
            self.password.setFocus()
