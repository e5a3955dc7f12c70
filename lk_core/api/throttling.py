"""Throttling with one rate per scope: `auth` (sign-in, refresh, registration, reset),
`read` (safe methods) and `write`, plus `receipts` on top of `read` for receipt PDFs.
Counters are per tenant: the key names the schema explicitly (on top of the tenant prefix
the cache's key function adds), so a busy utility never slows down another."""

from __future__ import annotations

import math

from django.db import connection
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class TenantScopedThrottle(ScopedRateThrottle):
    cache_format = "throttle_%(schema)s_%(scope)s_%(ident)s"
    fixed_scope: str | None = None  # a subclass counting in a scope of its own

    def allow_request(self, request, view):
        self.scope = self.fixed_scope or getattr(view, "throttle_scope", None) or (
            "read" if request.method in SAFE_METHODS else "write")
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super(ScopedRateThrottle, self).allow_request(request, view)

    def get_rate(self):
        # Read at call time (DRF binds the rates at import), so a settings change applies.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        ident = (f"u{user.pk}" if user is not None and user.is_authenticated
                 else self.get_ident(request))
        return self.cache_format % {"schema": connection.schema_name, "scope": self.scope,
                                    "ident": ident}


class ReceiptThrottle(TenantScopedThrottle):
    """Receipt PDFs, on top of the read rate: each one is a WeasyPrint render (tens of
    milliseconds of CPU, one at a time per process), so a script downloading them in a loop
    would hold up everyone's receipts. One counter per resident for the web page and the
    API (`receipt_download_allowed`)."""

    fixed_scope = "receipts"


def receipt_download_allowed(request) -> tuple[bool, int]:
    """For the web page: whether this resident may download one more receipt now, and if
    not, in how many seconds."""
    throttle = ReceiptThrottle()
    if throttle.allow_request(request, None):
        return True, 0
    return False, math.ceil(throttle.wait() or 1)
