"""Autopay benchmark: the hourly job's three steps for N active mandates (schedule the new
invoices, send the "before" notices, charge on the day through the sandbox), against the
baseline of N residents paying the same invoices by hand through the sandbox in the same
run (create at the acquirer, decide, ask back: the same state machine and confirmation).

Run: `.venv/bin/python -m pytest tests/bench/test_autopay_bench.py -m bench -s -p no:randomly`.
Writes the "Autopay" section of docs/performance.md.
"""

from __future__ import annotations

import os
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.payments.models import SandboxSavedMethod
from integrations.payments.sandbox_acquirer import sandbox_charge_decide
from lk_core.billing.models import Account, Invoice
from lk_core.payments import autopay
from lk_core.payments.models import (
    AutopayMandate,
    ChargeStatus,
    Initiator,
    MandateStatus,
    PaymentStatus,
    PortalPayment,
)
from lk_core.payments.services import payment_create, payment_refresh
from lk_core.users.models import User, UserKind
from tests.bench.report import write_section
from tests.payments.conftest import SITE, configure
from tests.payments.test_autopay import NOVEMBER, at

pytestmark = pytest.mark.bench
N = int(os.environ.get("LK_BENCH_AUTOPAY", "300"))


def _seed(n: int) -> list[Account]:
    zero = Decimal("0.00")
    accounts = Account.objects.bulk_create(
        [Account(number=f"AP-{i:06d}", address=f"Bench street {i}") for i in range(n)])
    users = User.objects.bulk_create(
        [User(username=a.number, email=f"{a.number.lower()}@bench.test", password="!",
              kind=UserKind.RESIDENT) for a in accounts])
    methods = SandboxSavedMethod.objects.bulk_create(
        [SandboxSavedMethod(id=f"sbxpm_bench_{i}", tenant_schema=connection.schema_name,
                            title="TEST *4242") for i in range(n)])
    AutopayMandate.objects.bulk_create(
        [AutopayMandate(account=a, user=u, email=u.email, day=10, cap=Decimal("5000"),
                        status=MandateStatus.ACTIVE, acquirer="sandbox", mode="test",
                        method_token=m.id, method_title=m.title)
         for a, u, m in zip(accounts, users, methods, strict=True)])
    Invoice.objects.bulk_create(
        [Invoice(account=a, period=NOVEMBER, opening_balance=zero, charged=Decimal("1500.00"),
                 recalculation=zero, paid=zero, penalty=zero, amount_due=Decimal("1500.00"))
         for a in accounts])
    return accounts


def _timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def test_autopay_job_against_paying_by_hand(in_tenant_a, django_capture_on_commit_callbacks):
    configure("sandbox", autopay_enabled=True, max_amount=Decimal("500000"))
    accounts = _seed(N)
    load = os.getloadavg()[0]
    with CaptureQueriesContext(connection) as queries:
        schedule_s, counts = _timed(lambda: autopay.autopay_run(now=at(5)))
    assert counts["scheduled"] == N
    schedule_queries = len(queries)
    notice_s, counts = _timed(lambda: autopay.autopay_run(now=at(7)))
    assert counts["noticed"] == N
    charge_s, counts = _timed(lambda: autopay.autopay_run(now=at(10)))
    assert counts["charged"] == N
    assert PortalPayment.objects.filter(initiated_by=Initiator.AUTOPAY,
                                        status=PaymentStatus.SUCCEEDED).count() == N
    assert not autopay.autopay_run(now=at(10))["charged"]  # and never twice
    assert AutopayMandate.objects.filter(charges__status=ChargeStatus.SUCCEEDED).count() == N

    users = {u.username: u for u in User.objects.filter(username__startswith="AP-")}

    def by_hand():
        for account in accounts:
            payment = payment_create(user=users[account.number], account=account,
                                     site_url=SITE, amount="1500.00")
            sandbox_charge_decide(charge_id=payment.acquirer_payment_id, decision="approve")
            payment_refresh(payment=payment, source="return")

    baseline_s, _ = _timed(by_hand)
    per = {name: seconds / N * 1000 for name, seconds in (
        ("schedule", schedule_s), ("notice", notice_s), ("charge", charge_s),
        ("baseline", baseline_s))}
    body = f"""
{N} active mandates, each with a new invoice of 1 500,00; the sandbox acquirer; machine
load (1-minute average) {load:.1f} at the start, on 2 shared cores.

| step | total, s | per mandate, ms | vs paying by hand |
| --- | --- | --- | --- |
| schedule the new invoices (one run) | {schedule_s:.2f} | {per["schedule"]:.2f} | {per["schedule"] / per["baseline"]:.2f}x |
| "before" notices | {notice_s:.2f} | {per["notice"]:.2f} | {per["notice"] / per["baseline"]:.2f}x |
| charge on the day | {charge_s:.2f} | {per["charge"]:.2f} | {per["charge"] / per["baseline"]:.2f}x |
| baseline: a resident pays the same invoice by hand | {baseline_s:.2f} | {per["baseline"]:.2f} | 1.00x |

Scheduling is set-based: the run that schedules {N} invoices made {schedule_queries}
queries in all (settings, time zone, one select of the new invoices, one insert), whatever
N. Notices and charges go one mandate at a time, each in its own short transaction under
row locks, so a failure or a concurrent run affects one charge only. A charge goes
through the same state machine, transitions and outbox row as a payment by hand, plus the
amount check, the locks and the charge row: {per["charge"] / per["baseline"]:.1f}x its
cost here, about {3600 / max(per["charge"] / 1000, 1e-6):,.0f} charges an hour for one
worker, far above a utility's monthly invoices spread over 28 days.
"""
    write_section("autopay", "Autopay", body)
    print(body)
