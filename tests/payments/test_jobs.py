"""Webhook processing as a task (safe to run twice, retried when the acquirer cannot be
asked) and reconciliation from the command and the periodic job."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from lk_core.payments.models import PaymentStatus, PortalPayment, WebhookEvent
from lk_core.payments.services import payment_create, webhook_process, webhooks_retry
from lk_core.payments.tasks import WebhookRetry, process_webhook, reconcile_payments
from lk_platform.scheduler import registered_jobs
from tests.payments.conftest import SITE, configure
from tests.payments.fakes import yookassa_notification


def _stored(payment_id: str) -> WebhookEvent:
    return WebhookEvent.objects.create(
        acquirer="yookassa", headers={},
        body=yookassa_notification("payment.succeeded", {"id": payment_id}).decode())


def test_unreachable_acquirer_marks_the_event_failed_and_the_task_retries(
        alice, fake_yookassa, settings):
    configure("yookassa")
    payment = payment_create(user=alice.user, account=alice.account, site_url=SITE)
    fake_yookassa.set_status(payment.acquirer_payment_id, "succeeded")
    event = _stored(payment.acquirer_payment_id)
    settings.YOOKASSA_API_URL = "http://127.0.0.1:9/v3"
    with pytest.raises(WebhookRetry):
        process_webhook.call(event.pk)
    event.refresh_from_db()
    assert event.status == "failed" and "no answer" in event.error
    settings.YOOKASSA_API_URL = fake_yookassa.url + "/v3"
    WebhookEvent.objects.filter(pk=event.pk).update(
        received_at=timezone.now() - timezone.timedelta(minutes=5))
    assert webhooks_retry() == 1
    event.refresh_from_db()
    payment.refresh_from_db()
    assert event.status == "processed" and payment.status == PaymentStatus.SUCCEEDED
    # Once handled, running it again is harmless.
    assert process_webhook.call(event.pk) == "processed"
    assert webhook_process(event_pk=event.pk).status == "processed"
    assert payment.transitions.filter(to_status="succeeded").count() == 1


def test_reconcile_is_a_periodic_job_and_a_command(alice, utility_b, in_schema):
    from integrations.payments.models import SandboxCharge
    from integrations.payments.sandbox_acquirer import sandbox_charge_decide

    assert "payments.reconcile" in {job.name for job in registered_jobs()}
    configure("sandbox")
    payment = payment_create(user=alice.user, account=alice.account, site_url=SITE)
    sandbox_charge_decide(charge_id=payment.acquirer_payment_id, decision="approve")
    an_hour_ago = timezone.now() - timezone.timedelta(hours=1)
    PortalPayment.objects.update(created_at=an_hour_ago)
    SandboxCharge.objects.update(created_at=an_hour_ago)
    assert reconcile_payments.call()["changed"] == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    with in_schema(utility_b):
        configure("sandbox")
    out = io.StringIO()
    call_command("payments_reconcile", "--minutes", "15", stdout=out)
    assert "alpha: checked 0" in out.getvalue() and "beta: checked 0" in out.getvalue()
