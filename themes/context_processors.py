"""Puts the current utility's branding into every template."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest

BRANDING_FIELDS = ("theme", "primary_color", "accent_color", "name", "logo", "favicon")


def branding_version(utility) -> str:
    raw = "|".join(str(getattr(utility, field)) for field in BRANDING_FIELDS)
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def branding(request: HttpRequest) -> dict:
    utility = getattr(request, "tenant", None)
    if utility is None:
        return {"platform_name": settings.PLATFORM_NAME}
    return {
        "utility": utility,
        "platform_name": settings.PLATFORM_NAME,
        "theme": utility.theme,
        "branding_version": branding_version(utility),
        "maintenance": utility.state == "maintenance",
    }
