"""The tenant's colours as CSS custom properties, served as a stylesheet so the
Content-Security-Policy can forbid inline styles."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from themes.context_processors import branding_version

CSS = """:root {{
  --brand-primary: {primary};
  --brand-accent: {accent};
}}
"""


@require_GET
def branding_css(request: HttpRequest) -> HttpResponse:
    utility = request.tenant
    response = HttpResponse(
        CSS.format(primary=utility.primary_color, accent=utility.accent_color),
        content_type="text/css; charset=utf-8",
    )
    # The URL carries the branding version, so it can be cached for long.
    immutable = request.GET.get("v") == branding_version(utility)
    response["Cache-Control"] = "public, max-age=31536000, immutable" if immutable else "no-cache"
    return response
