"""A knowledge-base article editor for supervisors and admins: title, body (Markdown),
language, tags, visibility. Saving goes through the KbBridge (``kb_save``); the dialog
closes when the hub has stored the article, and a refusal keeps everything typed and
says why. Operators never get here (the search dialog offers no edit to them, and the
hub refuses them anyway)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ui.bridge.kb_bridge import KbBridge


class KbEditorDialog(QDialog):
    def __init__(self, kb: KbBridge, article: Any | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kb = kb
        self.article = article
        self.setMinimumSize(560, 480)
        self.resize(720, 600)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.title = QLineEdit(self)
        self.title.setMaxLength(300)
        self.language = QComboBox(self)
        for code, name in (("ru", "Русский"), ("uk", "Українська"), ("en", "English")):
            self.language.addItem(name, code)
        self.tags = QLineEdit(self)
        self.visibility = QComboBox(self)
        self.title_label, self.language_label = QLabel(self), QLabel(self)
        self.tags_label, self.visibility_label = QLabel(self), QLabel(self)
        form.addRow(self.title_label, self.title)
        form.addRow(self.language_label, self.language)
        form.addRow(self.tags_label, self.tags)
        form.addRow(self.visibility_label, self.visibility)
        lay.addLayout(form)
        self.body_label = QLabel(self)
        lay.addWidget(self.body_label)
        self.body = QPlainTextEdit(self)
        lay.addWidget(self.body, 1)
        self.message = QLabel(self)
        self.message.setObjectName("fieldMessage")
        self.message.setProperty("kind", "error")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        lay.addWidget(self.buttons)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        kb.article_saved.connect(self._saved)
        kb.article_save_failed.connect(self._failed)
        self.saving = False
        self.retranslate()
        if article is not None:
            self.title.setText(str(getattr(article, "title", "")))
            self.body.setPlainText(str(getattr(article, "body", "")))
            self.language.setCurrentIndex(max(0, self.language.findData(getattr(article, "lang", "ru"))))
            self.tags.setText(", ".join(getattr(article, "tags", ()) or ()))
            self.visibility.setCurrentIndex(
                max(0, self.visibility.findData(getattr(article, "visibility", "internal")))
            )

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("New article") if self.article is None else self.tr("Edit article"))
        self.title_label.setText(self.tr("Title"))
        self.language_label.setText(self.tr("Language"))
        self.tags_label.setText(self.tr("Tags"))
        self.tags.setPlaceholderText(self.tr("comma-separated, e.g. refund, policy"))
        self.visibility_label.setText(self.tr("Visible to"))
        current = self.visibility.currentData()
        self.visibility.clear()
        self.visibility.addItem(self.tr("Operators only (internal)"), "internal")
        self.visibility.addItem(self.tr("Customers too (public)"), "public")
        self.visibility.setCurrentIndex(max(0, self.visibility.findData(current)))
        self.body_label.setText(self.tr("Text (Markdown: **bold**, lists with 1. or -)"))
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setText(self.tr("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))

    def fields(self) -> dict[str, Any]:
        tags = [t.strip() for t in self.tags.text().split(",") if t.strip()]
        return {
            "id": getattr(self.article, "id", None) if self.article is not None else None,
            "title": self.title.text().strip(),
            "body": self.body.toPlainText(),
            "lang": self.language.currentData(),
            "tags": tags,
            "visibility": self.visibility.currentData(),
        }

    def save(self) -> None:
        f = self.fields()
        if not f["title"] or not f["body"].strip():
            self.message.setText(self.tr("An article needs a title and a text."))
            return
        self.message.clear()
        self.saving = True
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
        self.kb.save_article(f)

    def _saved(self, article: Any) -> None:
        if not self.saving:
            return
        self.saving = False
        self.article = article
        self.accept()

    def _failed(self, text: str, hub_text: str) -> None:
        if not self.saving:
            return
        self.saving = False
        self.message.setText(text)
        self.message.setToolTip(hub_text)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(True)
