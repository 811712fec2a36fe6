"""The customer timeline of everything against a real hub: ``customer_timeline`` pages
conversations, internal notes, notes on the card and identity merges together, newest
first by (at, kind, id), without gaps or repeats when entries arrive between pages;
``customer_note_save`` adds and edits card notes (author, supervisor or admin only, bad
input refused with nothing stored) and every operator gets ``timeline_entry_saved``.
No sleeps: every wait is on a condition."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.protocol import ErrorCode, convert
from app.protocol.messages import (
    NOTE_MAX_CHARS,
    CustomerMerge,
    CustomerNoteSave,
    CustomerTimeline,
    CustomerUnmerge,
    Error,
    MergeChoices,
    SendMessage,
    TimelineCursor,
    TimelineEntry,
    TimelineEntrySaved,
)
from app.storage import Store, make_engine
from app.storage.models import Conversation, CustomerNote, Message
from app.storage.repo import utcnow
from tests.conftest import TestHub
from tests.helpers import CommandFailed, CustomerClient, OperatorClient, txn
from tests.hub.test_customer_card import scenario, signed_in, web_customer


async def timeline(
    op: OperatorClient, customer_id: int, before: TimelineCursor | None = None, limit: int = 20, kinds: Any = ()
) -> tuple[list[TimelineEntry], bool]:
    data = await op.request(
        CustomerTimeline(txn_id=txn(), customer_id=customer_id, before=before, limit=limit, kinds=list(kinds))
    )
    return [convert(e, TimelineEntry) for e in data["entries"]], bool(data["has_more"])  # type: ignore[union-attr]


async def everything(op: OperatorClient, customer_id: int) -> list[TimelineEntry]:
    out: list[TimelineEntry] = []
    before = None
    while True:
        page, more = await timeline(op, customer_id, before, limit=50)
        out.extend(page)
        if not more:
            return out
        before = page[-1].cursor


async def add_note(
    op: OperatorClient, customer_id: int, text: str, note_id: int | None = None, txn_id: str = ""
) -> TimelineEntry:
    data = await op.request(
        CustomerNoteSave(txn_id=txn_id or txn(), customer_id=customer_id, text=text, note_id=note_id)
    )
    return convert(data["entry"], TimelineEntry)


def keys(entries: list[TimelineEntry]) -> list[tuple[str, int]]:
    return [(e.kind, e.id) for e in entries]


def seed_same_moment(db_url: str, customer_id: int, operator_id: int, count: int) -> None:
    """``count`` moments in the past, each with a conversation, an internal note in it and a
    card note all written at exactly the same time (the cursor's kind and id break the tie)."""
    engine = make_engine(db_url)
    try:
        store = Store(engine)
        now = utcnow()
        with store._sessions.begin() as s:
            for n in range(count):
                at = now - timedelta(days=1 + n)
                c = Conversation(
                    customer_id=customer_id, channel="web", status="resolved", created_at=at, updated_at=at
                )
                s.add(c)
                s.flush()
                s.add(
                    Message(
                        conversation_id=c.id,
                        author="customer",
                        sender_key=f"cust:{customer_id}",
                        text=f"question {n}",
                        created_at=at,
                    )
                )
                s.add(
                    Message(
                        conversation_id=c.id,
                        author="operator",
                        operator_id=operator_id,
                        sender_key=f"op:{operator_id}",
                        text=f"inner note {n}",
                        created_at=at,
                        internal=True,
                        txn_id=f"seed-{n}",
                    )
                )
                s.add(
                    CustomerNote(
                        customer_id=customer_id,
                        operator_id=operator_id,
                        txn_id=f"seed-{n}",
                        text=f"card note {n}",
                        created_at=at,
                    )
                )
    finally:
        engine.dispose()


@scenario
async def test_every_kind_newest_first_paged_without_gaps_while_entries_arrive(hub: TestHub) -> None:
    op = await signed_in(hub)
    other = await signed_in(hub, "operator2")
    try:
        async with CustomerClient.connected(hub.ws_url, name="Iryna", locale="uk") as cust:
            cid = await web_customer(op, cust)
            conv_id = (await timeline(op, cid))[0][0].id
            await op.request(SendMessage(txn_id=txn(), conversation_id=conv_id, text="VIP, be gentle", internal=True))
            await op.send_message(conv_id, "Hello! How can I help?")  # a reply: not a timeline entry
            card = await add_note(op, cid, "  Prefers calls after 18:00  ")
            assert card.kind == "customer_note" and card.text == "Prefers calls after 18:00"
            assert card.author_id == op.operator_id and card.author_name and card.edited_at is None
            # every operator hears of a card note, with the entry to show
            heard = await other.wait_frame(TimelineEntrySaved, lambda e: e.entry.id == card.id)
            assert heard.customer_id == cid and heard.entry.text == card.text

            first, more = await timeline(op, cid)
            assert not more
            assert [e.kind for e in first] == ["customer_note", "note", "conversation"]
            note = first[1]
            assert note.text == "VIP, be gentle" and note.conversation_id == conv_id and note.author_name
            conv = first[2].conversation
            assert conv is not None and conv.id == conv_id and conv.last_message is not None
            assert conv.last_message.text == "Hello! How can I help?"

            # 30 moments of three entries at the same instant, then page by 7 while notes arrive
            seed_same_moment(hub.db_url, cid, op.operator_id, 30)
            expected = await everything(other, cid)
            assert len(expected) == 3 + 90
            order = [(e.at, e.kind, e.id) for e in expected]
            assert order == sorted(order, reverse=True)
            seen: list[TimelineEntry] = []
            before: TimelineCursor | None = None
            added: list[TimelineEntry] = []
            while True:
                page, more = await timeline(other, cid, before, limit=7)
                seen.extend(page)
                if not more:
                    break
                before = page[-1].cursor
                added.append(await add_note(op, cid, f"arrived while paging {len(added)}"))
            assert keys(seen) == keys(expected)  # no gap, no repeat, the new ones not mixed in
            newest, _ = await timeline(other, cid, limit=len(added))
            assert keys(newest) == keys(added[::-1])  # and they are at the top now

            # filters: only notes (both kinds), only conversations; unknown kinds refused
            notes = await timeline(other, cid, limit=50, kinds=["note", "customer_note"])
            assert {e.kind for e in notes[0]} == {"note", "customer_note"} and notes[1]
            convs, _ = await timeline(other, cid, limit=5, kinds=["conversation"])
            assert [e.kind for e in convs] == ["conversation"] * 5
            with pytest.raises(CommandFailed) as exc:
                await timeline(other, cid, kinds=["telepathy"])
            assert exc.value.code == ErrorCode.INVALID_VALUE
            with pytest.raises(CommandFailed) as exc:
                await timeline(other, 987654)
            assert exc.value.code == ErrorCode.NOT_FOUND
        async with OperatorClient.connected(hub.ws_url) as anon:
            answer = await anon.request_frame(CustomerTimeline(txn_id=txn(), customer_id=cid))
            assert isinstance(answer, Error) and answer.code == ErrorCode.NOT_AUTHENTICATED
    finally:
        await op.close()
        await other.close()


@scenario
async def test_card_notes_are_edited_by_their_author_or_a_supervisor_and_bad_input_loses_nothing(hub: TestHub) -> None:
    op = await signed_in(hub)
    other = await signed_in(hub, "operator2")
    sup = await signed_in(hub, "supervisor")
    try:
        async with CustomerClient.connected(hub.ws_url, name="Petro") as cust:
            cid = await web_customer(op, cust)
            # a colleague who is away gets the notes in the replay when they come back
            away_token, away_seq = other.token, other.max_seq
            epoch = other.welcome.epoch
            await other.close()
            retry_txn = txn()
            note = await add_note(op, cid, "Asked for a refund", txn_id=retry_txn)
            other = await OperatorClient.connect(hub.ws_url)
            await other.resume(away_token)
            data = await other.sync(last_seq=away_seq, epoch=epoch)
            assert data["recovered"] is True
            replayed = [e for e in data["events"] if e["type"] == "timeline_entry_saved"]
            assert [(e["customer_id"], e["entry"]["id"], e["entry"]["text"]) for e in replayed] == [
                (cid, note.id, "Asked for a refund")
            ]
            again = await add_note(op, cid, "Asked for a refund", txn_id=retry_txn)  # a retry after a lost answer
            assert again.id == note.id
            assert [e.id for e in (await timeline(op, cid, kinds=["customer_note"]))[0]] == [note.id]

            # another operator may not change it; the note stays as it was
            with pytest.raises(CommandFailed) as exc:
                await add_note(other, cid, "Nothing to see here", note.id)
            assert exc.value.code == ErrorCode.FORBIDDEN
            (stored,), _ = await timeline(other, cid, kinds=["customer_note"])
            assert stored.text == "Asked for a refund" and stored.edited_at is None

            # its author and a supervisor may; the change reaches everyone
            mine = await add_note(op, cid, "Asked for a refund of order 4411", note.id)
            assert mine.edited_at is not None and mine.text.endswith("4411")
            by_sup = await add_note(sup, cid, "Refund of order 4411 approved", note.id)
            assert by_sup.id == note.id and by_sup.author_id == op.operator_id  # still the author's note
            heard = await other.wait_frame(
                TimelineEntrySaved, lambda e: e.entry.text == "Refund of order 4411 approved"
            )
            assert heard.entry.edited_at is not None

            # bad input: a clear error and nothing stored or changed
            for text, code in (("   ", ErrorCode.EMPTY_TEXT), ("x" * (NOTE_MAX_CHARS + 1), ErrorCode.TEXT_TOO_LONG)):
                with pytest.raises(CommandFailed) as exc:
                    await add_note(op, cid, text)
                assert exc.value.code == code
                with pytest.raises(CommandFailed) as exc:
                    await add_note(op, cid, text, note.id)
                assert exc.value.code == code
            with pytest.raises(CommandFailed) as exc:
                await add_note(op, 987654, "to nobody")
            assert exc.value.code == ErrorCode.NOT_FOUND
            async with CustomerClient.connected(hub.ws_url, name="Someone else") as cust2:
                cid2 = await web_customer(op, cust2)
                with pytest.raises(CommandFailed) as exc:  # a note of another card
                    await add_note(op, cid2, "moved?", note.id)
                assert exc.value.code == ErrorCode.NOT_FOUND
                with pytest.raises(CommandFailed) as exc:  # the same txn_id for another card
                    await add_note(op, cid2, "Asked for a refund", txn_id=retry_txn)
                assert exc.value.code == ErrorCode.CONFLICT
            notes, _ = await timeline(op, cid, kinds=["customer_note"])
            assert [(e.id, e.text) for e in notes] == [(note.id, "Refund of order 4411 approved")]
            longest = await add_note(op, cid, "y" * NOTE_MAX_CHARS)
            assert len(longest.text) == NOTE_MAX_CHARS
    finally:
        for c in (op, other, sup):
            await c.close()


@scenario
async def test_a_merge_shows_on_the_kept_timeline_with_the_other_cards_notes(hub: TestHub) -> None:
    op = await signed_in(hub)
    other = await signed_in(hub, "operator2")
    try:
        async with (
            CustomerClient.connected(hub.ws_url, name="Olena K") as web_a,
            CustomerClient.connected(hub.ws_url, name="Olena Koval") as web_b,
        ):
            a = await web_customer(op, web_a)
            b = await web_customer(op, web_b)
            b_note = await add_note(op, b, "Wrote from her work laptop")
            data = await op.request(CustomerMerge(txn_id=txn(), keep_id=a, merge_id=b, choices=MergeChoices()))
            merge_id = data["merge"]["id"]  # type: ignore[index]

            entries = await everything(other, a)
            assert entries[0].kind == "merge" and entries[0].id == merge_id
            m = entries[0]
            assert m.merge is not None and (m.merge.kept_id, m.merge.merged_id) == (a, b)
            assert m.other_id == b and m.other_name == "Olena Koval" and m.author_id == op.operator_id
            assert m.author_name and m.merge.undone_at is None
            assert ("customer_note", b_note.id) in keys(entries)
            assert sum(e.kind == "conversation" for e in entries) == 2

            await op.request(CustomerUnmerge(txn_id=txn(), merge_id=merge_id))
            after = await everything(other, a)
            undone = next(e for e in after if e.kind == "merge")
            assert undone.merge is not None and undone.merge.undone_at is not None
            assert ("customer_note", b_note.id) not in keys(after)
            assert ("customer_note", b_note.id) in keys(await everything(other, b))
    finally:
        await op.close()
        await other.close()
