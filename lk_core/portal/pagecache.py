"""The dashboard as a whole page, rendered once per change of anything it shows.

The key holds everything the page is built from: the data key (the account's and the
utility's data versions, which every writer bumps in its own transaction, the resident and
the day: lk_core.portal.selectors.dashboard_cache_key), the language, the path (forms carry
it as `next`), every field of the utility (branding, state and message, reading window,
footer contacts) and the templates' own source and static URLs (a deploy changes them).

Not cached, rendered as usual: residents with several accounts (the menu lists them, and
linking one bumps no version) and requests with messages to show. The CSRF token, which
differs per request, is stored as a placeholder and filled in on the way out.
"""

from __future__ import annotations

import functools
import hashlib

from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.templatetags.static import static

CACHE_SECONDS = 6 * 3600
CSRF_PLACEHOLDER = "lk-csrf-placeholder-4f1c2a"
TEMPLATES = ("base.html", "portal/layout.html", "portal/dashboard.html",
             "identity/_nav.html", "identity/_nav_links.html")
STATIC = ("themes/js/nav.js", "themes/css/base.css", "themes/css/classic.css",
          "themes/css/modern.css", "identity/css/identity.css", "portal/portal.css")


@functools.cache
def _release() -> str:
    """What this process renders with: templates and static file URLs."""
    parts = [get_template(name).template.source for name in TEMPLATES]
    parts += [static(name) for name in STATIC]
    return _digest("\x1f".join(parts))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _utility_fingerprint(utility) -> str:
    return _digest("\x1f".join(str(getattr(utility, f.attname))
                               for f in utility._meta.concrete_fields))


def page_key(request: HttpRequest, *, data_key: str | None, language: str) -> str | None:
    resident = request.resident.resident
    if data_key is None or getattr(resident, "linked_count", None) != 1:
        return None
    if list(get_messages(request)):  # shown once: this page must show them
        return None
    parts = (language, request.get_full_path(), _utility_fingerprint(request.tenant),
             _release())
    return f"{data_key}:page:{_digest(chr(31).join(parts))}"


def page_html(request: HttpRequest, key: str | None, build) -> str:
    """The page from the cache, or built by `build(csrf_token)` (the placeholder goes into
    the template context) and stored; then the request's own CSRF token filled in."""
    html = cache.get(key) if key else None
    if html is None:
        html = build(CSRF_PLACEHOLDER)
        if key:
            cache.set(key, html, CACHE_SECONDS)
    return html.replace(CSRF_PLACEHOLDER, get_token(request))
