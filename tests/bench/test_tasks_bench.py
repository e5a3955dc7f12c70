"""Background work benchmark: 10,000 "new invoice" notifications of one import enqueued
and delivered (rendered branded e-mail, sent through Django's mail backend, outbox row
updated) on Celery and on Dramatiq with a real worker against the local Redis, against
the same work done in-process in the same run (the baseline).

Run: `make bench` or `.venv/bin/python -m pytest tests/bench/test_tasks_bench.py -m bench -s`
(the whole file: its first test is what makes pytest-django create the test database).
Writes the "Background work" section of docs/performance.md.
"""

from __future__ import annotations

import os
import platform
import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from lk_core.billing.models import Account, Invoice
from lk_core.identity.models import Resident, ResidentAccount
from lk_core.notifications import services
from lk_core.notifications.models import Notification, NotificationPreference, Status
from lk_core.notifications.selectors import recipients_for_accounts
from lk_core.users.models import User, UserKind
from tenants.models import Utility
from tests.bench.report import write_section
from tests.tasks.conftest import (  # noqa: F401 - worker_pool is a fixture
    REDIS_URL,
    running_worker,
    tasks_setting,
    wait_for,
    worker_pool,
)

N = int(os.environ.get("LK_BENCH_NOTIFICATIONS", "10000"))
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
BATCH = "bench-import"
LOAD = f"{os.getloadavg()[0]:.1f}"


def _seed(n: int) -> list[int]:
    """n accounts with a registered resident and an invoice, in bulk."""
    accounts = Account.objects.bulk_create(
        [Account(number=f"BENCH-{i:06d}", address=f"Bench street {i}") for i in range(n)],
        batch_size=2000)
    users = User.objects.bulk_create(
        [User(username=a.number, email=f"{a.number.lower()}@bench.test", password="!",
              kind=UserKind.RESIDENT) for a in accounts], batch_size=2000)
    # What registration leaves behind: the resident and the account link (the outbox's
    # recipients_for_accounts finds an account's resident through it).
    residents = Resident.objects.bulk_create(
        [Resident(user=u, current_account=a, registered_via="amount")
         for u, a in zip(users, accounts, strict=True)], batch_size=2000)
    ResidentAccount.objects.bulk_create(
        [ResidentAccount(resident=r, account=a, method="amount")
         for r, a in zip(residents, accounts, strict=True)], batch_size=2000)
    zero = Decimal("0.00")
    invoices = Invoice.objects.bulk_create(
        [Invoice(account=a, period=date(2026, 10, 1), opening_balance=zero,
                 charged=Decimal("1234.56"), recalculation=zero, paid=zero, penalty=zero,
                 amount_due=Decimal("1234.56")) for a in accounts], batch_size=2000)
    return [invoice.pk for invoice in invoices]


def _unseed() -> None:
    Notification.objects.all().delete()
    NotificationPreference.objects.all().delete()
    Invoice.objects.filter(account__number__startswith="BENCH-").delete()
    User.objects.filter(username__startswith="BENCH-").delete()
    Account.objects.filter(number__startswith="BENCH-").delete()


def _sent() -> int:
    return Notification.objects.filter(batch_key=BATCH, status=Status.SENT).count()


def _enqueue(invoice_ids: list[int]) -> float:
    started = time.perf_counter()
    with transaction.atomic():  # the import's transaction: rows now, jobs after commit
        created = services.invoices_available_notify(invoice_ids=invoice_ids,
                                                     batch_key=BATCH)
    assert created == len(invoice_ids)
    return time.perf_counter() - started


def _run_in_process(invoice_ids: list[int]) -> dict:
    """Baseline: the same rows, the same delivery service, no broker, no worker."""
    with override_settings(TASKS=tasks_setting("immediate", "")):
        started = time.perf_counter()
        _enqueue(invoice_ids)  # the immediate engine delivers on commit, in this process
        total = time.perf_counter() - started
    assert _sent() == len(invoice_ids)
    return {"enqueue": None, "total": total}


