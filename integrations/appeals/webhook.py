"""Forward an appeal to the utility's own system: a JSON POST signed with HMAC-SHA256.

Headers: `X-LK-Timestamp` (Unix seconds), `X-LK-Delivery` (the same on every retry of one
delivery: the receiver's idempotency key), `X-LK-Signature: sha256=<hex>` where the hex is
HMAC-SHA256(secret, "<timestamp>." + body). Signing the timestamp with the body lets the
receiver refuse replays: reject a timestamp older than a few minutes, or a delivery id it
has already processed.

The URL is requested through `lk_platform.outbound`: in production an address in the
platform's own network is refused (a permanent failure with a clear error, never a
connection), checked on the address actually connected to; redirects are not followed."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from lk_core.appeals.forwarding import (
    ForwardRequest,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from lk_platform.outbound import (
    OutboundAddressRefused,
    outbound_opener,
    outbound_refusal,
    outbound_url_check,
)

TIMEOUT_SECONDS = 15


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class WebhookForwarder:
    def forward(self, request: ForwardRequest) -> str:
        if not request.secret:
            raise PermanentDeliveryError("the route has no webhook secret")
        try:
            outbound_url_check(request.target)
        except OutboundAddressRefused as exc:
            raise PermanentDeliveryError(str(exc)) from exc
        body = json.dumps(request.payload, ensure_ascii=False, sort_keys=True).encode()
        timestamp = str(int(time.time()))
        http_request = urllib.request.Request(  # noqa: S310 - scheme checked above
            request.target, data=body, method="POST", headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "lk-platform-appeals/1",
                "X-LK-Timestamp": timestamp,
                "X-LK-Delivery": str(request.delivery_id),
                "X-LK-Signature": signature(secret=request.secret, timestamp=timestamp,
                                            body=body)})
        try:
            opener = outbound_opener(follow_redirects=False)
            with opener.open(http_request, timeout=TIMEOUT_SECONDS) as response:
                return f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            error = RetryableDeliveryError if exc.code >= 500 or exc.code in (408, 429) \
                else PermanentDeliveryError
            raise error(f"HTTP {exc.code} from {request.target}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if (refusal := outbound_refusal(exc)) is not None:
                raise PermanentDeliveryError(str(refusal)) from exc
            raise RetryableDeliveryError(f"cannot reach {request.target}: {exc}") from exc
