"""Every e-mail this app sends goes through `identity_mail_send`, so switching to the
notification outbox later is a change in this one place."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

from lk_core.identity.selectors import utility_current
from tenants.urls import utility_url


def identity_mail_send(*, to: str, template: str, context: dict | None = None) -> None:
    """Render identity/email/<template>.{txt,html} (+ _subject.txt) in the active language,
    branded for the current utility, and send it after the transaction commits."""
    utility = utility_current()
    context = {"utility": utility, "portal_url": utility_url(utility, "/"),
               "platform_name": settings.PLATFORM_NAME, **(context or {})}
    subject = render_to_string(f"identity/email/{template}_subject.txt", context)
    subject = " ".join(subject.split())
    text = render_to_string(f"identity/email/{template}.txt", context)
    html = render_to_string(f"identity/email/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    transaction.on_commit(message.send)
