"""Articles from Markdown files with front matter (app/search/markdown.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.search import ArticleError, load_markdown_dir, parse_markdown

GOOD = """---
id: kb-900
title: Как сменить пароль
lang: ru
tags: [пароль, безопасность]
---
1. Откройте «Профиль».
"""


def test_parse_front_matter() -> None:
    a = parse_markdown(GOOD)
    assert (a.id, a.title, a.lang, a.tags, a.visibility) == (
        "kb-900",
        "Как сменить пароль",
        "ru",
        ("пароль", "безопасность"),
        "internal",
    )
    assert a.body == "1. Откройте «Профиль»."
    b = parse_markdown(GOOD.replace("lang: ru", "lang: ru\nvisibility: public\nauthor: Olena"))
    assert b.visibility == "public" and b.author == "Olena"
    assert parse_markdown(GOOD, default_visibility="public").visibility == "public"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("no front matter", "no front matter"),
        ("---\nid: x\ntitle: t\nlang: ru\n", "not closed"),
        (GOOD.replace("lang: ru", "lang: de"), "lang 'de'"),
        (GOOD.replace("title: Как сменить пароль\n", ""), "no title"),
        (GOOD.replace("tags: [пароль, безопасность]", "tags: [пароль"), "not closed with ]"),
        (GOOD.replace("1. Откройте «Профиль».", ""), "body is empty"),
        (GOOD.replace("id: kb-900", "id: ../etc"), "id '../etc'"),
        (GOOD.replace("lang: ru", "lang: ru\njust text"), "expected 'key: value'"),
    ],
)
def test_broken_files_say_why(text: str, why: str) -> None:
    with pytest.raises(ArticleError, match=why.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        parse_markdown(text)


def test_folder_with_broken_files(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.md").write_text("oops", encoding="utf-8")
    (tmp_path / "c.md").write_bytes(b"---\nid: c\n\xff\xfe---\n")
    (tmp_path / "d.md").write_text(GOOD, encoding="utf-8")  # the same id again
    (tmp_path / "notes.txt").write_text("not an article", encoding="utf-8")
    articles, errors = load_markdown_dir(tmp_path)
    assert [a.id for a in articles] == ["kb-900"]
    assert [name for name, _ in errors] == ["b.md", "c.md", "d.md"]
    assert "UTF-8" in errors[1][1] and "already used by a.md" in errors[2][1]
    assert load_markdown_dir(tmp_path / "missing")[1][0][1] == "not a folder"
