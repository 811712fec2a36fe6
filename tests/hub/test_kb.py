"""The knowledge base against a real hub: the demo articles imported with the CLI, then
searched through the websocket (operators: internal and public; the web widget: public
only), edited by a supervisor (event to every operator, idempotent retry), refused to
an operator, changes made outside the hub (a CLI import while it runs) picked up, and the
desktop client's service methods. No sleeps: every wait is on a condition."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from app.client.connection import CommandFailed as ClientCommandFailed
from app.client.secrets import MemorySecretStore
from app.client.session import OperatorSession
from app.protocol.messages import (
    Error,
    KbArticleDeleted,
    KbArticleDraft,
    KbArticleInfo,
    KbArticleUpdated,
    KbDelete,
    KbGet,
    KbSave,
    KbSearch,
    KbSynonymsGet,
    KbSynonymsSet,
)
from tests.conftest import TestHub, create_test_accounts
from tests.helpers import CommandFailed, CustomerClient, OperatorClient, txn, wait_until
from tests.hub.test_cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
DEMO_KB = ROOT / "resources" / "demo" / "kb"


def scenario(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return run


@pytest.fixture
def kb_hub(hub_db_url: str, tmp_path: Path) -> Any:
    """A hub whose database got the demo knowledge base by ``frontline-hub kb import``:
    kb-001..kb-021 public (insurance), the rest internal."""
    accounts = create_test_accounts(hub_db_url)
    public = tmp_path / "public"
    public.mkdir()
    for f in sorted(DEMO_KB.glob("*.md"))[:21]:
        (public / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    for folder, visibility in ((DEMO_KB, "internal"), (public, "public")):
        done = run_cli("kb", "import", str(folder), "--visibility", visibility, "--db", hub_db_url)
        assert done.returncode == 0, done.stderr
    hub = TestHub(hub_db_url, accounts, kb_refresh_s=0.0)
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()


async def signed_in(hub: TestHub, who: str = "operator") -> OperatorClient:
    acc = getattr(hub.accounts, who)
    op = await OperatorClient.connect(hub.ws_url)
    await op.login(acc.username, acc.password)
    await op.sync()
    return op


async def search(client: Any, query: str, **kw: Any) -> list[dict[str, Any]]:
    data = await client.request(KbSearch(txn_id=txn(), query=query, **kw))
    return list(data["hits"])


def draft(**kw: Any) -> KbArticleDraft:
    base: dict[str, Any] = {
        "title": "Кешбэк за отзыв",
        "body": "Напишите отзыв и получите кешбэк 50 грн.",
        "lang": "ru",
    }
    return KbArticleDraft(**{**base, **kw})


@scenario
async def test_operators_search_through_the_websocket(kb_hub: TestHub) -> None:
    op = await signed_in(kb_hub)
    hits = await search(op, "Добрый день! Как вернуть деньги за отменённый полис?", limit=3)
    assert hits[0]["id"] == "kb-018"
    top = hits[0]
    assert top["lang"] == "ru" and top["snippet"]
    assert [top["snippet"][s:e].lower()[:4] for s, e in top["highlights"]][:1] != []
    # Ukrainian with a typo; internal articles are there for operators
    assert (await search(op, "забув пороль", limit=1))[0]["id"] == "kb-061"
    public = await search(op, "забув пароль", visibility="public")
    assert "kb-061" not in [h["id"] for h in public]  # internal
    assert all(h["visibility"] == "public" for h in public)
    # filters and bad input
    assert {h["lang"] for h in await search(op, "password", lang="en")} == {"en"}
    assert all("пароль" in h["tags"] for h in await search(op, "пароль", tags=["пароль"]))
    for bad in ["", '"', "x" * 10_000, "'; DROP TABLE kb_articles; --", "NEAR(*:-)"]:
        assert isinstance(await search(op, bad), list)
    article = (await op.request(KbGet(txn_id=txn(), article_id="kb-018")))["article"]
    assert article["title"] == "Возврат денег за отменённый полис" and article["visibility"] == "public"
    with pytest.raises(CommandFailed) as exc:
        await op.request(KbGet(txn_id=txn(), article_id="kb-999"))
    assert exc.value.code == "not_found"
    await op.close()


@scenario
async def test_the_web_widget_sees_public_articles_only(kb_hub: TestHub) -> None:
    async with CustomerClient.connected(kb_hub.ws_url, name="Taras", locale="uk") as cust:
        hits = await search(cust, "повернення коштів за поліс")
        assert hits[0]["id"] == "kb-019" and all(h["visibility"] == "public" for h in hits)
        # the internal answer is not there for customers
        assert "kb-061" not in [h["id"] for h in await search(cust, "відновити пароль")]
        # asking for internal ones changes nothing
        assert all(h["visibility"] == "public" for h in await search(cust, "пароль", visibility="internal"))
        assert (await cust.request(KbGet(txn_id=txn(), article_id="kb-019")))["article"]["id"] == "kb-019"
        with pytest.raises(CommandFailed) as exc:
            await cust.request(KbGet(txn_id=txn(), article_id="kb-061"))
        assert exc.value.code == "not_found"
        # editing is not a frame of the customer endpoint at all
        await cust.send_frame(KbSave(txn_id=txn(), article=draft()))
        await cust.wait_frame(Error, lambda e: e.code == "unknown_type")


@scenario
async def test_supervisor_saves_operator_is_refused_event_and_idempotent_retry(kb_hub: TestHub) -> None:
    sup = await signed_in(kb_hub, "supervisor")
    op = await signed_in(kb_hub, "operator")
    assert await search(op, "кешбэк отзыв") == [] or (await search(op, "кешбэк отзыв"))[0]["id"] != "kb-new"

    with pytest.raises(CommandFailed) as exc:
        await op.request(KbSave(txn_id=txn(), article=draft(id="kb-new")))
    assert exc.value.code == "forbidden"
    with pytest.raises(CommandFailed) as exc:
        await op.request(KbDelete(txn_id=txn(), article_id="kb-018"))
    assert exc.value.code == "forbidden"
    with pytest.raises(CommandFailed) as exc:
        await op.request(KbSynonymsSet(txn_id=txn(), groups=[["a", "b"]]))
    assert exc.value.code == "forbidden"
    with pytest.raises(CommandFailed) as exc:
        await sup.request(KbSave(txn_id=txn(), article=draft(title="  ")))
    assert exc.value.code == "invalid_value"

    t = txn()
    first = await sup.request(KbSave(txn_id=t, article=draft(id="kb-new")))
    assert first["created"] is True and first["article"]["author"] == kb_hub.accounts.supervisor.display_name
    event = await op.wait_frame(KbArticleUpdated, lambda e: e.article.id == "kb-new")
    assert event.article.title == "Кешбэк за отзыв" and event.seq > 0
    # a retry with the same txn_id answers the first result and writes nothing again
    again = await sup.request(KbSave(txn_id=t, article=draft(id="kb-new", title="Другое")))
    assert again == first
    assert len(op.frames(KbArticleUpdated)) == 1
    # found at once, in any form of the words
    assert (await search(op, "кешбэки за отзывы", limit=1))[0]["id"] == "kb-new"

    # an edit replaces it in the index
    await sup.request(KbSave(txn_id=txn(), article=draft(id="kb-new", title="Бонус за отзыв", body="Бонус 50 грн.")))
    await op.wait_frame(KbArticleUpdated, lambda e: e.article.title == "Бонус за отзыв")
    assert "kb-new" not in [h["id"] for h in await search(op, "кешбэк")]
    assert (await search(op, "бонусы", limit=1))[0]["id"] == "kb-new"

    # synonyms, then delete
    groups = (await sup.request(KbSynonymsSet(txn_id=txn(), groups=[["Премия", "бонус"], ["одно"]])))["groups"]
    assert groups == [["премия", "бонус"]]
    assert (await op.request(KbSynonymsGet(txn_id=txn())))["groups"] == groups
    assert (await search(op, "премии", limit=1))[0]["id"] == "kb-new"
    t = txn()
    assert (await sup.request(KbDelete(txn_id=t, article_id="kb-new")))["deleted"] is True
    assert (await sup.request(KbDelete(txn_id=t, article_id="kb-new")))["deleted"] is True  # the retry
    await op.wait_frame(KbArticleDeleted, lambda e: e.article_id == "kb-new")
    assert "kb-new" not in [h["id"] for h in await search(op, "бонусы премии")]
    # the event log replays them to a client that was away
    late = await OperatorClient.connect(kb_hub.ws_url)
    await late.login(kb_hub.accounts.operator2.username, kb_hub.accounts.operator2.password)
    replay = await late.sync(last_seq=event.seq - 1, epoch=kb_hub.epoch)
    kinds = [e["type"] for e in replay["events"]]
    assert kinds.count("kb_article_updated") == 2 and kinds.count("kb_article_deleted") == 1
    for c in (sup, op, late):
        await c.close()


@scenario
async def test_an_import_while_the_hub_runs_is_picked_up(kb_hub: TestHub, tmp_path: Path) -> None:
    op = await signed_in(kb_hub)
    assert await search(op, "парашют") == []
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "x.md").write_text(
        "---\nid: kb-500\ntitle: Страхование парашютистов\nlang: ru\ntags: [спорт]\n---\n"
        "Полис для прыжков с парашютом.\n",
        encoding="utf-8",
    )
    done = run_cli("kb", "import", str(folder), "--db", kb_hub.db_url, "--json")
    assert done.returncode == 0 and '"action": "created"' in done.stdout
    # the next search sees the new version of the knowledge base
    assert (await search(op, "парашюты"))[0]["id"] == "kb-500"
    done = run_cli("kb", "delete", "kb-500", "--db", kb_hub.db_url)
    assert done.returncode == 0
    assert await search(op, "парашюты") == []
    await op.close()


@scenario
async def test_the_desktop_service_methods(kb_hub: TestHub, tmp_path: Path) -> None:
    sup = OperatorSession(MemorySecretStore(), "dev-sup", data_dir=tmp_path / "sup")
    op = OperatorSession(MemorySecretStore(), "dev-op", data_dir=tmp_path / "op")
    changed: list[KbArticleInfo] = []
    gone: list[str] = []
    op.kb_article_changed.connect(changed.append)
    op.kb_article_deleted.connect(gone.append)
    await sup.login(kb_hub.ws_url, kb_hub.accounts.supervisor.username, kb_hub.accounts.supervisor.password)
    await op.login(kb_hub.ws_url, kb_hub.accounts.operator.username, kb_hub.accounts.operator.password)
    try:
        hits = await op.kb_search("як змінити пароль", limit=3)
        assert hits and hits[0].lang in ("uk", "ru")
        assert (await op.kb_get(hits[0].id)).body
        with pytest.raises(ClientCommandFailed) as exc:
            await op.kb_save(draft())
        assert exc.value.code == "forbidden"
        article, created = await sup.kb_save(draft(tags=["отзыв"], visibility="public"))
        assert created and article.id.startswith("kb-") and article.visibility == "public"
        await wait_until(lambda: [a.id for a in changed] == [article.id])
        assert [h.id for h in await op.kb_search("кешбэк", tags=["отзыв"])] == [article.id]
        assert await sup.kb_set_synonyms([["отзыв", "отклик"]]) == [["отзыв", "отклик"]]
        assert await op.kb_synonyms() == [["отзыв", "отклик"]]
        assert [h.id for h in await op.kb_search("отклики", tags=["отзыв"])] == [article.id]
        assert await sup.kb_delete(article.id) is True
        await wait_until(lambda: gone == [article.id])
        assert await sup.kb_delete(article.id) is False
    finally:
        await sup.close()
        await op.close()


def test_the_index_is_built_at_start_and_a_search_sent_right_after_is_answered(
    hub_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hub builds the index in the background as soon as it listens, without anyone
    searching; while the build runs (held here on the KB thread until the chat below is
    done) operators sign in and a customer's first message reaches them; a search sent
    before the build ends is answered when it ends."""
    import threading

    from app.search import SearchIndex

    accounts = create_test_accounts(hub_db_url)
    done = run_cli("kb", "import", str(DEMO_KB), "--visibility", "public", "--db", hub_db_url)
    assert done.returncode == 0, done.stderr
    building, release = threading.Event(), threading.Event()
    add_many = SearchIndex.add_many

    def held_add_many(self: SearchIndex, articles: Any) -> None:
        building.set()
        assert release.wait(30), "the test never released the build"
        add_many(self, articles)

    monkeypatch.setattr(SearchIndex, "add_many", held_add_many)
    hub = TestHub(hub_db_url, accounts, kb_refresh_s=0.0)
    hub.start()

    async def run() -> None:
        try:
            await wait_until(building.is_set, message="the index build did not start with the hub")
            op = await signed_in(hub)
            await op.set_status("online")
            async with CustomerClient.connected(hub.ws_url, name="Ivan", locale="ru") as cust:
                await cust.send("Здравствуйте, как вернуть деньги за полис?")
                msg = await op.wait_message(lambda m: m.text.startswith("Здравствуйте, как вернуть"))
                assert msg.message.author == "customer"
                pending = asyncio.ensure_future(search(op, "вернуть деньги за отменённый полис", limit=3))
                assert not release.is_set() and not pending.done()
                release.set()
                hits = await pending
                assert hits[0]["id"] == "kb-018"
            await op.close()
        finally:
            release.set()

    try:
        asyncio.run(run())
    finally:
        hub.stop()
