"""A small, safe Markdown subset for content packs: headings, paragraphs, lists, bold and italics.

Content is escaped first, so a pack can never inject markup or script; anything outside the subset
shows as plain text.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_ORDERED = re.compile(r"^\d+\.\s+")
_UNORDERED = re.compile(r"^[-*]\s+")
_HEADING = re.compile(r"^(#{2,4})\s+")


def _inline(text: str) -> str:
    html = str(escape(text))
    html = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html)
    return re.sub(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"<em>\1</em>", html)


def _block(lines: list[str]) -> str:
    if all(_ORDERED.match(line) for line in lines):
        return "<ol>" + "".join(f"<li>{_inline(_ORDERED.sub('', line))}</li>" for line in lines) + "</ol>"
    if all(_UNORDERED.match(line) for line in lines):
        return "<ul>" + "".join(f"<li>{_inline(_UNORDERED.sub('', line))}</li>" for line in lines) + "</ul>"
    heading = _HEADING.match(lines[0])
    if heading and len(lines) == 1:
        level = len(heading.group(1))
        return f"<h{level}>{_inline(_HEADING.sub('', lines[0]))}</h{level}>"
    return "<p>" + " ".join(_inline(line) for line in lines) + "</p>"


def render_markdown(source: str) -> SafeString:
    blocks = [block.strip().splitlines() for block in re.split(r"\n\s*\n", source.strip()) if block.strip()]
    return mark_safe("\n".join(_block([line.strip() for line in block]) for block in blocks))  # noqa: S308  escaped above
