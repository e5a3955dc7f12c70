"""The tenant's colours as CSS custom properties, served as a stylesheet so the
Content-Security-Policy can forbid inline styles."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from tenants.branding import CONTENT_TYPES
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


@require_GET
def branding_asset(request: HttpRequest, kind: str) -> HttpResponse:
    """The utility's logo or favicon, from its own media folder (the request runs in the
    utility's schema, so the storage can only reach that utility's files)."""
    utility = request.tenant
    name = getattr(utility, kind, "") if kind in ("logo", "favicon") else ""
    if utility.is_public or not name or not default_storage.exists(name):
        raise Http404
    extension = name.rsplit(".", 1)[-1]
    response = FileResponse(default_storage.open(name, "rb"),
                            content_type=CONTENT_TYPES.get(extension, "application/octet-stream"))
    # File names carry a content hash: a changed image gets a new URL.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
