"""Absolute URLs of a utility's portal, for e-mails and printed material."""

from __future__ import annotations

from django.conf import settings


def utility_url(utility, path: str = "/") -> str:
    scheme = "https" if settings.SECURE_HTTPS else "http"
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    domain = utility.get_primary_domain() if not utility.is_public else settings.PLATFORM_DOMAIN
    return f"{scheme}://{domain}{port}{path}"
