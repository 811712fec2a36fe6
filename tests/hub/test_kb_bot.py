"""The web chat's bot first line against a real hub (app/hub/kb_bot.py): the demo knowledge
base imported with the CLI (kb-001..kb-021 public, the rest internal), a first line set up
and switched with the CLI as an admin would, web visitors and an operator on real sockets.

"Nothing was offered" is checked once the bot has looked at the conversation
(``Hub.bot.examined``), never after a sleep.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.hub.cli import main as hub_cli
from app.hub.kb_bot import MIN_MARGIN, MIN_SCORE, confident, excerpt
from app.protocol.messages import BotFeedback, BotSuggestion, ConversationOffered, MessageCreated, MessageInfo
from app.search import Hit
from tests.conftest import TestHub, create_test_accounts
from tests.helpers import CommandFailed, CustomerClient, OperatorClient, txn, wait_until

ROOT = Path(__file__).resolve().parents[2]
DEMO_KB = ROOT / "resources" / "demo" / "kb"
LINE = "first line"

REFUND_EN = "How do I get a refund for a cancelled policy?"  # kb-020, public
REFUND_UK = "Як повернути гроші за скасований поліс?"  # kb-019, public
BUY_RU = "Как купить полис страхования квартиры?"  # kb-001, public
PASSWORD_EN = "I forgot my password, how do I reset it?"  # kb-062: confident, but internal
VAGUE = "hello, I have a question"


def scenario(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return run


def cli(*args: str) -> None:
    assert hub_cli(list(args)) == 0, args


def import_demo_kb(db_url: str, tmp_path: Path) -> None:
    public = tmp_path / "public"
    public.mkdir()
    for f in sorted(DEMO_KB.glob("*.md"))[:21]:
        (public / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    cli("kb", "import", str(DEMO_KB), "--visibility", "internal", "--db", db_url)
    cli("kb", "import", str(public), "--visibility", "public", "--db", db_url)


@pytest.fixture
def line_hub(hub_db_url: str, tmp_path: Path) -> Iterator[TestHub]:
    """A hub with the demo KB and a first line (the operator in it), the bot still OFF."""
    accounts = create_test_accounts(hub_db_url)
    import_demo_kb(hub_db_url, tmp_path)
    cli("queue", "add", LINE, "--first", "--db", hub_db_url)
    cli("queue", "member", "add", LINE, accounts.operator.username, "--db", hub_db_url)
    hub = TestHub(hub_db_url, accounts, kb_refresh_s=0.0)
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()


@pytest.fixture
def bot_hub(line_hub: TestHub) -> TestHub:
    cli("queue", "set", LINE, "--bot-first-line", "on", "--db", line_hub.db_url)
    return line_hub


async def operator(hub: TestHub) -> OperatorClient:
    op = await OperatorClient.connect(hub.ws_url)
    await op.login(hub.accounts.operator.username, hub.accounts.operator.password)
    await op.sync()
    await op.set_status("online")
    return op


def examined(hub: TestHub) -> int:
    assert hub.hub.bot is not None
    return hub.hub.bot.examined


async def first_message(hub: TestHub, cust: CustomerClient, text: str) -> MessageInfo:
    """Send the visitor's first message and wait until the bot has looked at it."""
    before = examined(hub)
    msg = await cust.send(text)
    await wait_until(lambda: examined(hub) > before, message="the bot never looked at the first message")
    return msg


def notes(op: OperatorClient, conversation_id: int) -> list[str]:
    return [
        m.text
        for m in (f.message for f in op.frames(MessageCreated))
        if m.conversation_id == conversation_id and m.author == "system" and m.internal
    ]


