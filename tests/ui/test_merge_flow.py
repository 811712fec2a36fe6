"""Identity merge in the window against a real hub: two web visitors get the same phone
from a colleague, the card proposes the merge, the operator reviews it in the dialog,
picks the other name and merges; the card shows the kept customer with both
conversations, search finds one card; Undo makes two cards again. A colleague's merge
switches the card live, and a merge the hub refuses keeps the dialog and its choices.
No sleeps: every wait is on a condition."""

from __future__ import annotations

from typing import Any

from app.protocol.messages import CustomerChanges, CustomerMerge, MergeChoices
from tests.conftest import TestHub
from tests.helpers import CustomerClient, txn, wait_until
from tests.ui.test_customer_card import colleague, open_chat, update
from tests.ui.test_window import log_in
from ui.dialogs.merge_dialog import MergeDialog
from ui.widgets.customer_card import CustomerCard


async def proposal_shown(card: CustomerCard) -> None:
    await wait_until(lambda: card.proposal.isVisibleTo(card), message="the merge proposal on the card")


async def open_dialog(card: CustomerCard) -> MergeDialog:
    card.review_button.click()
    dialog = card.merge_dialog
    assert dialog is not None and dialog.isVisible()
    await wait_until(lambda: len(dialog.counts) == 2, message="both cards' conversations counted")
    return dialog


def test_merge_in_the_window_and_undo(hub: TestHub, run: Any, make_client: Any, qtbot: Any) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, acc.username, acc.password)
        qtbot.addWidget(w)
        card = w.card
        async with (
            CustomerClient.connected(hub.ws_url, name="Olena K", locale="uk") as web_a,
            CustomerClient.connected(hub.ws_url, name="Olena Koval", locale="uk") as web_b,
        ):
            conv_a = await open_chat(w, web_a, "Hello")
            a = card.customer_id
            conv_b = await open_chat(w, web_b, "Hello again")
            b = card.customer_id
            assert a is not None and b is not None and a != b
            assert not card.proposal.isVisibleTo(card), "nothing to propose yet"
            other = await colleague(hub)
            await update(other, a, CustomerChanges(add_phones=["067 123 45 67"], notes="Calls after 18:00"))
            await update(other, b, CustomerChanges(add_phones=["+380 67 123 4567"], vip=True))

            # the card of b (open) proposes a
            await proposal_shown(card)
            assert card.proposal_text.text() == "Possibly the same person as Olena K — same phone +380 67 123 4567"
            assert card.review_button.text() == "Review and merge…"
            assert card.dismiss_button.text() == "Not the same"

            dialog = await open_dialog(card)
            # one conversation each: the older card (a) is kept; where they differ its
            # values are the defaults, VIP if either is
            assert dialog.kept.id == a and dialog.keep_buttons[1].isChecked()  # (the candidate's column)
            assert set(dialog.rows) == {"name", "vip"}
            assert dialog.choices() == MergeChoices()
            assert "2 conversations will be on one card." in dialog.united.text()
            assert "Phones: +380 67 123 4567" in dialog.united.text()
            dialog.pick("name", b)  # the other name
            assert dialog.choices().name == "merged"
            assert dialog.merge_button.text() == "Merge into Olena K"
            dialog.merge_button.click()
            await wait_until(lambda: card.merge_dialog is None, message="the dialog closes once merged")

            # the card shows the kept customer, with both conversations and Undo
            await wait_until(lambda: card.customer_id == a and card.profile is not None, message="the kept card")
            await wait_until(lambda: sorted(card.timeline.conversation_ids()) == sorted([conv_a, conv_b]),
                             message="both conversations in the timeline")
            # the merge itself is an entry of the timeline, the newest
            merge_entry = card.timeline.entries()[0]
            assert merge_entry.kind == "merge" and merge_entry.other_id == b
            assert card.entry_texts(merge_entry)[3] == f"Merged with Olena Koval by {acc.display_name}"
            profile = card.profile
            assert profile is not None
            assert profile.name == "Olena Koval" and profile.vip and profile.notes == "Calls after 18:00"
            assert card.merged_box.isVisibleTo(card) and card.undo_button.isVisibleTo(card)
            assert card.merged_text.text() == "Merged with Olena Koval"
            assert not card.proposal.isVisibleTo(card)
            found = await c.session.search_customers("067 123 45 67")
            assert [p.id for p in found] == [a], "search finds one card"
            # the inbox row of b's conversation shows the kept name (conversation_updated)
            await wait_until(lambda: c.session.conversations[conv_b].customer.id == a, message="the chat moved")

            # Undo: two cards again
            card.undo_button.click()
            await wait_until(lambda: not card.undoing, message="the merge undone")
            await wait_until(lambda: c.session.conversations[conv_b].customer.id == b, message="b's chat back on b")
            found = await c.session.search_customers("067 123 45 67")
            assert sorted(p.id for p in found) == sorted([a, b]), "two cards again"
            # the card follows the open conversation (b's), restored, with its own timeline
            await wait_until(lambda: card.customer_id == b and card.state == "ready", message="b's card")
            await wait_until(lambda: card.timeline.conversation_ids() == [conv_b], message="b's timeline")
            assert card.profile is not None and card.profile.name == "Olena Koval"
            assert not card.proposal.isVisibleTo(card), "undone means not one person: not proposed again"
            w.open_conversation(conv_a)
            await wait_until(lambda: card.customer_id == a and card.state == "ready", message="a's card")
            await wait_until(lambda: card.timeline.conversation_ids() == [conv_a], message="a's timeline")
            assert card.profile is not None and card.profile.name == "Olena K"
            undone = [e for e in card.timeline.entries() if e.kind == "merge"]
            assert len(undone) == 1 and card.entry_texts(undone[0])[3].endswith("· undone")
            assert card.merged_text.text() == "Merge undone: Olena Koval has a separate card again."
            await other.close()

    run(scenario())


