"""KB Markdown as the plain text of a chat reply."""

from __future__ import annotations

from app.domain.markdown import to_plain


def test_markdown_becomes_a_readable_plain_reply() -> None:
    md = (
        "# Refunds\n\nYou get **the whole** amount back, _within 5 days_.\n\n"
        "1. Open [My policies](https://papaya.example/policies).\n2. Press `Cancel`.\n\n"
        "- by card\n* by bank transfer\n\n---\n> Keep the receipt.\n\n\n\nsnake_case stays, 2*3*4 too"
    )
    assert to_plain(md) == (
        "Refunds\n\nYou get the whole amount back, within 5 days.\n\n"
        "1. Open My policies (https://papaya.example/policies).\n2. Press Cancel.\n\n"
        "• by card\n• by bank transfer\n\n\nKeep the receipt.\n\nsnake_case stays, 2*3*4 too"
        .replace("\n\n\n", "\n\n")
    )


def test_plain_text_passes_unchanged() -> None:
    text = "Здравствуйте! Деньги вернутся за 5 рабочих дней.\n\nНомер: 123."
    assert to_plain(text) == text
