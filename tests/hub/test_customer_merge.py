"""Identity merge against a real hub: a phone shared by two cards is proposed as one
person, the operator merges them choosing which values win, every conversation and
channel identity ends on the kept card (the visitor who writes again lands there), the
merge is recorded and can be undone, retries change nothing twice, and bad merges are
refused with clear errors. No sleeps: every wait is on a condition."""

from __future__ import annotations

from typing import Any

import pytest

from app.protocol import convert
from app.protocol.messages import (
    ConversationUpdated,
    CustomerChanges,
    CustomerConversations,
    CustomerMerge,
    CustomerMergeCandidates,
    CustomerProfile,
    CustomersMerged,
    CustomerUnmerge,
    MergeCandidate,
    MergeChoices,
    MergeInfo,
    MergeProposed,
)
from app.storage import Store, make_engine
from tests.conftest import TestHub
from tests.helpers import CommandFailed, CustomerClient, OperatorClient, txn
from tests.hub.test_customer_card import define_field, get, scenario, search, signed_in, update, web_customer


async def conversations_of(op: OperatorClient, customer_id: int) -> list[int]:
    data = await op.request(CustomerConversations(txn_id=txn(), customer_id=customer_id, limit=50))
    return sorted(c["id"] for c in data["conversations"])


async def merge(op: OperatorClient, keep: int, other: int, txn_id: str | None = None, **choices: Any) -> Any:
    data = await op.request(
        CustomerMerge(txn_id=txn_id or txn(), keep_id=keep, merge_id=other, choices=MergeChoices(**choices))
    )
    return convert(data["merge"], MergeInfo), convert(data["customer"], CustomerProfile)


@scenario
async def test_a_shared_phone_is_proposed_merged_with_choices_and_undone(hub: TestHub) -> None:
    define_field(hub, "policy_no", "Policy number", "text")
    op = await signed_in(hub)
    sup = await signed_in(hub, "supervisor")
    try:
        async with (
            CustomerClient.connected(hub.ws_url, name="Olena K", locale="uk") as web_a,
            CustomerClient.connected(hub.ws_url, name="Olena Koval", locale="uk") as web_b,
        ):
            a = await web_customer(op, web_a)
            b = await web_customer(op, web_b)
            conv_a, conv_b = await conversations_of(op, a), await conversations_of(op, b)
            await update(op, a, CustomerChanges(
                add_phones=["067 123 45 67"], add_emails=["olena@example.ua"], add_tags=["lead"],
                notes="Calls after 18:00", fields={"policy_no": "P-1"},
            ))
            await update(op, b, CustomerChanges(
                add_phones=["+380 67 123 4567"], add_tags=["b2b"], notes="Prefers e-mail",
                fields={"policy_no": "P-2"}, vip=True,
            ))
            # the same number on a second card: proposed to every operator
            for who in (op, sup):
                proposed = await who.wait_frame(MergeProposed, lambda e: e.customer_id == b)
                assert proposed.candidate_id == a and proposed.reasons == ["phone:+380671234567"]
            data = await op.request(CustomerMergeCandidates(txn_id=txn(), customer_id=b))
            candidates = [convert(c, MergeCandidate) for c in data["candidates"]]
            assert [(c.customer.id, c.reasons) for c in candidates] == [(a, ["phone:+380671234567"])]

            # merged: b's name and policy win, everything else is united
            merge_txn = txn()
            info, kept = await merge(op, a, b, merge_txn, name="merged", fields={"policy_no": "merged"})
            assert (info.kept_id, info.merged_id, info.operator_id) == (a, b, op.operator_id)
            assert kept.name == "Olena Koval" and kept.vip is True
            assert kept.phones == ["+380671234567"] and kept.emails == ["olena@example.ua"]
            assert sorted(kept.tags) == ["b2b", "lead"]
            assert kept.notes == "Calls after 18:00\n\nPrefers e-mail"
            assert kept.fields == {"policy_no": "P-2"}
            assert await conversations_of(op, a) == sorted(conv_a + conv_b)
            assert await search(op, "Olena") == [a]  # the merged card is gone from search
            assert await search(op, "067 123 45 67") == [a]
            ev = await sup.wait_frame(CustomersMerged, lambda e: e.merge.id == info.id)
            assert ev.merged is None and ev.kept.id == a
            moved = await op.wait_conversation(lambda c: c.id == conv_b[0] and c.customer.id == a)
            assert isinstance(moved, ConversationUpdated) and moved.conversation.customer.name == "Olena Koval"
            # the retry of the same command: the same merge, nothing added twice
            again, kept_again = await merge(op, a, b, merge_txn, name="merged", fields={"policy_no": "merged"})
            assert again.id == info.id and kept_again == kept

        # the visitor of the merged card comes back: the kept card
        async with CustomerClient.connected(hub.ws_url, visitor_token=web_b.visitor_token) as back:
            sent = await back.send("It is me again")
        await sup.wait_message(lambda m: m.text == "It is me again")  # (supervisors see every chat)
        assert sent.conversation_id in await conversations_of(op, a)

        # undone: both cards as they were, the conversations back where they came from
        await update(op, a, CustomerChanges(add_tags=["called back"]))  # an edit after the merge stays
        data = await op.request(CustomerUnmerge(txn_id=txn(), merge_id=info.id))
        undone = convert(data["merge"], MergeInfo)
        restored_a = convert(data["kept"], CustomerProfile)
        restored_b = convert(data["restored"], CustomerProfile)
        assert undone.undone_at is not None and undone.undone_by == op.operator_id
        assert restored_a.name == "Olena K" and restored_a.vip is False and restored_a.notes == "Calls after 18:00"
        assert sorted(restored_a.tags) == ["called back", "lead"] and restored_a.fields == {"policy_no": "P-1"}
        assert restored_b == await get(op, b) and restored_b.name == "Olena Koval" and restored_b.vip
        assert await conversations_of(op, a) == conv_a
        assert await conversations_of(op, b) == sorted({*conv_b, sent.conversation_id})
        assert sorted(await search(op, "Olena")) == sorted([a, b])
        async with CustomerClient.connected(hub.ws_url, visitor_token=web_b.visitor_token) as back:
            sent = await back.send("And once more")
        assert sent.conversation_id in await conversations_of(op, b)
        # the record: who merged, who undid
        engine = make_engine(hub.db_url)
        try:
            history = Store(engine).merges.merges_of(a)
        finally:
            engine.dispose()
        assert [(m.id, m.operator_id, m.undone_by) for m in history] == [(info.id, op.operator_id, op.operator_id)]
    finally:
        await op.close()
        await sup.close()


