"""Answer templates against a real hub: operators keep personal templates of their own,
everyone reads the team's, only supervisors and admins change those; shortcodes are
unique per scope; a retried save or delete acts once; ``template_updated`` reaches the
operators who can see the template and nobody else; bad input is refused with a clear
error and writes nothing. No sleeps: every wait is on a condition."""

from __future__ import annotations

from typing import Any

import pytest

from app.protocol import convert
from app.protocol.messages import (
    TemplateDelete,
    TemplateDraft,
    TemplateInfo,
    TemplateList,
    TemplateSave,
    TemplateUpdated,
)
from tests.conftest import TestHub
from tests.helpers import CommandFailed, OperatorClient, txn
from tests.hub.test_customer_card import scenario, signed_in


async def save(op: OperatorClient, txn_id: str | None = None, **kw: Any) -> TemplateInfo:
    data = await op.request(TemplateSave(txn_id=txn_id or txn(), template=TemplateDraft(**kw)))
    return convert(data["template"], TemplateInfo)


async def listed(op: OperatorClient) -> list[TemplateInfo]:
    data = await op.request(TemplateList(txn_id=txn()))
    return [convert(t, TemplateInfo) for t in data["templates"]]


async def delete(op: OperatorClient, template_id: int, txn_id: str | None = None) -> TemplateInfo:
    data = await op.request(TemplateDelete(txn_id=txn_id or txn(), template_id=template_id))
    return convert(data["template"], TemplateInfo)


REFUND = {
    "shortcode": "/Refund",
    "title": "Refund: how long it takes",
    "body": "Hello {customer.name}, the refund reaches your card within 5 working days.",
    "category": "Payments",
    "language": "en",
}


@scenario
async def test_personal_and_team_templates_crud_and_who_sees_what(hub: TestHub) -> None:
    op = await signed_in(hub)
    op2 = await signed_in(hub, "operator2")
    sup = await signed_in(hub, "supervisor")
    try:
        # a supervisor makes a team template: everyone sees it, live and in the list
        team = await save(sup, **REFUND, scope="team")
        assert (team.shortcode, team.scope, team.owner_id, team.updated_by) == ("refund", "team", None, sup.operator_id)
        assert team.attachments == []
        for who in (op, op2, sup):
            ev = await who.wait_frame(TemplateUpdated, lambda e: e.template.id == team.id)
            assert ev.template.body == REFUND["body"] and not ev.deleted
            assert [t.id for t in await listed(who)] == [team.id]

        # an operator's personal template, with the same shortcode: allowed (another scope),
        # seen only by its owner
        mine = await save(op, shortcode="refund", title="My refund", body="Refund: {?Card last digits}")
        assert (mine.scope, mine.owner_id) == ("personal", op.operator_id)
        await op.wait_frame(TemplateUpdated, lambda e: e.template.id == mine.id)
        assert {t.id for t in await listed(op)} == {team.id, mine.id}
        assert [t.id for t in await listed(op2)] == [team.id]
        assert [t.id for t in await listed(sup)] == [team.id]  # personal means personal, also for supervisors

        # edit and delete the personal one
        edited = await save(op, id=mine.id, shortcode="refund-card", title="My refund", body="New text")
        assert (edited.id, edited.shortcode, edited.body) == (mine.id, "refund-card", "New text")
        await op.wait_frame(TemplateUpdated, lambda e: e.template.id == mine.id and e.template.body == "New text")
        gone = await delete(op, mine.id)
        assert gone.id == mine.id
        await op.wait_frame(TemplateUpdated, lambda e: e.template.id == mine.id and e.deleted)
        assert [t.id for t in await listed(op)] == [team.id]

        # the supervisor edits the team template: everyone gets the new version
        await save(sup, id=team.id, **{**REFUND, "body": "Within 3 working days."}, scope="team")
        for who in (op, op2):
            await who.wait_frame(TemplateUpdated, lambda e: e.template.body == "Within 3 working days.")
        # the other operators never got a frame about op's personal template
        for who in (op2, sup):
            assert all(f.template.id != mine.id for f in who.frames(TemplateUpdated))
    finally:
        for c in (op, op2, sup):
            await c.close()


