"""Files attached to e-mails, built at delivery by the feature that owns the kind.

A feature registers one builder per kind (the receipts app: the receipt PDF). Delivery
calls it once per chunk with all the chunk's rows of that kind, so the builder can read
its data for the whole chunk at once. Nothing is stored: the outbox row names what to
attach (its context), the file is made when the message is sent."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from lk_core.notifications.gateways import PermanentDeliveryError, RetryableDeliveryError
from lk_core.notifications.models import Notification

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


# rows of one kind -> {row pk: its attachments}; a row left out cannot be sent (its
# subject is gone) and fails permanently; an exception fails the chunk's rows retryably.
AttachmentBuilder = Callable[[list[Notification]], dict[int, list[Attachment]]]

_builders: dict[str, AttachmentBuilder] = {}


def attachment_builder_register(kind: str, builder: AttachmentBuilder) -> None:
    _builders[kind] = builder


def attachments_build(rows: list[Notification]
                      ) -> dict[int, list[Attachment] | Exception]:
    """Attachments per row pk for the rows whose kind has a builder; an Exception in
    place of the list says why that row cannot be sent now."""
    by_kind: dict[str, list[Notification]] = defaultdict(list)
    for row in rows:
        if row.kind in _builders:
            by_kind[row.kind].append(row)
    result: dict[int, list[Attachment] | Exception] = {}
    for kind, group in by_kind.items():
        try:
            built = _builders[kind](group)
        except Exception as exc:
            logger.exception("building %s attachments for %d messages failed", kind,
                             len(group))
            error = RetryableDeliveryError(f"attachment: {type(exc).__name__}: {exc}")
            result |= dict.fromkeys((row.pk for row in group), error)
            continue
        for row in group:
            result[row.pk] = built[row.pk] if row.pk in built else PermanentDeliveryError(
                "the attachment is no longer available")
    return result
