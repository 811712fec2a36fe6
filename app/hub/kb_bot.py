"""The web chat's bot first line (issue 5; docs/architecture.md "Bot first line").

When a customer's FIRST message in a new web conversation arrives and its line has the
bot on (``frontline-hub queue set LINE --bot-first-line on``; a hub without lines:
``HubConfig.bot_first_line``), the hub searches the PUBLIC articles for it. Only when the
search is confident (:func:`confident`) does it send the widget a ``bot_suggestion`` and
record an internal system note for the operators ("Bot offered: <title> (<id>)").

The conversation is queued and offered to operators as usual all the same: the bot never
hides a customer from the team, and the first-response clock keeps running. "This
helped" (``bot_feedback`` helped: true) resolves it as answered by the bot; "Talk to a
person", or the customer simply writing again, leaves it with the team; both outcomes are
recorded (``kb_bot_offers``) for ``frontline-hub kb bot-stats``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from app.protocol.messages import BotSuggestion
from app.search import Hit, detect_langs
from app.search.index import plain_text
from app.storage import Store
from app.storage.kb_bot import BotTarget, Decision

log = logging.getLogger("frontline.hub.kb_bot")

# The confident rule, measured by bench/kb_relevance.py over the evaluation set
# (docs/performance.md, "Knowledge base"): the top hit is in the language of the
# customer's message, scores at least MIN_SCORE and at least MIN_MARGIN times the second
# hit. It answers about 59% of the queries with 95% of the offers right, and 53% of the
# whole chat questions with all offers right. Changing them: rerun the benchmark.
MIN_SCORE = 4.0
MIN_MARGIN = 1.3
# how much of the article the widget shows (plain text); the rest is cut at a word
TEXT_MAX_CHARS = 1500
_BULLET = re.compile(r"^\s{0,3}[-*+]\s+")


def confident(hits: Sequence[Hit], langs: Sequence[str]) -> Hit | None:
    """The hit to offer, or None. ``hits``: the best two or more, best first;
    ``langs``: the language(s) the customer's message is in (detect_langs)."""
    if not hits or not langs:
        return None
    top = hits[0]
    second = hits[1].score if len(hits) > 1 else 0.0
    if top.lang not in langs or top.score < MIN_SCORE:
        return None
    if second > 0 and top.score < MIN_MARGIN * second:
        return None
    return top


def excerpt(markdown: str, limit: int = TEXT_MAX_CHARS) -> tuple[str, bool]:
    """The article as plain text for the widget (paragraphs and list items kept on
    lines of their own, Markdown marks dropped), cut at a word past ``limit``."""
    lines = [("• " if _BULLET.match(line) else "") + plain_text(line) for line in markdown.splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if len(text) <= limit:
        return text, False
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,.;:")
    return cut + "…", True


class KbBot:
    """The hub's side of the bot first line. All database work goes through ``db`` /
    ``tx`` (the hub's database thread), the search through ``search`` (the kb thread)."""

    def __init__(
        self,
        store: Store,
        db: Callable[..., Awaitable[Any]],
        tx: Callable[..., Awaitable[Any]],
        search: Callable[..., Awaitable[list[Hit]]],
        send: Callable[[int, BotSuggestion], None],
        *,
        no_queue_default: bool = False,
    ) -> None:
        self._store = store
        self._db = db
        self._tx = tx
        self._search = search
        self._send = send
        self.no_queue_default = no_queue_default
        # conversations with an offer the customer has not answered (this hub's): a
        # customer's next message hands them over without a lookup for every message
        self._pending: set[int] = set()
        # first messages looked at so far, whatever came of it (logs, tests)
        self.examined = 0

    async def first_message(self, conversation_id: int) -> BotSuggestion | None:
        """Look at a new web conversation; offer an article when confident."""
        try:
            return await self._first_message(conversation_id)
        finally:
            self.examined += 1

    async def _first_message(self, conversation_id: int) -> BotSuggestion | None:
        target: BotTarget | None = await self._db(
            self._store.kb_bot.target, conversation_id, no_queue_default=self.no_queue_default
        )
        if target is None:
            return None
        langs = detect_langs(target.text)
        hits = await self._search(target.text, visibility="public", limit=2)
        hit = confident(hits, langs)
        if hit is None:
            log.info("conversation %d: no confident article for the bot", conversation_id)
            return None
        article = await self._db(self._store.kb.get, hit.id)
        if article is None or article.visibility != "public":
            return None
        outcome = await self._tx(
            self._store.kb_bot.offer, conversation_id, hit.id, article.title, article.lang, hit.score
        )
        if not outcome.value:
            return None  # the conversation moved on while the bot searched
        text, truncated = excerpt(article.body)
        suggestion = BotSuggestion(
            conversation_id=conversation_id,
            article_id=article.id,
            title=article.title,
            text=text,
            lang=article.lang,
            truncated=truncated,
        )
        self._pending.add(conversation_id)
        self._send(target.customer_id, suggestion)
        log.info("conversation %d: the bot offered %s (score %.1f)", conversation_id, hit.id, hit.score)
        return suggestion

    async def pending_suggestion(self, conversation_id: int | None) -> BotSuggestion | None:
        """The unanswered offer of this conversation, for the welcome after a reload."""
        if conversation_id is None:
            return None
        offer = await self._db(self._store.kb_bot.pending, conversation_id)
        if offer is None:
            return None
        article = await self._db(self._store.kb.get, offer.article_id)
        if article is None or article.visibility != "public":
            return None
        self._pending.add(conversation_id)
        text, truncated = excerpt(article.body)
        return BotSuggestion(
            conversation_id=conversation_id,
            article_id=article.id,
            title=article.title,
            text=text,
            lang=article.lang,
            truncated=truncated,
        )

    async def decide(self, conversation_id: int, decision: Decision) -> Decision:
        outcome = await self._tx(self._store.kb_bot.decide, conversation_id, decision)
        self._pending.discard(conversation_id)
        result: Decision = outcome.value[0]
        return result

    def offer_waits(self, conversation_id: int) -> bool:
        """An offer in this conversation waits for the customer's answer (a set look-up:
        called for every customer message, so no coroutine unless it does)."""
        return conversation_id in self._pending

    async def customer_wrote(self, conversation_id: int) -> None:
        """A customer's later message while an offer waits: they want the team."""
        if conversation_id in self._pending:
            await self.decide(conversation_id, "handed_over")
