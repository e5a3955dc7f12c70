"""Small request helpers shared by the views, the login forms and the admin."""

from __future__ import annotations

import math

from django.http import HttpRequest
from django.utils.translation import ngettext


def client_ip(request: HttpRequest | None) -> str | None:
    # REMOTE_ADDR only: a forwarded header is trusted by the proxy setup, not here.
    return (request.META.get("REMOTE_ADDR") or None) if request is not None else None


def wait_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext("Too many attempts. Try again in %(minutes)d minute.",
                    "Too many attempts. Try again in %(minutes)d minutes.",
                    minutes) % {"minutes": minutes}
