"""Knowledge-base Markdown as the plain text of a chat reply (no I/O, no Qt).

A chat message is plain text: the customer sees ``**`` and ``#`` literally. What an
article means survives: headings become their own line, emphasis and code marks go,
links become ``text (url)``, numbered and bulleted lists keep their numbers and become
"• " bullets, paragraphs keep one blank line between them.
"""

from __future__ import annotations

import re

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)[^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1|(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\3(?![\w*])")
_CODE = re.compile(r"`([^`]+)`")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _inline(text: str) -> str:
    text = _IMAGE.sub(lambda m: m.group(1) or m.group(2), text)
    text = _LINK.sub(lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} ({m.group(2)})", text)
    text = _CODE.sub(r"\1", text)
    for _ in range(2):  # nested: **bold _and italic_**
        text = _EMPHASIS.sub(lambda m: m.group(2) if m.group(2) is not None else m.group(4), text)
    return text


def to_plain(markdown: str) -> str:
    """The article as a plain-text reply."""
    out: list[str] = []
    in_fence = False
    for raw in markdown.replace("\r\n", "\n").split("\n"):
        if _FENCE.match(raw):
            in_fence = not in_fence
            continue
        if in_fence:
            out.append(raw)
            continue
        if _RULE.match(raw):
            out.append("")
            continue
        line = raw.rstrip()
        heading = _HEADING.match(line)
        if heading:
            if out and out[-1] != "":
                out.append("")
            out.append(_inline(heading.group(1)))
            continue
        line = _BULLET.sub(lambda m: m.group(1) + "• ", line)
        line = re.sub(r"^\s*>\s?", "", line)
        out.append(_inline(line))
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
