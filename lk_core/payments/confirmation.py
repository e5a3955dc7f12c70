"""The resident's confirmation of a successful payment: an outbox row (notifications
kind `payment_received`) written in the same transaction as the transition, delivered by
the notifications job. The dedupe key makes a second success report add nothing. An
autopay charge's confirmation is the `autopay_succeeded` kind: the "after" notice."""

from __future__ import annotations

from django.utils import timezone

from lk_core.notifications.models import Kind
from lk_core.notifications.services import notification_enqueue


def payment_confirmation_enqueue(payment, *, tz) -> None:
    # Amount and day plain, shown in the reader's language when rendered.
    context = {"amount": f"{payment.amount:.2f}", "account_number": payment.account.number,
               "paid_on": timezone.localtime(payment.paid_at, tz).date().isoformat(),
               "payment_id": str(payment.public_id)}
    # An autopay charge gets its own wording ("autopay charged ..."), in place of this one.
    kind = (Kind.AUTOPAY_SUCCEEDED if payment.initiated_by == "autopay"
            else Kind.PAYMENT_RECEIVED)
    notification_enqueue(kind=kind, user=payment.user,
                         account=payment.account, email=payment.email, context=context,
                         dedupe_key=f"portal-payment:{payment.public_id}")
    payment.confirmation_sent_at = timezone.now()
    payment.save(update_fields=["confirmation_sent_at"])
