"""Help pages: the platform's guide (Markdown files in Russian and English) and the
tenant's own pages, rendered from Markdown and sanitised."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

GUIDES = Path(__file__).resolve().parent / "guide"
ALLOWED_TAGS = {"h1", "h2", "h3", "h4", "p", "ul", "ol", "li", "strong", "em", "a", "code",
                "pre", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "hr", "br"}
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_render(text: str) -> SafeString:
    """Markdown to HTML, then cleaned by nh3: staff-written pages cannot inject script,
    styles or event handlers."""
    html = _markdown.render(text or "")
    return mark_safe(nh3.clean(html, tags=ALLOWED_TAGS,  # noqa: S308 - sanitised by nh3
                               attributes={"a": {"href", "title"}},
                               url_schemes={"http", "https", "mailto", "tel"}))


@cache
def guide(language: str) -> SafeString:
    path = GUIDES / f"guide.{language}.md"
    if not path.exists():
        path = GUIDES / "guide.ru.md"
    return markdown_render(path.read_text(encoding="utf-8"))
