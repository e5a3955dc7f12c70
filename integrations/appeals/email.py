"""Forward an appeal by e-mail through Django's mail backend."""

from __future__ import annotations

import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage

from lk_core.appeals.forwarding import (
    ForwardRequest,
    PermanentDeliveryError,
    RetryableDeliveryError,
)


class EmailForwarder:
    def forward(self, request: ForwardRequest) -> str:
        message_id = make_msgid(domain=settings.PLATFORM_DOMAIN)
        message = EmailMessage(request.subject, request.text, settings.DEFAULT_FROM_EMAIL,
                               [request.target], headers={
                                   "Message-ID": message_id,
                                   "X-LK-Appeal": str(request.payload["appeal"]["id"])})
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentDeliveryError(f"recipient refused: {exc}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableDeliveryError(f"mail server: {exc}") from exc
        return message_id
