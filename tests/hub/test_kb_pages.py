"""Public knowledge-base articles as pages on the hub's HTTP side (GET /kb/<id>-<slug>):
a public article is shown (escaped, safe links, its language, readable on a phone), an
internal, deleted or unknown one is the same 404, and the links the hub gives operators
use its public address (--public-url). Real hub, real sockets, real HTTP."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from app.hub.kb_pages import public_path, slug
from app.protocol.messages import KbArticleDraft, KbDelete, KbGet, KbSave, KbSearch
from tests.conftest import TestHub, create_test_accounts
from tests.helpers import OperatorClient, txn
from tests.hub.test_cli import run_cli
from tests.hub.test_http import get

MALICIOUS = """## Як повернути кошти

<script>alert('xss')</script>
<img src=x onerror="alert(1)">

1. Відкрийте [кабінет](https://example.com/cabinet?a=1&b=2).
2. Не натискайте [оце](javascript:alert(document.cookie)) і [оце](JAVASCRIPT:alert(2)).
3. Напишіть нам: [support@example.com](mailto:support@example.com).

![трекер](https://tracker.example.net/pixel.png) <iframe src="https://evil.example"></iframe>
"""


async def signed_in(hub: TestHub, who: str) -> OperatorClient:
    acc = getattr(hub.accounts, who)
    op = await OperatorClient.connect(hub.ws_url)
    await op.login(acc.username, acc.password)
    await op.sync()
    return op


async def save(sup: OperatorClient, **kw: Any) -> dict[str, Any]:
    data = await sup.request(KbSave(txn_id=txn(), article=KbArticleDraft(**kw)))
    return dict(data["article"])


@pytest.fixture
def pages_hub(hub_db_url: str) -> Iterator[TestHub]:
    hub = TestHub(hub_db_url, create_test_accounts(hub_db_url), kb_refresh_s=0.0)
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()


def fetch(hub: TestHub, url: str) -> tuple[int, dict[str, str], str]:
    parts = urlsplit(url)
    status, headers, body = get(hub.port, parts.path)
    return status, headers, body.decode()


def test_public_article_page_is_escaped_and_internal_ones_are_404(pages_hub: TestHub) -> None:
    async def scenario() -> None:
        sup = await signed_in(pages_hub, "supervisor")
        op = await signed_in(pages_hub, "operator")
        public = await save(
            sup, id="kb-refund", title="Як повернути кошти <b>за</b> поліс", body=MALICIOUS, lang="uk",
            visibility="public",
        )
        internal = await save(
            sup, id="kb-secret", title="Внутрішня знижка 30%", body="Код знижки: SECRET30", lang="uk",
            visibility="internal",
        )
        assert public["public_url"] == pages_hub.http_url + "/kb/kb-refund-iak-povernuty-koshty-b-za-b-polis"
        assert "public_url" not in internal
        hits = (await op.request(KbSearch(txn_id=txn(), query="повернути кошти поліс")))["hits"]
        by_id = {h["id"]: h for h in hits}
        assert by_id["kb-refund"]["public_url"] == public["public_url"]
        got = (await op.request(KbGet(txn_id=txn(), article_id="kb-refund")))["article"]
        assert got["public_url"] == public["public_url"]
        secret_hits = (await op.request(KbSearch(txn_id=txn(), query="знижка SECRET30")))["hits"]
        assert secret_hits and all(not h.get("public_url") for h in secret_hits if h["id"] == "kb-secret")

        # the page: shown, in its language, for phones, with everything escaped
        status, headers, page = await asyncio.to_thread(fetch, pages_hub, public["public_url"])
        assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
        assert '<html lang="uk">' in page
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
        assert "<h1>Як повернути кошти &lt;b&gt;за&lt;/b&gt; поліс</h1>" in page
        assert "<script" not in page.lower() and "<iframe" not in page.lower() and "<img" not in page.lower()
        assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in page or "&lt;script&gt;" in page
        hrefs = re.findall(r'href="([^"]*)"', page)
        assert hrefs and all(h.startswith(("https://", "http://", "mailto:")) for h in hrefs), hrefs
        assert "javascript" not in " ".join(hrefs).lower()
        assert 'href="https://example.com/cabinet?a=1&amp;b=2"' in page
        assert 'href="mailto:support@example.com"' in page
        for tag in re.findall(r"<a [^>]*>", page):
            assert 'rel="nofollow noopener noreferrer"' in tag and 'target="_blank"' in tag
        # the picture is not loaded, only linked
        assert 'href="https://tracker.example.net/pixel.png"' in page
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp and "img-src 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"

        # the id alone and another slug lead to the same page (the slug is decoration)
        for path in ("/kb/kb-refund", "/kb/kb-refund-old-title"):
            status, _h, body = await asyncio.to_thread(get, pages_hub.port, path)
            assert status == 200 and b"kb-refund" in body  # the canonical link names it

        # internal, unknown and deleted articles: the same plain 404, nothing of the article
        secret_path = public_path("kb-secret", internal["title"], "uk")
        not_found = await asyncio.to_thread(get, pages_hub.port, "/kb/no-such-article")
        for path in (secret_path, "/kb/kb-secret", "/kb/kb-secret-x", "/kb/", "/kb/%00", "/kb/a/b"):
            status, _h, body = await asyncio.to_thread(get, pages_hub.port, path)
            assert (status, body) == (404, not_found[2]), path
            assert b"SECRET30" not in body
        # taken back: a public article made internal, then deleted
        await save(sup, id="kb-refund", title="Як повернути кошти", body="Внутрішнє", lang="uk", visibility="internal")
        status, _h, body = await asyncio.to_thread(get, pages_hub.port, "/kb/kb-refund")
        assert (status, body) == (404, not_found[2])
        await save(sup, id="kb-public2", title="Refunds", body="**Bold** answer", lang="en", visibility="public")
        status, _h, body = await asyncio.to_thread(get, pages_hub.port, "/kb/kb-public2-refunds")
        assert status == 200 and b'<html lang="en">' in body and b"<strong>Bold</strong>" in body
        await sup.request(KbDelete(txn_id=txn(), article_id="kb-public2"))
        status, _h, body = await asyncio.to_thread(get, pages_hub.port, "/kb/kb-public2-refunds")
        assert (status, body) == (404, not_found[2])
        await sup.close()
        await op.close()

    asyncio.run(scenario())


def test_public_url_setting_makes_the_links(hub_db_url: str) -> None:
    hub = TestHub(hub_db_url, create_test_accounts(hub_db_url), kb_refresh_s=0.0,
                  public_url="https://help.example.com/")

    async def scenario() -> None:
        sup = await signed_in(hub, "supervisor")
        article = await save(sup, id="kb-7", title="Возврат денег", body="Текст", lang="ru", visibility="public")
        assert article["public_url"] == "https://help.example.com/kb/kb-7-vozvrat-deneg"
        hits = (await sup.request(KbSearch(txn_id=txn(), query="возврат денег")))["hits"]
        assert hits[0]["public_url"] == article["public_url"]
        # the page itself is served whatever address the customer came by
        status, _h, body = await asyncio.to_thread(get, hub.port, "/kb/kb-7-vozvrat-deneg")
        assert status == 200
        assert b'<link rel="canonical" href="https://help.example.com/kb/kb-7-vozvrat-deneg">' in body
        await sup.close()

    hub.start()
    try:
        asyncio.run(scenario())
    finally:
        hub.stop()


def test_serve_refuses_a_bad_public_url(tmp_path: Any) -> None:
    for bad in ("ftp://help.example.com", "help.example.com", "https://x.example/?a=1"):
        done = run_cli("serve", "--db", f"sqlite:///{tmp_path / 'h.db'}", "--port", "0", "--public-url", bad)
        assert done.returncode == 2, done.stderr
        assert "--public-url" in done.stderr and "https://" in done.stderr


def test_slugs() -> None:
    assert slug("Як повернути кошти?") == "iak-povernuty-koshty"
    assert slug("Возврат денег", "ru") == "vozvrat-deneg"
    assert slug("<script>") == "script" and slug("!!!") == ""
    assert len(slug("слово " * 40)) <= 60
    assert public_path("kb-1", "!!!") == "/kb/kb-1"
    assert html.escape(public_path("a.b_c", "Hi")) == "/kb/a.b_c-hi"
