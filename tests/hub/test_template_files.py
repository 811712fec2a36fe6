"""Files of answer templates against a real hub: a template carries files uploaded through
the ordinary upload path (same checks and limits), everyone who may use the template
reads and sends its files, nobody can slip someone else's upload into a template, bad
input is refused and writes nothing, and files held by a template are never swept as
orphans. No sleeps: every wait is on a condition."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.protocol import convert
from app.protocol.messages import SendMessage, TemplateDelete, TemplateDraft, TemplateInfo, TemplateList, TemplateSave
from app.storage import Store, make_engine
from app.storage.files import FileStore
from app.storage.repo import utcnow
from tests.conftest import TestHub
from tests.helpers import CommandFailed, CustomerClient, OperatorClient, file_urls, http_get, png_bytes, txn, upload
from tests.hub.test_cli import run_cli
from tests.hub.test_customer_card import scenario, signed_in

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def save(op: Any, **kw: Any) -> TemplateInfo:
    data = await op.request(TemplateSave(txn_id=txn(), template=TemplateDraft(**kw)))
    return convert(data["template"], TemplateInfo)


async def listed(op: Any) -> dict[str, TemplateInfo]:
    data = await op.request(TemplateList(txn_id=txn()))
    return {t.shortcode: t for t in (convert(x, TemplateInfo) for x in data["templates"])}


@scenario
async def test_a_team_templates_files_are_read_and_sent_by_every_operator(hub: TestHub) -> None:
    sup = await signed_in(hub, "supervisor")
    op = await signed_in(hub)
    cust = await CustomerClient.connect(hub.ws_url)
    try:
        picture = png_bytes(60, 40, (20, 160, 90))
        png = await upload(sup, picture, "how-to-pay.png")
        pdf = await upload(sup, PDF, "Тарифи.pdf")
        team = await save(
            sup, shortcode="pay", title="How to pay", body="See the picture.", scope="team",
            files=[png["id"], pdf["id"]],
        )
        assert [(f.id, f.name, f.mime) for f in team.files] == [
            (png["id"], "how-to-pay.png", "image/png"), (pdf["id"], "Тарифи.pdf", "application/pdf"),
        ]
        assert (team.files[0].width, team.files[0].height) == (60, 40)
        # an operator sees the files with the template and may read them
        seen = (await listed(op))["pay"]
        assert [f.id for f in seen.files] == [png["id"], pdf["id"]]
        urls = await file_urls(op, [png["id"], pdf["id"]])
        status, _h, body = await http_get(hub.http_url + urls[str(png["id"])])
        assert status == 200 and body == picture
        # ... and send them to a customer although a supervisor uploaded them
        sent = await cust.send("How do I pay?")
        await op.wait_conversation(lambda c: c.id == sent.conversation_id and c.status == "open")
        reply = await op.request(
            SendMessage(txn_id=txn(), conversation_id=sent.conversation_id, text="See the picture.",
                        attachments=[png["id"], pdf["id"]])
        )
        assert [a["id"] for a in reply["message"]["attachments"]] == [png["id"], pdf["id"]]  # type: ignore[index]
        got = await cust.wait_message(lambda m: m.author == "operator")
        assert [a.name for a in got.attachments] == ["how-to-pay.png", "Тарифи.pdf"]

        # a personal template's files are its owner's: another operator can neither
        # read nor send them
        mine = await upload(op, png_bytes(5, 5), "mine.png")
        personal = await save(op, shortcode="mine", title="Mine", body="x", files=[mine["id"]])
        assert [f.id for f in personal.files] == [mine["id"]]
        op2 = await signed_in(hub, "operator2")
        assert str(mine["id"]) not in await file_urls(op2, [mine["id"]])
        with pytest.raises(CommandFailed) as refused:
            await op2.request(SendMessage(txn_id=txn(), conversation_id=sent.conversation_id, text="x",
                                          attachments=[mine["id"]]))
        assert refused.value.error.code == "forbidden"
        await op2.close()
    finally:
        await cust.close()
        await op.close()
        await sup.close()


@scenario
async def test_bad_template_files_are_refused_and_nothing_is_written(hub: TestHub) -> None:
    sup = await signed_in(hub, "supervisor")
    op = await signed_in(hub)
    try:
        own = await upload(op, png_bytes(4, 4), "own.png")
        foreign = await upload(sup, png_bytes(6, 6), "supervisors.png")
        t = await save(op, shortcode="hi", title="Hi", body="Hello", files=[own["id"]])
        cases = [
            ([own["id"], foreign["id"]], "forbidden", "not uploaded by you"),  # someone else's upload
            ([own["id"], own["id"]], "invalid_value", "twice"),
            ([own["id"], 999_999], "not_found", "no file 999999"),
            ([own["id"]] * 11, "invalid_value", "at most 10"),
        ]
        for files, code, says in cases:
            with pytest.raises(CommandFailed) as failed:
                await save(op, id=t.id, shortcode="hi", title="Changed", body="Changed", files=files)
            assert failed.value.error.code == code and says in failed.value.error.text, files
        now = (await listed(op))["hi"]
        assert (now.title, [f.id for f in now.files]) == ("Hi", [own["id"]])  # nothing written
        # removing a file from the template is a save without it
        again = await save(op, id=t.id, shortcode="hi", title="Hi", body="Hello", files=[])
        assert again.files == []
        # another editor keeps files a template already has (an admin changes the text
        # of a team template whose picture a supervisor uploaded)
        team = await save(sup, shortcode="pic", title="Pic", body="a", scope="team", files=[foreign["id"]])
        made = run_cli("user", "add", "boss", "--role", "admin", "--password-stdin", "--db", hub.db_url,
                       stdin="boss-password-123\n")
        assert made.returncode == 0, made.stderr
        admin = await OperatorClient.connect(hub.ws_url)
        await admin.login("boss", "boss-password-123")
        kept = await save(admin, id=team.id, shortcode="pic", title="Pic", body="b", scope="team",
                          files=[foreign["id"]])
        assert [f.id for f in kept.files] == [foreign["id"]] and kept.body == "b"
        with pytest.raises(CommandFailed) as failed:  # but adds no upload of someone else
            await save(admin, id=team.id, shortcode="pic", title="Pic", body="b", scope="team",
                       files=[foreign["id"], own["id"]])
        assert failed.value.error.code == "forbidden"
        await admin.close()
    finally:
        await op.close()
        await sup.close()


def test_files_of_templates_are_not_swept_as_orphans(hub: TestHub) -> None:
    import asyncio

    async def prepare() -> tuple[int, int, int]:
        sup = await signed_in(hub, "supervisor")
        try:
            held = await upload(sup, png_bytes(7, 7), "held.png")
            dropped = await upload(sup, png_bytes(8, 8), "dropped.png")
            deleted = await upload(sup, png_bytes(9, 9), "deleted.png")
            t = await save(sup, shortcode="keep", title="Keep", body="k", scope="team",
                           files=[held["id"], dropped["id"]])
            await save(sup, id=t.id, shortcode="keep", title="Keep", body="k", scope="team", files=[held["id"]])
            gone = await save(sup, shortcode="gone", title="Gone", body="g", scope="team", files=[deleted["id"]])
            await sup.request(TemplateDelete(txn_id=txn(), template_id=gone.id))
            return int(held["id"]), int(dropped["id"]), int(deleted["id"])
        finally:
            await sup.close()

    held, dropped, deleted = asyncio.run(prepare())
    engine = make_engine(hub.db_url)
    try:
        files = FileStore(Store(engine)._sessions, Path(hub.db_url.removeprefix("sqlite:///")).parent / "files")
        held_path = files.get(held).path  # type: ignore[union-attr]
        # a day later: the template's file stays, the ones taken off or deleted with it go
        assert files.sweep_orphans(utcnow() + timedelta(seconds=1)) == 2
        assert files.get(held) is not None and held_path.is_file()
        assert files.get(dropped) is None and files.get(deleted) is None
    finally:
        engine.dispose()
