"""Autopay runs at the same moment in several workers (two schedulers, a retried task)
charge an invoice once. Real concurrency needs committed data and one connection per
thread, so this module seeds a utility of its own outside the test transaction (as the
browser tests do) and drops it afterwards; bob's account, in the same utility, is not
charged by alice's autopay."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tests.payments.test_autopay import NOVEMBER, at

SLUG = "autopayrace"
WORKERS = 4


def _seed() -> str:
    from integrations.payments.sandbox_acquirer import sandbox_charge_decide
    from lk_core.payments import autopay
    from lk_core.payments.services import payment_refresh
    from tenants.models import Utility
    from tenants.services import utility_create
    from tests.factories import InvoiceFactory
    from tests.payments.conftest import SITE, configure, make_resident

    try:
        utility = Utility.objects.filter(slug=SLUG).first() or utility_create(
            slug=SLUG, name="Autopay Race Water", actor="tests",
            send_staff_email=False).utility
        with schema_context(utility.schema_name):
            configure("sandbox", autopay_enabled=True)
            alice, bob = make_resident("880001"), make_resident("880002")
            mandate = autopay.autopay_start(user=alice.user, account=alice.account, day=10,
                                            cap="5000", site_url=SITE)
            sandbox_charge_decide(charge_id=mandate.setup_payment.acquirer_payment_id,
                                  decision="approve")
            payment_refresh(payment=mandate.setup_payment, source="return")
            autopay.autopay_activate(mandate_pk=mandate.pk)
            for resident in (alice, bob):
                InvoiceFactory(account=resident.account, period=NOVEMBER,
                               charged=Decimal("1500.00"))
            autopay.autopay_run(now=at(5))
            autopay.autopay_run(now=at(7))
        return utility.schema_name
    finally:
        connection.close()


def _drop() -> None:
    from tenants.models import Domain, Utility

    try:
        utility = Utility.objects.get(slug=SLUG)
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{utility.schema_name}" CASCADE')
        Domain.objects.filter(tenant=utility).delete()
        Utility.objects.filter(pk=utility.pk).delete()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def race_schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), ThreadPoolExecutor(1) as pool:
        schema = pool.submit(_seed).result()
    yield schema
    with django_db_blocker.unblock(), ThreadPoolExecutor(1) as pool:
        pool.submit(_drop).result()


def _run(schema: str, barrier: threading.Barrier) -> int:
    from lk_core.payments import autopay

    try:
        with schema_context(schema):
            barrier.wait(timeout=30)
            return autopay.autopay_run(now=at(10))["charged"]
    finally:
        connection.close()


def _state(schema: str) -> dict:
    from integrations.payments.models import SandboxCharge
    from lk_core.notifications.models import Kind, Notification
    from lk_core.payments.models import AutopayCharge, Initiator, PortalPayment

    try:
        with schema_context(schema):
            payments = PortalPayment.objects.filter(initiated_by=Initiator.AUTOPAY)
            return {
                "payments": list(payments.values_list("account__number", "status", "amount")),
                "off_session": SandboxCharge.objects.filter(return_url="").count(),
                "charges": sorted(AutopayCharge.objects.values_list("invoice__account__number",
                                                                    "status")),
                "after": Notification.objects.filter(kind=Kind.AUTOPAY_SUCCEEDED).count()}
    finally:
        connection.close()


def test_concurrent_runs_charge_the_invoice_once(race_schema, django_db_blocker, monkeypatch):
    from lk_core.payments import autopay

    slow = autopay.amount_to_charge

    def amount_slowly(charge):
        # Hold the claim open long enough for every worker to reach it: without the row
        # locks each would then see the charge still scheduled and charge it.
        time.sleep(0.3)
        return slow(charge)

    monkeypatch.setattr(autopay, "amount_to_charge", amount_slowly)
    barrier = threading.Barrier(WORKERS)
    with django_db_blocker.unblock(), ThreadPoolExecutor(WORKERS) as pool:
        charged = list(pool.map(lambda _i: _run(race_schema, barrier), range(WORKERS)))
        state = pool.submit(_state, race_schema).result()
    assert sum(charged) == 1, charged
    assert state["payments"] == [("880001", "succeeded", Decimal("1500.00"))]
    assert state["off_session"] == 1 and state["after"] == 1
    # Alice's October invoice was paid by the first payment; bob has no autopay.
    assert state["charges"] == [("880001", "setup"), ("880001", "succeeded")]
