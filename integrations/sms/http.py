"""The HTTP call both providers share, with transport failures mapped to typed errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from lk_core.notifications.gateways import PermanentDeliveryError, RetryableDeliveryError

TIMEOUT_SECONDS = 15


def post_form(url: str, fields: dict[str, str]) -> dict:
    """POST a form, return the JSON answer. 5xx and network errors are retryable, other
    HTTP errors (4xx) and answers that are not JSON are permanent."""
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, method="POST")  # noqa: S310 - https/config
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            body = response.read()
    except urllib.error.HTTPError as exc:
        error = RetryableDeliveryError if exc.code >= 500 or exc.code == 429 else \
            PermanentDeliveryError
        raise error(f"HTTP {exc.code} from {url}") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise RetryableDeliveryError(f"cannot reach {url}: {exc}") from exc
    try:
        return json.loads(body)
    except ValueError as exc:
        raise RetryableDeliveryError(f"not JSON from {url}: {body[:200]!r}") from exc
