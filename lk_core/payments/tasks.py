"""Thin tasks: take ids, call a service; enqueued on commit by the task layer."""

from __future__ import annotations

from django.conf import settings

from lk_core.payments import autopay, services
from lk_core.payments.models import WebhookStatus
from lk_platform.tasks import task


class WebhookRetry(Exception):
    """The acquirer could not be asked (retryable): let the engine try again later."""


@task(queue_name="default", max_retries=6, time_limit=60)
def process_webhook(event_pk: int) -> str:
    event = services.webhook_process(event_pk=event_pk)
    if event.status == WebhookStatus.FAILED:
        raise WebhookRetry(event.error)
    return event.status


@task(queue_name="periodic", time_limit=600)
def reconcile_payments() -> dict:
    return services.payments_reconcile(
        older_than_minutes=settings.PAYMENTS_PENDING_RECONCILE_MINUTES)


@task(queue_name="default", max_retries=6, time_limit=60)
def activate_autopay(mandate_pk: int) -> str:
    return autopay.autopay_activate(mandate_pk=mandate_pk).status


@task(queue_name="periodic", time_limit=1800)
def run_autopay() -> dict:
    return autopay.autopay_run()
