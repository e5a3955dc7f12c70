"""The pull adapter: fetch the package from the URL the tenant configured (PullSource),
over HTTP(S) with If-None-Match, streaming to disk. Through `lk_platform.outbound`: in
production an address in the platform's own network is refused (also after a redirect,
and on the address actually connected to)."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from lk_core.billing.interfaces import FetchedPackage, PullError
from lk_core.billing.models import ImportRun
from lk_core.billing.services import billing_pull_sources
from lk_platform.outbound import outbound_opener, outbound_refusal
from tenants.models import Utility

TIMEOUT = 60


class HttpPackageFetcher:
    def fetch(self, *, url: str, etag: str, auth_header: str, into: Path) -> FetchedPackage:
        if not url.startswith(("http://", "https://")):
            raise PullError(_("Only http and https URLs can be pulled."), retryable=False)
        request = urllib.request.Request(url)  # noqa: S310 - scheme checked above
        if etag:
            request.add_header("If-None-Match", etag)
        if auth_header:
            request.add_header("Authorization", auth_header)
        try:
            with outbound_opener(follow_redirects=True).open(request, timeout=TIMEOUT) \
                    as response:
                with into.open("wb") as out:
                    while chunk := response.read(1 << 20):
                        out.write(chunk)
                return FetchedPackage(not_modified=False, path=into,
                                      etag=response.headers.get("ETag", ""))
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return FetchedPackage(not_modified=True, etag=etag)
            raise PullError(_("The server answered %(code)s.") % {"code": exc.code},
                            retryable=exc.code >= 500 or exc.code == 429) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            if (refusal := outbound_refusal(exc)) is not None:
                raise PullError(str(refusal), retryable=False) from exc
            raise PullError(_("The package server cannot be reached: %(error)s")
                            % {"error": exc}, retryable=True) from exc


def billing_pull_tenant(utility: Utility, fetcher=None) -> list[ImportRun | None]:
    """Pull every enabled source of one tenant now (`manage.py pull_billing`); the
    periodic job `billing.pull` runs the same service per tenant."""
    with schema_context(utility.schema_name):
        return billing_pull_sources(fetcher=fetcher)  # None: the configured fetcher