@scenario
async def test_permissions_are_enforced_on_the_hub(hub: TestHub) -> None:
    op = await signed_in(hub)
    op2 = await signed_in(hub, "operator2")
    sup = await signed_in(hub, "supervisor")
    try:
        team = await save(sup, **REFUND, scope="team")
        mine = await save(op, shortcode="hi", title="Greeting", body="Hi {customer.name}!")

        # an operator cannot create, change or delete a team template
        with pytest.raises(CommandFailed) as e:
            await save(op, shortcode="new", title="T", body="B", scope="team")
        assert e.value.code == "forbidden" and "supervisors" in e.value.text
        with pytest.raises(CommandFailed) as e:
            await save(op, id=team.id, **{**REFUND, "body": "hacked"}, scope="team")
        assert e.value.code == "forbidden"
        with pytest.raises(CommandFailed) as e:
            await delete(op, team.id)
        assert e.value.code == "forbidden"
        # nobody else touches a personal template, not even a supervisor (it is not said to exist)
        for other in (op2, sup):
            with pytest.raises(CommandFailed) as e:
                await save(other, id=mine.id, shortcode="hi", title="Greeting", body="mine now")
            assert e.value.code == "not_found"
            with pytest.raises(CommandFailed) as e:
                await delete(other, mine.id)
            assert e.value.code == "not_found"
        # the scope of a template does not change
        with pytest.raises(CommandFailed) as e:
            await save(op, id=mine.id, shortcode="hi", title="Greeting", body="x", scope="team")
        assert e.value.code == "conflict" and "scope cannot change" in e.value.text
        # nothing of that was written
        by_id = {t.id: t for t in await listed(op)}
        assert by_id[team.id].body == REFUND["body"] and by_id[mine.id].body == "Hi {customer.name}!"
    finally:
        for c in (op, op2, sup):
            await c.close()


@scenario
async def test_a_retried_save_or_delete_acts_once(hub: TestHub) -> None:
    op = await signed_in(hub)
    try:
        first_txn = txn()
        first = await save(op, first_txn, shortcode="thanks", title="Thanks", body="Thank you!")
        again = await save(op, first_txn, shortcode="thanks", title="Thanks", body="Thank you!")
        assert again == first
        assert [t.id for t in await listed(op)] == [first.id]
        assert len([f for f in op.frames(TemplateUpdated) if f.template.id == first.id]) == 1
        del_txn = txn()
        assert (await delete(op, first.id, del_txn)).id == first.id
        assert (await delete(op, first.id, del_txn)).id == first.id  # the same answer, not "not found"
        assert await listed(op) == []
        with pytest.raises(CommandFailed) as e:
            await delete(op, first.id)  # a new delete of a deleted template
        assert e.value.code == "not_found"
        with pytest.raises(CommandFailed) as e:  # one txn_id, two different commands
            await save(op, del_txn, shortcode="x", title="x", body="x")
        assert e.value.code == "conflict"
    finally:
        await op.close()


@scenario
async def test_bad_templates_are_refused_with_a_clear_error(hub: TestHub) -> None:
    op = await signed_in(hub)
    try:
        await save(op, shortcode="dup", title="One", body="One")
        cases = [
            ({"shortcode": "", "title": "T", "body": "B"}, "invalid_value", "shortcode"),
            ({"shortcode": "two words", "title": "T", "body": "B"}, "invalid_value", "no spaces"),
            ({"shortcode": "x" * 40, "title": "T", "body": "B"}, "invalid_value", "at most"),
            ({"shortcode": "ok", "title": "  ", "body": "B"}, "invalid_value", "title"),
            ({"shortcode": "ok", "title": "T", "body": "   \n "}, "invalid_value", "text"),
            ({"shortcode": "ok", "title": "T", "body": "b" * 8001}, "invalid_value", "at most"),
            ({"shortcode": "ok", "title": "T", "body": "B", "language": "de"}, "invalid_value", "language"),
            ({"shortcode": "/DUP", "title": "Two", "body": "Two"}, "conflict", "/dup is already used"),
            ({"id": 99999, "shortcode": "ok", "title": "T", "body": "B"}, "not_found", "no template"),
        ]
        for kw, code, words in cases:
            with pytest.raises(CommandFailed) as e:
                await save(op, **kw)
            assert e.value.code == code, kw
            assert words in e.value.text, (kw, e.value.text)
        assert [t.shortcode for t in await listed(op)] == ["dup"]
        # Cyrillic shortcodes are fine, and stored lower-case
        ru = await save(op, shortcode="/Возврат", title="Возврат", body="Деньги вернутся за 5 дней.", language="ru")
        assert ru.shortcode == "возврат"
    finally:
        await op.close()


@scenario
async def test_template_events_are_replayed_on_resume_to_the_right_operator(hub: TestHub) -> None:
    op = await signed_in(hub)
    op2 = await signed_in(hub, "operator2")
    sync = await op2.sync()
    last_seq, epoch = sync["seq"], sync["epoch"]
    await op2.close()
    try:
        mine = await save(op, shortcode="private", title="Private", body="Only mine")
        sup = await signed_in(hub, "supervisor")
        team = await save(sup, shortcode="hello", title="Hello", body="Hello!", scope="team")
        await sup.close()
        back = await OperatorClient.connect(hub.ws_url)
        await back.login(hub.accounts.operator2.username, hub.accounts.operator2.password)
        data = await back.sync(last_seq, epoch)
        assert data["recovered"] is True
        replayed = [e for e in data["events"] if e["type"] == "template_updated"]
        assert [e["template"]["id"] for e in replayed] == [team.id]  # not op's personal one
        assert mine.id not in [e["template"]["id"] for e in replayed]
        await back.close()
    finally:
        await op.close()