def stats(db_url: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    cli("kb", "bot-stats", "--db", db_url, "--json")
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


# ---------------------------------------------------------------------------- the rule


def hit(aid: str, lang: str, score: float) -> Hit:
    return Hit(id=aid, title=aid, lang=lang, score=score, snippet="", highlights=())


def test_the_confident_rule() -> None:
    assert MIN_SCORE == 4.0 and MIN_MARGIN == 1.3  # bench/kb_relevance.py measured these
    assert confident([hit("a", "en", 7.4), hit("b", "en", 3.4)], ("en",)) is not None
    assert confident([hit("a", "en", 7.4)], ("en",)) is not None  # no second hit
    assert confident([hit("a", "en", 3.9)], ("en",)) is None  # too low
    assert confident([hit("a", "ru", 5.0), hit("b", "ru", 4.7)], ("ru",)) is None  # no margin
    assert confident([hit("a", "ru", 8.0)], ("uk",)) is None  # not the customer's language
    assert confident([hit("a", "ru", 8.0)], ("ru", "uk")) is not None  # Cyrillic, either
    assert confident([], ("en",)) is None


def test_the_article_as_plain_text_for_the_widget() -> None:
    text, cut = excerpt("# Title\n\nSome **bold** [link](http://x).\n\n- one\n- two\n\n\n\n1. step")
    assert (text, cut) == ("Title\n\nSome bold link.\n\n• one\n• two\n\n1. step", False)
    text, cut = excerpt("word " * 1000, limit=50)
    assert cut and text.endswith("word…") and len(text) <= 51


# ---------------------------------------------------------------------------- on the hub


@scenario
async def test_a_confident_first_message_gets_the_article_and_helped_resolves_it(
    bot_hub: TestHub, capsys: pytest.CaptureFixture[str]
) -> None:
    op = await operator(bot_hub)
    async with CustomerClient.connected(bot_hub.ws_url, name="Ann", locale="en") as cust:
        msg = await cust.send(REFUND_EN)
        cid = msg.conversation_id
        offer = await cust.wait_frame(BotSuggestion)
        assert (offer.conversation_id, offer.article_id, offer.lang) == (cid, "kb-020", "en")
        assert offer.title.startswith("Cooling-off period") and "14 calendar days" in offer.text
        assert "**" not in offer.text and "#" not in offer.text  # plain text, not Markdown
        # the operators see what the bot offered ...
        await wait_until(lambda: notes(op, cid), message="no bot note for operators")
        assert notes(op, cid) == [f"Bot offered: {offer.title} (kb-020)"]
        # ... and the customer is NOT hidden from the team: offered as usual
        await op.wait_frame(ConversationOffered, lambda f: f.conversation.id == cid)
        # the customer never sees the note
        assert all(not m.internal for m in cust.messages)

        # a reload shows the unanswered offer again
        async with CustomerClient.connected(bot_hub.ws_url, visitor_token=cust.visitor_token) as again:
            assert again.welcome.bot_suggestion is not None
            assert again.welcome.bot_suggestion.article_id == "kb-020"

        assert stats(bot_hub.db_url, capsys)["offered"] == 1
        data = await cust.request(BotFeedback(txn_id=txn(), helped=True))
        assert data == {"outcome": "helped"}
        await op.wait_conversation(lambda c: c.id == cid and c.status == "resolved" and c.offered_to is None)
        await wait_until(lambda: len(notes(op, cid)) == 2)
        assert "helped" in notes(op, cid)[1] and "resolved by the bot" in notes(op, cid)[1]
        # answering twice changes nothing
        assert (await cust.request(BotFeedback(txn_id=txn(), helped=False))) == {"outcome": "helped"}

        # the next message opens a NEW conversation, which the bot looks at again
        later = await cust.send(REFUND_UK)
        assert later.conversation_id != cid
        second = await cust.wait_frame(BotSuggestion, lambda f: f.conversation_id == later.conversation_id)
        assert (second.article_id, second.lang) == ("kb-019", "uk")  # the customer's language

    figures = stats(bot_hub.db_url, capsys)
    assert figures["offered"] == 2 and figures["helped"] == 1 and figures["handed_over"] == 0
    assert figures["no_answer"] == 1 and figures["conversations"] == 2
    assert figures["answered_share"] == 0.5
    capsys.readouterr()
    cli("kb", "bot-stats", "--db", bot_hub.db_url)
    text = capsys.readouterr().out
    assert "bot offers:        2" in text and "50.0% of web conversations" in text
    await op.close()


@scenario
async def test_talk_to_a_person_or_writing_again_keeps_it_with_the_team(
    bot_hub: TestHub, capsys: pytest.CaptureFixture[str]
) -> None:
    op = await operator(bot_hub)
    async with CustomerClient.connected(bot_hub.ws_url, name="Olga", locale="ru") as cust:
        cid = (await cust.send(BUY_RU)).conversation_id
        assert (await cust.wait_frame(BotSuggestion)).article_id == "kb-001"
        assert (await cust.request(BotFeedback(txn_id=txn(), helped=False))) == {"outcome": "handed_over"}
        await wait_until(lambda: len(notes(op, cid)) == 2)
        assert "wants a person" in notes(op, cid)[1]
        await op.wait_frame(ConversationOffered, lambda f: f.conversation.id == cid)
        conv = await op.take(cid)
        assert conv.status == "open"  # with the team, not resolved

    async with CustomerClient.connected(bot_hub.ws_url, name="Taras", locale="uk") as cust:
        cid2 = (await cust.send(REFUND_UK)).conversation_id
        await cust.wait_frame(BotSuggestion)
        await cust.send("Ні, це не те, мені потрібна людина")  # writes again instead of a button
        await wait_until(lambda: len(notes(op, cid2)) == 2)
        assert "wants a person" in notes(op, cid2)[1]
        # a late button press changes nothing: the first answer is kept
        assert (await cust.request(BotFeedback(txn_id=txn(), helped=True))) == {"outcome": "handed_over"}

    figures = stats(bot_hub.db_url, capsys)
    assert (figures["offered"], figures["helped"], figures["handed_over"]) == (2, 0, 2)
    assert figures["answered_share"] == 0.0
    await op.close()


@scenario
async def test_this_helped_after_an_operator_replied_leaves_the_conversation_open(
    bot_hub: TestHub, capsys: pytest.CaptureFixture[str]
) -> None:
    """The operator is already answering: the customer's late "This helped" must not
    close the conversation under them, nor count as answered by the bot."""
    op = await operator(bot_hub)
    async with CustomerClient.connected(bot_hub.ws_url, name="Ann", locale="en") as cust:
        cid = (await cust.send(REFUND_EN)).conversation_id
        await cust.wait_frame(BotSuggestion)
        await op.wait_frame(ConversationOffered, lambda f: f.conversation.id == cid)
        await op.take(cid)
        await op.send_message(cid, "Hello Ann, I am looking at your order now")
        assert (await cust.request(BotFeedback(txn_id=txn(), helped=True))) == {"outcome": "helped"}
        await wait_until(lambda: len(notes(op, cid)) == 2)
        assert "stays open" in notes(op, cid)[1]
        conv = await op.take(cid)
        assert conv.status == "open" and conv.assignee_id == op.operator_id
    figures = stats(bot_hub.db_url, capsys)
    assert (figures["offered"], figures["helped"], figures["helped_after_reply"]) == (1, 0, 1)
    assert figures["answered_share"] == 0.0 and figures["no_answer"] == 0
    await op.close()


@scenario
async def test_writing_again_after_a_hub_restart_still_hands_over(
    bot_hub: TestHub, capsys: pytest.CaptureFixture[str]
) -> None:
    async with CustomerClient.connected(bot_hub.ws_url, name="Olga", locale="ru") as cust:
        cid = (await cust.send(BUY_RU)).conversation_id
        await cust.wait_frame(BotSuggestion)
        token = cust.visitor_token
    bot_hub.stop()
    bot_hub.start()
    op = await operator(bot_hub)
    async with CustomerClient.connected(bot_hub.ws_url, visitor_token=token) as again:
        assert (await again.send("Нет, мне нужен человек")).conversation_id == cid
        await wait_until(lambda: any("wants a person" in n for n in notes(op, cid)), message="no hand-over note")
    figures = stats(bot_hub.db_url, capsys)
    assert (figures["offered"], figures["handed_over"], figures["no_answer"]) == (1, 1, 0)
    await op.close()


@scenario
async def test_vague_internal_and_second_messages_get_no_offer(bot_hub: TestHub) -> None:
    op = await operator(bot_hub)
    async with (
        CustomerClient.connected(bot_hub.ws_url, name="Vague") as vague,
        CustomerClient.connected(bot_hub.ws_url, name="Secret") as secret,
        CustomerClient.connected(bot_hub.ws_url, name="Control") as control,
    ):
        v = await first_message(bot_hub, vague, VAGUE)
        # a confident question whose answer is an INTERNAL article: never offered
        s = await first_message(bot_hub, secret, PASSWORD_EN)
        # the vague visitor now asks something the bot could answer: not a first message
        await vague.send(REFUND_EN)
        # a control visitor: the bot works, and has long been done with the others
        await first_message(bot_hub, control, REFUND_EN)
        await control.wait_frame(BotSuggestion)
        assert vague.frames(BotSuggestion) == [] and secret.frames(BotSuggestion) == []
        assert notes(op, v.conversation_id) == [] and notes(op, s.conversation_id) == []
        # no offer to answer: a clear error
        with pytest.raises(CommandFailed) as exc:
            await vague.request(BotFeedback(txn_id=txn(), helped=True))
        assert exc.value.code == "not_found"
    await op.close()


@scenario
async def test_the_bot_is_off_by_default_and_switched_on_by_the_cli(
    line_hub: TestHub, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    cli("queue", "list", "--db", line_hub.db_url)
    assert "\tbot off\t" in capsys.readouterr().out
    async with CustomerClient.connected(line_hub.ws_url, name="Early") as cust:
        await first_message(line_hub, cust, REFUND_EN)
        assert cust.frames(BotSuggestion) == []
    # switched on while the hub runs: the next new conversation gets it
    cli("queue", "set", LINE, "--bot-first-line", "on", "--db", line_hub.db_url)
    capsys.readouterr()
    cli("queue", "list", "--db", line_hub.db_url)
    assert "\tbot on\t" in capsys.readouterr().out
    async with CustomerClient.connected(line_hub.ws_url, name="Late") as cust:
        await cust.send(REFUND_EN)
        assert (await cust.wait_frame(BotSuggestion)).article_id == "kb-020"
    # bad input: an unknown line is a clear error
    capsys.readouterr()
    assert hub_cli(["queue", "set", "no such line", "--bot-first-line", "on", "--db", line_hub.db_url]) != 0
    assert "no line named" in capsys.readouterr().err


def test_a_hub_without_lines_uses_its_config_flag(hub_db_url: str, tmp_path: Path) -> None:
    accounts = create_test_accounts(hub_db_url)
    import_demo_kb(hub_db_url, tmp_path)

    async def visit(hub: TestHub) -> list[BotSuggestion]:
        async with CustomerClient.connected(hub.ws_url) as cust:
            await first_message(hub, cust, REFUND_EN)
            if hub.config.bot_first_line:
                await cust.wait_frame(BotSuggestion)
            return list(cust.frames(BotSuggestion))

    for on in (False, True):
        with TestHub(hub_db_url, accounts, kb_refresh_s=0.0, bot_first_line=on) as hub:
            offers = asyncio.run(visit(hub))
        assert [o.article_id for o in offers] == (["kb-020"] if on else [])