@scenario
async def test_bad_merges_are_refused_and_change_nothing(hub: TestHub) -> None:
    op = await signed_in(hub)
    try:
        async with (
            CustomerClient.connected(hub.ws_url, name="Taras") as web_a,
            CustomerClient.connected(hub.ws_url, name="Taras B") as web_b,
            CustomerClient.connected(hub.ws_url, name="Taras C") as web_c,
        ):
            a, b, c = [await web_customer(op, w) for w in (web_a, web_b, web_c)]
            with pytest.raises(CommandFailed) as exc:
                await merge(op, a, a)
            assert exc.value.code == "invalid_value" and "itself" in exc.value.text
            with pytest.raises(CommandFailed) as exc:
                await merge(op, a, 999_999)
            assert exc.value.code == "not_found"
            info, _kept = await merge(op, a, b)
            with pytest.raises(CommandFailed) as exc:  # b is not a card any more
                await merge(op, c, b)
            assert exc.value.code == "conflict" and "merged into" in exc.value.text
            with pytest.raises(CommandFailed) as exc:  # a txn_id reused for another merge
                await merge(op, a, c, txn_id=(reused := txn()))
                await merge(op, c, a, txn_id=reused)
            assert exc.value.code == "conflict"
            assert sorted(await search(op, "Taras")) == [a]
            await op.request(CustomerUnmerge(txn_id=txn(), merge_id=info.id))
            with pytest.raises(CommandFailed) as exc:
                await op.request(CustomerUnmerge(txn_id=txn(), merge_id=info.id))
            assert exc.value.code == "conflict" and "undone already" in exc.value.text
            with pytest.raises(CommandFailed) as exc:
                await op.request(CustomerUnmerge(txn_id=txn(), merge_id=424242))
            assert exc.value.code == "not_found"
    finally:
        await op.close()
