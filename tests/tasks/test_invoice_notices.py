"""An import notifies "new invoice" for the invoices it created, once per account (the
newest), in its own transaction and batch - not once per row, not on a re-import, not
on a dry run, not in another utility."""

from __future__ import annotations

import shutil

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import translation
from django_tasks.signals import task_enqueued

from lk_core.billing.models import ImportStatus, Invoice
from lk_core.billing.money import money
from lk_core.billing.services import billing_package_import
from lk_core.notifications import services
from lk_core.notifications.models import Kind, Notification, Status
from tests.billing.conftest import ENSKVODA
from tests.tasks.conftest import tasks_setting
from tests.tasks.factories import resident

ALICE, BOB, CAROL, DAVE = "100000001", "100000002", "100000003", "100000004"


@pytest.fixture(autouse=True)
def _immediate():
    with override_settings(TASKS=tasks_setting("immediate", "")):
        yield


@pytest.fixture
def history(tmp_path):
    """The sample package without its last period (2026-10): the billing system's state
    a month earlier."""
    target = tmp_path / "history"
    shutil.copytree(ENSKVODA, target)
    for name in ("invoices.csv", "charges.csv"):
        lines = (target / name).read_text(encoding="utf-8").splitlines(keepends=True)
        (target / name).write_text("".join(line for line in lines if ",2026-10," not in line),
                                   encoding="utf-8")
    return target


def _import(commit, path, **kwargs):
    jobs = []

    def count(sender, task_result, **_kwargs):
        jobs.append(task_result.task.name)

    task_enqueued.connect(count)
    try:
        with commit(execute=True):
            run = billing_package_import(package_path=path, source="test", **kwargs)
    finally:
        task_enqueued.disconnect(count)
    return run, jobs


def _notices() -> list[tuple[str, str]]:
    return sorted(Notification.objects.filter(kind=Kind.INVOICE_AVAILABLE).values_list(
        "account__number", "context__period"))


def test_import_notifies_each_resident_of_their_newest_new_invoice(
        in_tenant_a, history, django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    resident(ALICE)  # registered before the billing data arrives
    resident(BOB)
    _acc, carol = resident(CAROL)  # turned "new invoice" off
    resident(DAVE, registered=False)
    services.preference_update(user=carol, email_enabled=True, sms_enabled=False,
                               muted_kinds=[Kind.INVOICE_AVAILABLE])

    run, jobs = _import(commit, history)  # eleven periods: one notice per account
    assert run.status == ImportStatus.SUCCEEDED
    assert _notices() == [(ALICE, "2026-09-01"), (BOB, "2026-09-01")]
    assert jobs.count("deliver_notifications") == 1  # the batch, not a job per invoice
    assert set(Notification.objects.values_list("batch_key", flat=True)) == {
        f"import:{run.pk}"}
    alice_september = Invoice.objects.get(account__number=ALICE, period="2026-09-01")
    [alice_mail] = [m for m in mail.outbox if m.to == [f"{ALICE}@mail.test"]]
    with translation.override("ru"):  # the resident has no language of their own
        assert money(alice_september.amount_due) in alice_mail.body  # "9 077,87"

    run, _jobs = _import(commit, ENSKVODA)  # the next month's package adds 2026-10
    assert _notices() == [(ALICE, "2026-09-01"), (ALICE, "2026-10-01"),
                          (BOB, "2026-09-01"), (BOB, "2026-10-01")]
    assert Notification.objects.filter(batch_key=f"import:{run.pk}").count() == 2
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}

    _import(commit, ENSKVODA)  # the same package again: nothing new
    _import(commit, history, dry_run=True)
    assert len(_notices()) == 4 and len(mail.outbox) == 4


def test_rejected_import_writes_no_notice_and_other_tenant_gets_none(
        utility_a, utility_b, in_schema, history, django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    with in_schema(utility_b):
        resident(ALICE)
    with in_schema(utility_a):
        resident(ALICE)
        broken = history / "invoices.csv"
        broken.write_text(broken.read_text(encoding="utf-8") + "999,2026-09,x\n",
                          encoding="utf-8")
        run, _jobs = _import(commit, history)
        assert run.status == ImportStatus.REJECTED
        assert not Notification.objects.exists()
        _import(commit, ENSKVODA)
        assert _notices() == [(ALICE, "2026-10-01")]
    with in_schema(utility_b):
        assert not Notification.objects.exists()
    assert [m.to for m in mail.outbox] == [[f"{ALICE}@mail.test"]]
