"""Files of answer templates in the window against a real hub: the templates manager adds
files (uploaded with the ordinary checks: a renamed program is refused with the reason)
and removes them; inserting the template (``/shortcode`` + Tab, or choosing it in the
list) adds its files to the reply's attachments, where the operator can still remove
one before sending; what is sent is what the customer gets. No sleeps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.conftest import TestHub
from tests.helpers import CustomerClient, png_bytes, wait_until
from tests.ui.test_templates_ui import chat_window, composer_text, team_template

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_template_files_are_added_in_the_manager_and_go_with_the_reply(
    hub: TestHub, run: Any, make_client: Any, qtbot: Any, tmp_path: Path
) -> None:
    team_template(hub, "hello", "Greeting", "Hello!")  # so the composer has templates at once
    plan = tmp_path / "plan.png"
    plan.write_bytes(png_bytes(50, 30, (30, 90, 200)))
    terms = tmp_path / "terms.pdf"
    terms.write_bytes(PDF)
    program = tmp_path / "holiday.png"
    program.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200)

    async def scenario() -> None:
        async with CustomerClient.connected(hub.ws_url, name="Iryna Koval", locale="uk") as cust:
            w = await chat_window(hub, make_client, qtbot, cust)
            dlg = w.open_templates()
            dlg.new_template()
            dlg.shortcode.setText("plan")
            dlg.title.setText("Router plan")
            dlg.body.setPlainText("Here is the plan and the terms.")
            dlg.add_files([str(plan), str(terms), str(program)])
            await wait_until(lambda: not dlg.uploading, message="the uploads")
            assert sorted(f.name for f in dlg.files) == ["plan.png", "terms.pdf"]  # (in the order they finish)
            assert "holiday.png was not added" in dlg.message.text() and "not allowed" in dlg.message.text()
            assert dlg.file_list.count() == 2
            # the PDF is taken off again before saving
            dlg.file_list.setCurrentRow([f.name for f in dlg.files].index("terms.pdf"))
            dlg.remove_selected_file()
            assert [f.name for f in dlg.files] == ["plan.png"]
            dlg.save()
            await wait_until(
                lambda: any(t.shortcode == "plan" for t in w.bridge.session.templates.values()),
                message="the template saved",
            )
            (saved,) = [t for t in w.bridge.session.templates.values() if t.shortcode == "plan"]
            assert [f.name for f in saved.files] == ["plan.png"]
            dlg.close()
            await wait_until(lambda: "plan" in w.pane.composer.templates, message="/plan in the composer")

            # /plan + Tab: the text and the file, nothing sent yet
            composer = w.pane.composer
            composer.setFocus()
            QTest.keyClicks(composer, "/plan")
            QTest.keyClick(composer, Qt.Key.Key_Tab)
            assert composer_text(w) == "Here is the plan and the terms."
            (chip,) = w.pane.pending.values()
            assert chip.info is not None and chip.info.id == saved.files[0].id
            assert chip.label.text().startswith("✓ plan.png")
            assert all(m.author == "customer" for m in w.bridge.messages(w.current_id or 0))
            # inserting it again does not add the same file twice
            w.pane.add_template_files(saved)
            assert len(w.pane.pending) == 1
            QTest.keyClick(composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            got = await cust.wait_message(lambda m: m.author == "operator")
            assert got.text == "Here is the plan and the terms."
            assert [a.name for a in got.attachments] == ["plan.png"]
            await wait_until(lambda: not w.pane.pending and composer_text(w) == "", message="the composer emptied")

            # chosen from the list: the file comes along, and the operator removes it
            QTest.keyClicks(composer, "/pla")
            popup = composer.completion
            assert popup is not None and popup.isVisible()
            assert composer.choose()
            assert composer_text(w) == "Here is the plan and the terms."
            (key,) = w.pane.pending
            w.pane.remove_pending(key)
            assert not w.pane.pending
            composer.selectAll()
            composer.insertPlainText("Text only this time")
            QTest.keyClick(composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            second = await cust.wait_message(lambda m: m.author == "operator" and m.text == "Text only this time")
            assert second.attachments == []

    run(scenario())
