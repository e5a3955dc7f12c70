"""Forward an appeal by e-mail through Django's mail backend."""

from __future__ import annotations

from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage

from lk_core.appeals.forwarding import ForwardRequest
from lk_core.notifications.gateways import email_send


class EmailForwarder:
    def forward(self, request: ForwardRequest) -> str:
        message_id = make_msgid(domain=settings.PLATFORM_DOMAIN)
        message = EmailMessage(request.subject, request.text, settings.DEFAULT_FROM_EMAIL,
                               [request.target], headers={
                                   "Message-ID": message_id,
                                   "X-LK-Appeal": str(request.payload["appeal"]["id"])})
        email_send(message)
        return message_id
