"""Knowledge base articles from a folder of Markdown files with front matter
(the format of resources/demo/kb/: ``---``, ``key: value`` lines, ``tags: [a, b]``, ``---``,
then the body). Only that small subset of YAML is read, so no YAML library is needed;
anything else in a file is reported as an error for that file alone."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from app.search.index import Article

LANGS = frozenset({"ru", "uk", "en"})
VISIBILITIES = frozenset({"internal", "public"})
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
TITLE_MAX = 300
BODY_MAX = 30_000
TAGS_MAX = 30
TAG_MAX = 64
FILE_MAX_BYTES = 256 * 1024
_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$")


class ArticleError(ValueError):
    """An article that cannot be stored: what is wrong, in words an admin can act on."""


def _unquote(value: str) -> str:
    v = value.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        return v[1:-1]
    return v


def _tags(value: str) -> tuple[str, ...]:
    v = value.strip()
    if not v:
        return ()
    if v.startswith("["):
        if not v.endswith("]"):
            raise ArticleError("tags: the list is not closed with ]")
        v = v[1:-1]
    return tuple(t for t in (_unquote(x) for x in v.split(",")) if t)


def check_article(article: Article) -> Article:
    """The article with clean values, or :class:`ArticleError` naming what is wrong."""
    aid = article.id.strip()
    if not ID_RE.match(aid):
        raise ArticleError(f"id {article.id!r}: use 1-64 letters, digits, '.', '_' or '-'")
    title = " ".join(article.title.split())
    if not title:
        raise ArticleError("the title is empty")
    if len(title) > TITLE_MAX:
        raise ArticleError(f"the title is longer than {TITLE_MAX} characters")
    body = article.body.strip()
    if not body:
        raise ArticleError("the body is empty")
    if len(body) > BODY_MAX:
        raise ArticleError(f"the body is longer than {BODY_MAX} characters")
    if article.lang not in LANGS:
        raise ArticleError(f"lang {article.lang!r}: use ru, uk or en")
    if article.visibility not in VISIBILITIES:
        raise ArticleError(f"visibility {article.visibility!r}: use internal or public")
    tags = tuple(dict.fromkeys(" ".join(t.split()) for t in article.tags if t.strip()))
    if len(tags) > TAGS_MAX:
        raise ArticleError(f"more than {TAGS_MAX} tags")
    if any(len(t) > TAG_MAX for t in tags):
        raise ArticleError(f"a tag is longer than {TAG_MAX} characters")
    return Article(
        id=aid,
        title=title,
        body=body,
        lang=article.lang,
        tags=tags,
        visibility=article.visibility,
        updated_at=article.updated_at,
        author=article.author,
    )


def parse_markdown(text: str, *, default_visibility: str = "internal") -> Article:
    """One article from a Markdown file's text, or :class:`ArticleError`."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ArticleError("no front matter: the file must start with a line '---'")
    try:
        close = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ArticleError("the front matter is not closed with a line '---'") from None
    meta: dict[str, str] = {}
    for n, line in enumerate(lines[1:close], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _KEY.match(line)
        if m is None:
            raise ArticleError(f"line {n}: expected 'key: value', got {line.strip()[:60]!r}")
        meta[m.group(1).lower()] = m.group(2)
    for key in ("id", "title", "lang"):
        if not _unquote(meta.get(key, "")):
            raise ArticleError(f"the front matter has no {key}")
    updated: datetime | None = None
    if meta.get("updated_at", "").strip():
        try:
            updated = datetime.fromisoformat(_unquote(meta["updated_at"]).replace("Z", "+00:00"))
        except ValueError:
            raise ArticleError(f"updated_at {meta['updated_at'].strip()!r} is not a date") from None
        if updated.tzinfo is None:
            updated = updated.replace(tzinfo=UTC)
    return check_article(
        Article(
            id=_unquote(meta["id"]),
            title=_unquote(meta["title"]),
            body="\n".join(lines[close + 1 :]),
            lang=_unquote(meta["lang"]).lower(),
            tags=_tags(meta.get("tags", "")),
            visibility=_unquote(meta.get("visibility", "")).lower() or default_visibility,
            updated_at=updated,
            author=_unquote(meta.get("author", "")) or None,
        )
    )


def load_markdown_dir(
    path: str | Path, *, default_visibility: str = "internal"
) -> tuple[list[Article], list[tuple[str, str]]]:
    """Every ``*.md`` file of a folder (sorted by name): the articles, and (file name,
    error) for each file that could not be read. Two files with the same id: the
    second is an error."""
    folder = Path(path)
    if not folder.is_dir():
        return [], [(str(folder), "not a folder")]
    articles: list[Article] = []
    errors: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for f in sorted(folder.glob("*.md")):
        try:
            if f.stat().st_size > FILE_MAX_BYTES:
                raise ArticleError(f"larger than {FILE_MAX_BYTES // 1024} KiB")
            try:
                text = f.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise ArticleError("not UTF-8 text") from None
            article = parse_markdown(text, default_visibility=default_visibility)
            if article.id in seen:
                raise ArticleError(f"id {article.id!r} is already used by {seen[article.id]}")
        except (ArticleError, OSError) as exc:
            errors.append((f.name, str(exc)))
            continue
        seen[article.id] = f.name
        articles.append(article)
    return articles, errors