def test_not_the_same_a_colleagues_merge_and_a_refused_merge(
    hub: TestHub, run: Any, make_client: Any, qtbot: Any
) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, acc.username, acc.password)
        qtbot.addWidget(w)
        card = w.card
        async with (
            CustomerClient.connected(hub.ws_url, name="Taras P") as web_a,
            CustomerClient.connected(hub.ws_url, name="Taras Petrenko") as web_b,
        ):
            await open_chat(w, web_a, "Hi")
            a = card.customer_id
            await open_chat(w, web_b, "Hi there")
            b = card.customer_id
            assert a is not None and b is not None
            other = await colleague(hub)
            await update(other, a, CustomerChanges(add_emails=["taras@example.ua"]))
            await update(other, b, CustomerChanges(add_emails=["taras@example.ua"]))
            await proposal_shown(card)
            assert card.proposal_text.text() == "Possibly the same person as Taras P — same e-mail taras@example.ua"

            # "Not the same": gone for this card in this run, even when the card loads again
            card.dismiss_button.click()
            assert not card.proposal.isVisibleTo(card)
            card.reload()
            await wait_until(lambda: card.state == "ready", message="the card reloaded")
            await c.bridge.customers.load_merge_candidates(b)
            assert not card.proposal.isVisibleTo(card)

            # a fresh window (the dismissal lives in this run only) opens the dialog; a
            # colleague merges the two meanwhile: the card switches live, and the merge
            # asked in the dialog is refused with the reason, the choices kept
            c.bridge.customers._dismissed.clear()
            await c.bridge.customers.load_merge_candidates(b)
            await proposal_shown(card)
            dialog = await open_dialog(card)
            dialog.pick("name", b)
            await other.request(CustomerMerge(txn_id=txn(), keep_id=a, merge_id=b, choices=MergeChoices()))
            await wait_until(lambda: card.customer_id == a, message="the card follows the merge live")
            assert card.merged_text.text() == (
                f"{c.session.operators[other.operator_id].display_name} merged this card with another card "
                "of the same person."
            )
            assert not card.undo_button.isVisibleTo(card)
            dialog.merge_button.click()
            await wait_until(lambda: dialog.error.isVisibleTo(dialog), message="the refusal")
            assert dialog.isVisible()
            assert dialog.error.text() == "Not merged: one of the cards was merged into another card meanwhile."
            assert dialog.error.toolTip(), "the hub's own text in the tooltip"
            assert dialog.choices().name == "merged", "the choice is kept"
            assert dialog.merge_button.isEnabled()
            dialog.reject()
            await other.close()

    run(scenario())
