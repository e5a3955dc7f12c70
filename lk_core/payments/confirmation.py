"""The resident's e-mail confirming a successful payment.

One small function hands it over after commit; once the notifications outbox
(lk_core/notifications) is on main, this is where it will enqueue instead of sending."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.utils import get_tenant_model, schema_context

logger = logging.getLogger("lk.payments")


def send_on_commit(payment_pk: int) -> None:
    schema = connection.schema_name
    transaction.on_commit(lambda: confirmation_send(schema=schema, payment_pk=payment_pk))


def confirmation_send(*, schema: str, payment_pk: int) -> bool:
    """Send once: the row is claimed with a conditional UPDATE first."""
    from lk_core.payments.models import PortalPayment

    with schema_context(schema):
        claimed = PortalPayment.objects.filter(pk=payment_pk, confirmation_sent_at=None) \
            .exclude(email="").update(confirmation_sent_at=timezone.now())
        if not claimed:
            return False
        payment = PortalPayment.objects.select_related("account").get(pk=payment_pk)
        utility = get_tenant_model().objects.get(schema_name=schema)
        with translation.override(settings.LANGUAGE_CODE), timezone.override(utility.tzinfo):
            context = {"payment": payment, "utility": utility}
            subject = _("Payment received: %(amount)s, account %(number)s") % {
                "amount": payment.amount, "number": payment.account.number}
            body = render_to_string("payments/email_confirmation.txt", context)
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [payment.email])
        except OSError:
            logger.exception("payments: confirmation e-mail for %s failed", payment.public_id)
            PortalPayment.objects.filter(pk=payment_pk).update(confirmation_sent_at=None)
            return False
        return True
