"""The answer templates manager: the templates by category with a search on the left,
the chosen one on the right. Operators create, change and delete their personal
templates; team templates are changed by supervisors and admins only (for operators
they are read-only, and the dialog says why). Every change goes through the
TemplateBridge; a refusal keeps what was typed and says the reason. A template may carry
files (images, PDF): added with "Add file…" (uploaded at once through the FilesBridge,
with the same checks as a reply's attachments) and removed again; they are saved with the
template."""

from __future__ import annotations

import itertools
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.templates import LANGUAGES, VARIABLES
from app.protocol.messages import AttachmentInfo, TemplateDraft, TemplateInfo
from ui.bridge.files_bridge import FilesBridge
from ui.bridge.template_bridge import TemplateBridge
from ui.widgets.conversation import size_text

IdRole = Qt.ItemDataRole.UserRole + 1
FileRole = Qt.ItemDataRole.UserRole + 2
_upload_keys = itertools.count(1)


class TemplatesDialog(QDialog):
    saved = Signal(object)  # TemplateInfo

    def __init__(
        self, bridge: TemplateBridge, parent: QWidget | None = None, files: FilesBridge | None = None
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.files_bridge = files  # uploads of the template's files (None: files cannot be added)
        self.current: TemplateInfo | None = None  # None: a new template (or nothing chosen)
        self.files: list[AttachmentInfo] = []  # the template's files as edited here
        self.uploading: dict[str, str] = {}  # upload key -> file name
        self.setMinimumSize(760, 480)
        self.resize(900, 560)

        outer = QVBoxLayout(self)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        outer.addWidget(split, 1)

        left = QWidget(split)
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit(left)
        self.search.setClearButtonEnabled(True)
        ll.addWidget(self.search)
        self.tree = QTreeWidget(left)
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(2)
        self.tree.setRootIsDecorated(True)
        ll.addWidget(self.tree, 1)
        self.new_button = QPushButton(left)
        ll.addWidget(self.new_button)
        split.addWidget(left)

        right = QWidget(split)
        rl = QVBoxLayout(right)
        rl.setContentsMargins(8, 0, 0, 0)
        self.readonly_note = QLabel(right)
        self.readonly_note.setObjectName("cardNote")
        self.readonly_note.setWordWrap(True)
        rl.addWidget(self.readonly_note)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.shortcode = QLineEdit(right)
        self.shortcode.setMaxLength(33)
        self.title = QLineEdit(right)
        self.title.setMaxLength(200)
        self.category = QComboBox(right)
        self.category.setEditable(True)
        self.language = QComboBox(right)
        self.scope = QComboBox(right)
        self.body = QPlainTextEdit(right)
        self.shortcode_label, self.title_label = QLabel(right), QLabel(right)
        self.category_label, self.language_label = QLabel(right), QLabel(right)
        self.scope_label, self.body_label = QLabel(right), QLabel(right)
        form.addRow(self.shortcode_label, self.shortcode)
        form.addRow(self.title_label, self.title)
        form.addRow(self.category_label, self.category)
        form.addRow(self.language_label, self.language)
        form.addRow(self.scope_label, self.scope)
        rl.addLayout(form)
        rl.addWidget(self.body_label)
        rl.addWidget(self.body, 1)
        files_row = QHBoxLayout()
        self.files_label = QLabel(right)
        files_row.addWidget(self.files_label)
        files_row.addStretch(1)
        self.add_file_button = QPushButton(right)
        self.remove_file_button = QPushButton(right)
        files_row.addWidget(self.add_file_button)
        files_row.addWidget(self.remove_file_button)
        rl.addLayout(files_row)
        self.file_list = QListWidget(right)
        self.file_list.setObjectName("templateFiles")
        self.file_list.setMaximumHeight(3 * self.file_list.fontMetrics().lineSpacing() + 16)
        rl.addWidget(self.file_list)
        self.help = QLabel(right)
        self.help.setObjectName("muted")
        self.help.setWordWrap(True)
        self.help.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        rl.addWidget(self.help)
        self.changed_label = QLabel(right)
        self.changed_label.setObjectName("muted")
        rl.addWidget(self.changed_label)
        self.message = QLabel(right)
        self.message.setObjectName("fieldMessage")
        self.message.setProperty("kind", "error")
        self.message.setWordWrap(True)
        rl.addWidget(self.message)
        actions = QHBoxLayout()
        self.delete_button = QPushButton(right)
        actions.addWidget(self.delete_button)
        self.copy_button = QPushButton(right)
        actions.addWidget(self.copy_button)
        actions.addStretch(1)
        self.save_button = QPushButton(right)
        self.save_button.setDefault(True)
        actions.addWidget(self.save_button)
        rl.addLayout(actions)
        split.addWidget(right)
        split.setSizes([380, 520])
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)

        self.search.textChanged.connect(lambda _t: self.refresh())
        self.tree.currentItemChanged.connect(self._item_changed)
        self.new_button.clicked.connect(self.new_template)
        self.save_button.clicked.connect(self.save)
        self.delete_button.clicked.connect(self.delete)
        self.copy_button.clicked.connect(self.copy_as_personal)
        self.add_file_button.clicked.connect(self._choose_files)
        self.remove_file_button.clicked.connect(self.remove_selected_file)
        self.file_list.currentRowChanged.connect(lambda _r: self._update_state())
        if files is not None:
            files.upload_progressed.connect(self._upload_progressed)
            files.upload_finished.connect(self._upload_finished)
            files.upload_failed.connect(self._upload_failed)
        bridge.templates_changed.connect(self.refresh)
        bridge.template_saved.connect(self._saved)
        bridge.template_failed.connect(self._failed)
        bridge.template_deleted.connect(self._deleted)
        self.retranslate()
        self.refresh()
        self.new_template()

    # ------------------------------------------------------------------ text

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Answer templates"))
        self.search.setPlaceholderText(self.tr("Search by shortcode, title or text"))
        self.new_button.setText(self.tr("New personal template"))
        self.shortcode_label.setText(self.tr("Shortcode"))
        self.shortcode.setPlaceholderText(self.tr("e.g. refund, typed as /refund"))
        self.title_label.setText(self.tr("Title"))
        self.category_label.setText(self.tr("Category"))
        self.language_label.setText(self.tr("Language"))
        self.scope_label.setText(self.tr("Who sees it"))
        self.body_label.setText(self.tr("Text"))
        self.files_label.setText(self.tr("Files sent with the template (images, PDF)"))
        self.add_file_button.setText(self.tr("Add file…"))
        self.add_file_button.setToolTip(self.tr("Inserting the template attaches these files to the reply"))
        self.remove_file_button.setText(self.tr("Remove file"))
        self.save_button.setText(self.tr("Save"))
        self.delete_button.setText(self.tr("Delete"))
        self.copy_button.setText(self.tr("Make a personal copy"))
        names = {"": self.tr("Any language"), "en": "English", "ru": "Русский", "uk": "Українська"}
        current = self.language.currentData()
        self.language.clear()
        for code in LANGUAGES:
            self.language.addItem(names[code], code)
        self.language.setCurrentIndex(max(0, self.language.findData(current)))
        scope = self.scope.currentData()
        self.scope.clear()
        self.scope.addItem(self.tr("Only me (personal)"), "personal")
        self.scope.addItem(self.tr("The whole team"), "team")
        self.scope.setCurrentIndex(max(0, self.scope.findData(scope)))
        self.help.setText(
            self.tr(
                "Variables filled in from the conversation: %1. A fill-in prompt such as "
                "{?Policy number} asks you for the value when the template is inserted."
            ).replace("%1", ", ".join("{" + v + "}" for v in VARIABLES))
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("Close"))
        self._update_state()

    # ------------------------------------------------------------------ list

    def refresh(self) -> None:
        needle = self.search.text().strip().casefold().lstrip("/")
        keep = self.current.id if self.current is not None else None
        self.tree.blockSignals(True)
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        categories: list[str] = []
        selected: QTreeWidgetItem | None = None
        for t in self.bridge.templates():
            if t.category and t.category not in categories:
                categories.append(t.category)
            hay = f"{t.shortcode} {t.title} {t.body}".casefold()
            if needle and needle not in hay:
                continue
            cat = t.category or self.tr("No category")
            group = groups.get(cat)
            if group is None:
                group = groups[cat] = QTreeWidgetItem(self.tree, [cat])
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                group.setExpanded(True)
            scope = self.tr("team") if t.scope == "team" else self.tr("personal")
            item = QTreeWidgetItem(group, [f"/{t.shortcode}", f"{t.title} · {scope}"])
            item.setData(0, IdRole, t.id)
            item.setToolTip(0, t.body)
            item.setToolTip(1, t.body)
            if t.id == keep:
                selected = item
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        if selected is not None:
            self.tree.setCurrentItem(selected)
        self.tree.blockSignals(False)
        text = self.category.currentText()
        self.category.clear()
        self.category.addItems(categories)
        self.category.setEditText(text)
        if keep is not None and keep not in self.bridge.session.templates:
            self.new_template()  # deleted meanwhile (here or elsewhere)
        elif keep is not None:
            fresh = self.bridge.session.templates[keep]
            if fresh != self.current and not self._dirty():
                self._show(fresh)

    def visible_shortcodes(self) -> list[str]:
        """The templates listed (for tests and the empty-state check)."""
        found = []
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            for j in range(group.childCount()):
                found.append(group.child(j).text(0))
        return found

    def select(self, template_id: int) -> None:
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            for j in range(group.childCount()):
                if group.child(j).data(0, IdRole) == template_id:
                    self.tree.setCurrentItem(group.child(j))
                    return

    def _item_changed(self, item: QTreeWidgetItem | None, _prev: QTreeWidgetItem | None) -> None:
        if item is None:
            return
        tid = item.data(0, IdRole)
        t = self.bridge.session.templates.get(tid) if tid is not None else None
        if t is not None:
            self._show(t)

    # ------------------------------------------------------------------ editor

    def new_template(self) -> None:
        self.current = None
        self.tree.setCurrentItem(None)  # type: ignore[arg-type]
        for edit in (self.shortcode, self.title):
            edit.clear()
        self.category.setEditText("")
        self.body.clear()
        self.language.setCurrentIndex(0)
        self.scope.setCurrentIndex(0)
        self.message.clear()
        self._set_files([])
        self._update_state()

    def copy_as_personal(self) -> None:
        """The chosen template's text as a new personal template (saved when Save is pressed)."""
        t = self.current
        if t is None:
            return
        self.tree.setCurrentItem(None)  # type: ignore[arg-type]
        self.current = None
        self.scope.setCurrentIndex(max(0, self.scope.findData("personal")))
        self._update_state()
        self.shortcode.setFocus()
        self.shortcode.selectAll()

    def _show(self, t: TemplateInfo) -> None:
        self.current = t
        self.shortcode.setText(t.shortcode)
        self.title.setText(t.title)
        self.category.setEditText(t.category)
        self.language.setCurrentIndex(max(0, self.language.findData(t.language)))
        self.scope.setCurrentIndex(max(0, self.scope.findData(t.scope)))
        self.body.setPlainText(t.body)
        self.message.clear()
        self._set_files(t.files)
        self._update_state()

    def _dirty(self) -> bool:
        t = self.current
        return t is not None and (self.draft() != self._draft_of(t))

    @staticmethod
    def _draft_of(t: TemplateInfo) -> TemplateDraft:
        return TemplateDraft(
            id=t.id, shortcode=t.shortcode, title=t.title, body=t.body, scope=t.scope,
            category=t.category, language=t.language, files=[f.id for f in t.files],
        )

    def editable(self) -> bool:
        t = self.current
        return t is None or self.bridge.may_edit(t)

    def _update_state(self) -> None:
        t = self.current
        can = self.editable()
        for w in (self.shortcode, self.title):
            w.setReadOnly(not can)
        self.body.setReadOnly(not can)
        self.category.setEnabled(can)
        self.language.setEnabled(can)
        # the scope is chosen when a template is made; team only for supervisors and admins
        self.scope.setEnabled(t is None and self.bridge.can_edit_team)
        self.save_button.setEnabled(can)
        self.add_file_button.setVisible(can and self.files_bridge is not None)
        self.remove_file_button.setVisible(can and self.files_bridge is not None)
        self.remove_file_button.setEnabled(can and self.file_list.currentRow() >= 0)
        # a read-only template without files: no empty "Files" heading
        self.files_label.setVisible(can or bool(self.files))
        self.delete_button.setVisible(t is not None)
        self.delete_button.setEnabled(t is not None and can)
        self.copy_button.setVisible(t is not None and not can)
        if t is not None and not can:
            self.readonly_note.setText(
                self.tr(
                    "This is a team template: everyone can use it, only supervisors and admins can change it. "
                    "Make a personal copy if you need another wording."
                )
            )
            self.readonly_note.show()
        else:
            self.readonly_note.hide()
        self.changed_label.clear()
        if t is not None:
            when = t.updated_at.astimezone().strftime("%d.%m.%Y %H:%M")
            who = self.bridge.operator_name(t.updated_by)
            self.changed_label.setText(
                self.tr("Last changed %1 by %2").replace("%1", when).replace("%2", who)
                if who else self.tr("Last changed %1").replace("%1", when)
            )

    def draft(self) -> TemplateDraft:
        t = self.current
        return TemplateDraft(
            id=t.id if t is not None else None,
            shortcode=self.shortcode.text().strip(),
            title=self.title.text().strip(),
            body=self.body.toPlainText(),
            scope=t.scope if t is not None else self.scope.currentData(),
            category=self.category.currentText().strip(),
            language=self.language.currentData() or "",
            files=[f.id for f in self.files],
        )

    # ------------------------------------------------------------------ files

    def _set_files(self, files: list[AttachmentInfo]) -> None:
        self.files = list(files)
        self.uploading.clear()
        self._render_files()

    def _render_files(self) -> None:
        self.file_list.clear()
        for f in self.files:
            item = QListWidgetItem(f"📎 {f.name} · {size_text(self, f.size)}", self.file_list)
            item.setData(FileRole, f.id)
        for key, name in self.uploading.items():
            item = QListWidgetItem(self.tr("%1 · uploading…").replace("%1", name), self.file_list)
            item.setData(FileRole, key)
        self.file_list.setVisible(bool(self.files or self.uploading))
        self._update_state()

    def _choose_files(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(
            self,
            self.tr("Add files to the template"),
            "",
            self.tr("Images and PDF (*.png *.jpg *.jpeg *.gif *.webp *.pdf);;All files (*)"),
        )
        self.add_files(paths)

    def add_files(self, paths: list[str]) -> None:
        """Upload these files (same checks as a reply's attachments); each joins the
        template's files when the hub has it (saved with the template)."""
        if self.files_bridge is None or not self.editable():
            return
        for path in paths:
            key = f"tpl{next(_upload_keys)}"
            self.uploading[key] = Path(path).name
            self.message.clear()
            self._render_files()
            self.files_bridge.upload_path(key, path)

    def remove_selected_file(self) -> None:
        item = self.file_list.currentItem()
        if item is None or not self.editable():
            return
        ident = item.data(FileRole)
        if isinstance(ident, str):
            self.uploading.pop(ident, None)
            if self.files_bridge is not None:
                self.files_bridge.cancel(ident)
        else:
            self.files = [f for f in self.files if f.id != ident]
        self._render_files()

    def _upload_progressed(self, key: str, _sent: int, _size: int) -> None:
        pass  # the list says "uploading…"; a template's files are small and few

    def _upload_finished(self, key: str, info: AttachmentInfo) -> None:
        if self.uploading.pop(key, None) is None:
            return  # not ours (the composer's) or removed meanwhile
        if all(f.id != info.id for f in self.files):
            self.files.append(info)
        self._render_files()

    def _upload_failed(self, key: str, text: str) -> None:
        name = self.uploading.pop(key, None)
        if name is None:
            return
        if text:
            self.message.setText(self.tr("%1 was not added: %2").replace("%1", name).replace("%2", text))
        self._render_files()

    # ------------------------------------------------------------------ saving

    def save(self) -> None:
        if not self.editable():
            return
        if self.uploading:
            self.message.setText(self.tr("Wait until the files are uploaded, then save."))
            return
        self.message.clear()
        self.save_button.setEnabled(False)
        self.bridge.save(self.draft())

    def delete(self) -> None:
        t = self.current
        if t is None or not self.editable():
            return
        answer = QMessageBox.question(
            self,
            self.tr("Delete template"),
            self.tr("Delete the template /%1 “%2”?").replace("%1", t.shortcode).replace("%2", t.title),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.bridge.delete(t.id)

    def _saved(self, t: TemplateInfo) -> None:
        self.current = t
        self.refresh()
        self.select(t.id)
        self._show(t)
        self.message.clear()
        self.saved.emit(t)

    def _deleted(self, template_id: int) -> None:
        if self.current is not None and self.current.id == template_id:
            self.new_template()
        self.refresh()

    def _failed(self, text: str, hub_text: str) -> None:
        self.message.setText(text)
        self.message.setToolTip(hub_text)
        self._update_state()
