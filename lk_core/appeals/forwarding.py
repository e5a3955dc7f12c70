"""What lk_core needs from a way of forwarding an appeal to the utility (e-mail, a webhook
to its own system). Adapters live in integrations/appeals/ and are picked by the route's
delivery kind through settings.APPEAL_FORWARDERS, so lk_core imports no concrete one.

Adapters raise the notification layer's typed errors: `RetryableDeliveryError` (network,
5xx, mail server trouble) or `PermanentDeliveryError` (4xx, refused recipient)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from lk_core.notifications.gateways import (  # noqa: F401 - re-exported for adapters
    DeliveryError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)


@dataclass(frozen=True)
class ForwardRequest:
    delivery_id: int
    target: str                 # an e-mail address or a URL
    payload: dict               # the appeal as JSON (docs/consoles.md, "Appeal routing")
    subject: str = ""
    text: str = ""
    secret: str = field(default="", repr=False)  # the webhook's signing secret


class AppealForwarder(Protocol):
    def forward(self, request: ForwardRequest) -> str:
        """Deliver once; return what the other side answered (for the desk). Raise
        DeliveryError."""


def forwarder_get(kind: str) -> AppealForwarder:
    try:
        path = settings.APPEAL_FORWARDERS[kind]
    except KeyError as exc:
        raise PermanentDeliveryError(f"no forwarder for delivery kind {kind!r}") from exc
    return import_string(path)()
