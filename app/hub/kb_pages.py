"""Public knowledge-base articles as web pages a customer can open:
``GET /kb/<id>-<slug>`` on the hub's HTTP side (docs/protocol.md "Public article pages").

- Only ``public`` articles are served; an internal, deleted or unknown one is the same
  plain 404 (the answer never says an internal article exists).
- The Markdown is rendered by markdown-it-py (CommonMark) with raw HTML **off**: every
  ``<`` of an article is text. Links keep only ``http``, ``https`` and ``mailto``
  addresses (anything else, ``javascript:`` included, stays as its text); images are not
  loaded (an article's picture of a remote server would tell that server who reads it),
  their alt text is shown. The page carries its own small stylesheet (a CSP hash allows
  exactly it), readable on a phone, in the article's language (``<html lang>``).
- The slug is decoration for people and chat previews: ``/kb/<id>`` works as well, and an
  id may itself hold ``-`` (``kb-020``), so the longest id the path starts with wins.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from email.utils import formatdate
from typing import Any
from urllib.parse import quote, unquote

from markdown_it import MarkdownIt
from websockets.datastructures import Headers
from websockets.http11 import Response

from app.search.index import Article

PREFIX = "/kb/"
SLUG_MAX = 60
ALLOWED_SCHEMES = ("http:", "https:", "mailto:")

_TRANSLIT = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "ё": "e", "є": "ie",
        "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m",
        "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh",
        "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e",
        "ю": "iu", "я": "ia", "'": "", "’": "", "ʼ": "",
    }
)


_RU = str.maketrans({"г": "g", "и": "i", "й": "y", "х": "kh"})


def slug(title: str, lang: str = "") -> str:
    """A short ASCII slug of a title (Cyrillic transliterated): ``Як повернути кошти`` ->
    ``iak-povernuty-koshty``; "" when nothing is left."""
    text = title.casefold()
    if lang == "ru":
        text = text.translate(_RU)
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
    text = text.encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", text)
    out = ""
    for w in words:
        nxt = f"{out}-{w}" if out else w
        if len(nxt) > SLUG_MAX:
            break
        out = nxt
    return out


def public_path(article_id: str, title: str, lang: str = "") -> str:
    """The page's path: ``/kb/<id>-<slug>`` (``/kb/<id>`` without a slug)."""
    s = slug(title, lang)
    return PREFIX + quote(article_id, safe="._-") + (f"-{s}" if s else "")


def candidate_ids(segment: str) -> list[str]:
    """The ids a path segment may name, longest first: the whole segment, then each
    prefix ending before a ``-``."""
    out = [segment]
    for i in range(len(segment) - 1, 0, -1):
        if segment[i] == "-":
            out.append(segment[:i])
    return out


def _safe_link(url: str) -> bool:
    u = url.strip().lower()
    return u.startswith(ALLOWED_SCHEMES)


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.validateLink = _safe_link  # type: ignore[method-assign]

    def link_open(renderer: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
        tok = tokens[idx]
        tok.attrSet("rel", "nofollow noopener noreferrer")
        tok.attrSet("target", "_blank")
        return str(renderer.renderToken(tokens, idx, options, env))

    def image(renderer: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
        # never loaded: a link to the picture, named by its alt text
        tok = tokens[idx]
        alt = html.escape(tok.content or str(tok.attrGet("src") or ""))
        src = html.escape(str(tok.attrGet("src") or ""))
        return f'<a href="{src}" rel="nofollow noopener noreferrer" target="_blank">{alt}</a>'

    md.add_render_rule("link_open", link_open)
    md.add_render_rule("image", image)
    return md


_MD = _markdown()

CSS = """
:root{color-scheme:light dark;--fg:#1d2430;--bg:#fff;--muted:#5f6b7a;--link:#0b62c4;--line:#e3e7ee}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ef;--bg:#15181d;--muted:#9aa4b2;--link:#6cb0ff;--line:#2c323b}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:17px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
-webkit-text-size-adjust:100%}
main{max-width:42rem;margin:0 auto;padding:1.25rem 1rem 3rem}
h1{font-size:1.6rem;line-height:1.25;margin:.5rem 0 1rem}
h2,h3,h4{line-height:1.3;margin:1.5rem 0 .5rem}
a{color:var(--link);overflow-wrap:anywhere}
p,li{overflow-wrap:break-word}
pre{overflow-x:auto;padding:.75rem;border:1px solid var(--line);border-radius:6px}
code{font-size:.92em}
blockquote{margin:1rem 0;padding-left:1rem;border-left:3px solid var(--line);color:var(--muted)}
table{border-collapse:collapse}
footer{margin-top:2rem;padding-top:.75rem;border-top:1px solid var(--line);color:var(--muted);font-size:.9rem}
""".strip()
CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
CSP = (
    f"default-src 'none'; style-src 'sha256-{CSS_HASH}'; img-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
UPDATED = {"ru": "Обновлено", "uk": "Оновлено", "en": "Updated"}


def render_body(markdown: str) -> str:
    """An article's Markdown as safe HTML (no raw HTML, safe links only)."""
    return str(_MD.render(markdown))


def render_page(article: Article, canonical: str = "") -> bytes:
    lang = article.lang if article.lang in UPDATED else "en"
    title = html.escape(article.title)
    updated = ""
    if article.updated_at is not None:
        updated = f"<footer>{UPDATED[lang]}: {article.updated_at.date().isoformat()}</footer>"
    canon = f'<link rel="canonical" href="{html.escape(canonical)}">' if canonical else ""
    page = (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{title}</title>{canon}<style>{CSS}</style></head>"
        f"<body><main><article><h1>{title}</h1>\n{render_body(article.body)}</article>{updated}</main></body></html>\n"
    )
    return page.encode()


def _response(status: int, reason: str, body: bytes, ctype: str, extra: Sequence[tuple[str, str]] = ()) -> Response:
    headers = Headers(
        [
            ("Date", formatdate(usegmt=True)),
            ("Content-Type", ctype),
            ("Content-Length", str(len(body))),
            # an article taken back (internal, deleted) must not live on in caches
            ("Cache-Control", "no-cache"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            *extra,
            ("Connection", "close"),
        ]
    )
    return Response(status, reason, headers, body)


def not_found() -> Response:
    return _response(404, "Not Found", b"not found\n", "text/plain; charset=utf-8")


Lookup = Callable[[list[str]], Awaitable[list[Article]]]


class KbPageRoute:
    """``GET /kb/<id>-<slug>``: a public article's page. ``lookup`` reads articles by id
    (the hub's database thread); ``base_url`` makes the canonical address."""

    def __init__(self, lookup: Lookup, base_url: Callable[[], str]) -> None:
        self.lookup = lookup
        self.base_url = base_url

    async def __call__(self, path: str) -> Response:
        segment = unquote(path[len(PREFIX) :])
        if not segment or "/" in segment or len(segment) > 200 or "\x00" in segment:
            return not_found()
        wanted = [c for c in candidate_ids(segment) if len(c) <= 64][:12]
        found = {a.id: a for a in await self.lookup(wanted) if a.visibility == "public"}
        article = next((found[c] for c in wanted if c in found), None)
        if article is None:
            return not_found()
        canonical = self.base_url().rstrip("/") + public_path(article.id, article.title, article.lang)
        body = render_page(article, canonical)
        return _response(200, "OK", body, "text/html; charset=utf-8", [("Content-Security-Policy", CSP)])