def _run_engine(engine: str, invoice_ids: list[int]) -> dict:
    with override_settings(TASKS=tasks_setting(engine, REDIS_URL)):
        started = time.perf_counter()
        enqueue = _enqueue(invoice_ids)
        wait_for(lambda: _sent() == len(invoice_ids), timeout=1800, interval=0.25)
        total = time.perf_counter() - started
    return {"enqueue": enqueue, "total": total}


def _reset() -> None:
    Notification.objects.all().delete()


def _write_section(results: dict[str, dict], n: int) -> None:
    base = results["in-process"]["total"]
    lines = [
        f"`tests/bench/test_tasks_bench.py`, {timezone.now():%Y-%m-%d}, "
        f"{os.cpu_count()} CPU cores shared with other work, Python "
        f"{platform.python_version()}, PostgreSQL and Redis on localhost. "
        f"{n:,} \"new invoice\" notifications of one import: rows written in the import's "
        "transaction, delivered in chunks of "
        f"{services.DELIVERY_CHUNK} per task (rendered branded HTML + text e-mail, Django's "
        "locmem mail backend, outbox row claimed and marked sent). Engines run one real "
        "worker process (Celery: threads pool, 4 threads; Dramatiq: 1 process, 4 threads) "
        "against the local Redis. Baseline: the same services in-process, same run.",
        "",
        "| mode | enqueue (s) | enqueue + deliver all (s) | notifications/s | "
        "time vs in-process |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for mode, r in results.items():
        enqueue = "-" if r["enqueue"] is None else f"{r['enqueue']:.2f}"
        lines.append(f"| {mode} | {enqueue} | {r['total']:.2f} | {n / r['total']:,.0f} | "
                     f"{r['total'] / base:.2f}× |")
    lines += ["", "Reading: the enqueue column is what the import itself waits for (10,000 "
              "outbox rows plus one message per 100 ids); delivery then happens in the "
              "worker. The baseline delivers serially in the committing process, the "
              "workers with 4 threads, so a ratio below 1 means the engine finished the "
              "whole job sooner. Per message the work is rendering (HTML + text, signed "
              "unsubscribe link) and building the MIME message; the database sees a "
              "few statements per chunk of 100 (claim, mark sent). "
              f"Load average at start: {LOAD}; absolute numbers vary with the shared "
              "machine, the ratios are measured in the same run.",
              "", "The bulk receipt run (receipt PDFs e-mailed to 1,000 paperless residents, "
              "per engine, against WeasyPrint rendering the same HTML directly) has its own "
              "section below, written by tests/bench/test_receipt_run_bench.py.",
              ""]
    write_section("background-work", "Background work", "\n".join(lines))


@pytest.mark.bench
def test_seed_builds_residents_with_invoices(in_tenant_a):
    """The data builder the benchmark uses (this test's `db` also makes pytest-django
    create the test database for the benchmark below, which commits for real and must
    not flush the public tables other benchmarks in the session need)."""
    ids = _seed(25)
    assert len(ids) == 25
    assert User.objects.filter(username__startswith="BENCH-", kind=UserKind.RESIDENT).count() == 25
    accounts = list(Account.objects.filter(number__startswith="BENCH-"))
    assert all(r.user for r in recipients_for_accounts(accounts))  # the outbox finds them


@pytest.mark.bench
def test_ten_thousand_notifications_per_engine(worker_pool, django_db_blocker):  # noqa: F811
    for engine in ("celery", "dramatiq"):
        running_worker(worker_pool, engine, REDIS_URL, {"EMAIL_BACKEND": LOCMEM})
    results: dict[str, dict] = {}
    # Real commits (the workers are other processes), removed again by _unseed().
    with django_db_blocker.unblock(), override_settings(EMAIL_BACKEND=LOCMEM):
        connection.set_schema_to_public()
        alpha = Utility.objects.get(slug="alpha")
        with schema_context(alpha.schema_name):
            try:
                invoice_ids = _seed(N)
                results["in-process"] = _run_in_process(invoice_ids)
                for engine in ("celery", "dramatiq"):
                    _reset()
                    results[engine] = _run_engine(engine, invoice_ids)
            finally:
                _unseed()
    _write_section(results, N)
    for mode, r in results.items():
        print(f"{mode}: {r['total']:.2f}s, {N / r['total']:,.0f}/s")
