"""HTML to PDF for receipts: everything WeasyPrint needs that does not change between
receipts is built once per process (fonts, stylesheets, the URL fetcher).

Where the time went (cProfile on `receipts_render`, tests/bench/test_receipt_bench.py):
WeasyPrint's time grows with every box it lays out and draws, so the template is lean
(templates/receipts/receipt.html: one block per party, a table row is its name and one
line of figures, lk_core/receipts/figures.py; no cell borders). Besides: parsing the
receipt's stylesheet again for every receipt, matching WeasyPrint's whole HTML5
user-agent stylesheet against every element, building a URL opener per document (all
done once now), parsing the HTML with a pure-Python HTML5 parser (expat now, see
ReceiptHTML), subsetting the full system fonts for every PDF (receipt_fonts.py) and the
garbage collector running several times per receipt (pdf_from_html).

A batch renders each receipt as its own document with everything above shared. Laying
out many receipts as one document (page break per receipt) and cutting it into one PDF
per receipt was measured too and was no faster: layout costs the same per box either
way, and cutting costs a PDF serialisation per receipt with `Document.copy(pages)` (or,
with pypdf, files five times larger carrying every page's resources)."""

from __future__ import annotations

import base64
import gc
import threading
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from xml.etree import ElementTree

import cssselect2
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from lk_core.receipts.figures import column_css
from lk_core.receipts.receipt_fonts import font_face_css
from tenants.branding import HEX_COLOR

STYLESHEET = Path(__file__).with_name("receipt.css")

# Instead of WeasyPrint's HTML5 user-agent stylesheet (hundreds of rules matched against
# every element): the defaults of exactly the elements the receipt templates use.
# tests/portal/test_receipts.py checks that the templates use no other element.
UA_CSS = """
head, title, meta, style, script { display: none; }
html, body, div, p, h1, h2 { display: block; }
table { display: table; box-sizing: border-box; }
colgroup { display: table-column-group; }
col { display: table-column; }
thead { display: table-header-group; }
tbody { display: table-row-group; }
tfoot { display: table-footer-group; }
tr { display: table-row; }
td, th { display: table-cell; }
strong { font-weight: bold; }
br::before { content: '\\A'; white-space: pre-line; }
"""
UA_ELEMENTS = frozenset({"html", "head", "title", "meta", "body", "div", "p", "h1", "h2",
                         "table", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "td",
                         "th", "strong", "br", "img"})  # img: inline, the initial display


class ReceiptFetcher(URLFetcher):
    """Receipts embed their only image (the QR code) as a data: URI; nothing else is ever
    fetched: no network, no file system (a stray URL in tenant data fails the render)."""

    def __init__(self) -> None:
        super().__init__(fail_on_errors=True)

    def fetch(self, url, headers=None):
        if not url.startswith("data:"):
            raise ValueError(f"receipts load nothing but data: URIs, not {url[:80]!r}")
        meta, _comma, payload = url[5:].partition(",")
        media_type, *params = meta.split(";")
        body = base64.b64decode(payload) if "base64" in params else payload.encode()
        return URLFetcherResponse(url, body, {"Content-Type": media_type or "text/plain"})


class ReceiptHTML(HTML):
    """The receipt template is well-formed XHTML, so it is parsed with the standard
    library's XML parser (expat, in C: about 0.1 ms) instead of WeasyPrint's HTML5 parser
    (pure Python: about 3 ms a receipt); both build the same ElementTree. Anything else
    (not XML, or not an <html> document) goes through the HTML5 parser as usual."""

    def __init__(self, *, string: str, url_fetcher: URLFetcher) -> None:
        try:
            # Our own template's output (tenant values escaped by Django), no DTD: nothing
            # for the XML attacks defusedxml guards against.
            root = ElementTree.fromstring(string)  # noqa: S314
        except ElementTree.ParseError:
            root = None
        if root is None or root.tag != "html":
            super().__init__(string=string, url_fetcher=url_fetcher)
            return
        # What HTML.__init__ sets, for a document with no <base> and no base URL.
        self.base_url = None
        self.url_fetcher = url_fetcher
        self.media_type = "print"
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(
            root, content_language=None)
        self.etree_element = self.wrapper_element.etree_element

    def _ua_stylesheets(self, forms=False):
        return [_ua_stylesheet()]


@cache
def _ua_stylesheet() -> CSS:
    return CSS(string=UA_CSS)


@cache
def fonts() -> FontConfiguration:
    # Building a font configuration (a fontconfig scan) costs more than a page.
    return FontConfiguration()


@cache
def fetcher() -> ReceiptFetcher:
    return ReceiptFetcher()


@cache
def _base_stylesheet() -> CSS:
    return CSS(string="\n".join((font_face_css(), STYLESHEET.read_text(encoding="utf-8"),
                                  column_css())),
               font_config=fonts(), url_fetcher=fetcher())


def _color(value: str, default: str) -> str:
    return value if HEX_COLOR.match(value or "") else default


@cache
def _branding_stylesheet(primary: str, accent: str) -> CSS:
    primary, accent = _color(primary, "#1f5fa8"), _color(accent, "#f2a900")
    return CSS(string=f"h1, h2 {{ color: {primary}; }}"
                      f".theme-modern .box {{ border-color: {primary}; }}"
                      f".theme-classic h1 {{ border-bottom-color: {accent}; }}",
               font_config=fonts(), url_fetcher=fetcher())


def stylesheets(utility) -> list[CSS]:
    return [_base_stylesheet(), _branding_stylesheet(utility.primary_color,
                                                     utility.accent_color)]


# Pango and the shared font configuration are not safe to use from two threads at once
# (a threaded worker rendering receipts concurrently crashed with heap corruption), so a
# process renders one receipt at a time; rendering is CPU-bound under the GIL anyway.
_RENDER_LOCK = threading.Lock()


# A receipt allocates some hundred thousand short-lived objects (WeasyPrint's boxes and
# styles, the QR code's encoder); at Python's default threshold (a young-generation
# collection every 700 allocations) the collector ran about six times per receipt and
# each run also walked the young survivors of the process (5-8 ms of a receipt in a
# worker with Django loaded). While receipts are built the collector runs about ten
# times less often; the thresholds in force before come back after the last one.
GC_YOUNG_THRESHOLD = 10_000
_GC_LOCK = threading.Lock()
_gc_users = 0
_gc_saved: tuple[int, ...] = ()


@contextmanager
def fewer_collections():
    global _gc_users, _gc_saved
    with _GC_LOCK:
        if _gc_users == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(max(_gc_saved[0], GC_YOUNG_THRESHOLD), *_gc_saved[1:])
        _gc_users += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _gc_users -= 1
            if _gc_users == 0:
                gc.set_threshold(*_gc_saved)


def pdf_from_html(html: str, *, utility) -> bytes:
    with _RENDER_LOCK, fewer_collections():
        return ReceiptHTML(string=html, url_fetcher=fetcher()).write_pdf(
            stylesheets=stylesheets(utility), font_config=fonts())
