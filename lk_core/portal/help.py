"""Help pages: the platform's guide (Markdown files in Russian and English) and the
tenant's own pages, rendered from Markdown and sanitised."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import nh3
from django.http import Http404
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from lk_core.portal.models import HelpPage

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
def guide_source(language: str) -> str:
    """The platform's guide in Markdown, in `language` or else in Russian."""
    path = GUIDES / f"guide.{language}.md"
    if not path.exists():
        path = GUIDES / "guide.ru.md"
    return path.read_text(encoding="utf-8")


@cache
def guide(language: str) -> SafeString:
    return markdown_render(guide_source(language))


def help_pages(*, language: str) -> list[HelpPage]:
    """The tenant's pages in `language`."""
    return list(HelpPage.objects.filter(language=language))


def help_page_get(*, slug: str, language: str) -> HelpPage:
    """The page in `language`, else in another one; Http404 when there is none."""
    page = (HelpPage.objects.filter(slug=slug, language=language).first()
            or HelpPage.objects.filter(slug=slug).order_by("language").first())
    if page is None:
        raise Http404
    return page
