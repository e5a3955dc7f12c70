"""The bulk receipt run: paperless residents get the period's receipt PDF by e-mail through
the outbox, once per account and period, with consent respected. In-process first, then
the same run through a real Celery and Dramatiq worker."""

from __future__ import annotations

import email
import io
import re
import subprocess
import uuid
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import override_settings
from django_tenants.utils import schema_context
from pypdf import PdfReader

from lk_core.billing.models import Account, Invoice
from lk_core.notifications import services
from lk_core.notifications.models import Kind, Notification, NotificationPreference, Status
from lk_core.portal.models import ResidentPreferences
from lk_core.receipts import bulk
from lk_core.receipts.models import ReceiptRun
from lk_core.receipts.selectors import receipt_run_progress
from lk_core.receipts.tasks import send_period_receipts
from lk_core.users.models import User, UserKind
from lk_platform.scheduler import registered_jobs
from tenants.models import Utility
from tests.conftest import staff_login
from tests.tasks.conftest import REDIS_URL, tasks_setting, wait_for
from tests.tasks.factories import invoice, resident

PERIOD = date(2026, 10, 1)


def paperless(number: str, *, amount_due: str = "1500.00", language: str = "ru",
              period: date = PERIOD):
    account, user = resident(number)
    invoice(account, period=period, amount_due=amount_due)
    ResidentPreferences.objects.create(user=user, paperless_receipt=True, language=language)
    return account, user


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "attached.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def receipt_mails(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


@pytest.fixture
def immediate_engine():
    with override_settings(TASKS=tasks_setting("immediate", "")):
        yield


def _run(commit, period: date | None = PERIOD) -> ReceiptRun:
    with commit(execute=True):
        return bulk.receipt_run_execute(period=period)


@pytest.mark.usefixtures("immediate_engine")
class TestInProcess:
    def test_paperless_resident_gets_the_pdf_once(self, in_tenant_a, tmp_path,
                                                  django_capture_on_commit_callbacks):
        alice, _ = paperless("RC-1", amount_due="1234.56")
        run = _run(django_capture_on_commit_callbacks)
        [message] = receipt_mails("RC-1@mail.test")
        [(filename, content, mimetype)] = message.attachments
        assert filename == "receipt-RC-1-2026-10.pdf" and mimetype == "application/pdf"
        assert len(PdfReader(io.BytesIO(content)).pages) == 1
        text = pdf_text(content, tmp_path)
        assert "RC-1" in text and "1 234,56" in text and "Октябрь 2026" in text
        assert "10.2026" in message.subject and "1\xa0234,56 руб." in message.body
        row = Notification.objects.get(account=alice)
        assert row.kind == Kind.RECEIPT and row.status == Status.SENT
        assert (run.eligible, run.queued) == (1, 1)
        assert receipt_run_progress(run=run)["sent"] == 1

    def test_running_again_sends_nothing_more(self, in_tenant_a,
                                              django_capture_on_commit_callbacks):
        paperless("RC-2")
        _run(django_capture_on_commit_callbacks)
        run = _run(django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            send_period_receipts.enqueue(PERIOD.isoformat())
        assert len(receipt_mails("RC-2@mail.test")) == 1
        assert Notification.objects.filter(kind=Kind.RECEIPT).count() == 1
        run.refresh_from_db()
        assert (run.runs, run.eligible, run.queued) == (3, 1, 1)

    def test_consent_and_the_paperless_choice_are_respected(
            self, in_tenant_a, django_capture_on_commit_callbacks):
        paperless("RC-10")                                      # gets it
        _b, bob = resident("RC-11")                             # paper receipts
        invoice(_b)
        ResidentPreferences.objects.create(user=bob, paperless_receipt=False)
        _c, carol = paperless("RC-12")                          # e-mail consent off
        services.preference_update(user=carol, email_enabled=False, sms_enabled=True,
                                   muted_kinds=[])
        _d, dave = paperless("RC-13")                           # turned receipts off
        services.preference_update(user=dave, email_enabled=True, sms_enabled=False,
                                   muted_kinds=[Kind.RECEIPT])
        paperless("RC-14", period=date(2026, 9, 1))             # no invoice this period
        _f, frank = paperless("RC-15")                          # blocked login
        User.objects.filter(pk=frank.pk).update(is_active=False)
        run = _run(django_capture_on_commit_callbacks)
        assert [m.to for m in mail.outbox] == [["RC-10@mail.test"]]
        assert (run.eligible, run.queued) == (3, 1)  # 10, 12, 13 chose paperless
        assert not Notification.objects.filter(channel="sms").exists()  # e-mail only

    def test_resumes_after_a_crash_part_way(self, in_tenant_a, monkeypatch,
                                            django_capture_on_commit_callbacks):
        for number in ("RC-20", "RC-21", "RC-22"):
            paperless(number)
        queue_chunk, calls = bulk._queue_chunk, []

        def crashing(account_ids, period, now):
            calls.append(account_ids)
            if len(calls) == 2:
                raise RuntimeError("worker killed")
            return queue_chunk(account_ids, period, now)

        monkeypatch.setattr(bulk, "RUN_CHUNK", 1)
        monkeypatch.setattr(bulk, "_queue_chunk", crashing)
        with pytest.raises(RuntimeError):
            _run(django_capture_on_commit_callbacks)
        assert Notification.objects.filter(kind=Kind.RECEIPT).count() == 1  # chunk 1 kept
        monkeypatch.setattr(bulk, "_queue_chunk", queue_chunk)
        run = _run(django_capture_on_commit_callbacks)
        assert sorted(m.to[0] for m in mail.outbox) == [
            "RC-20@mail.test", "RC-21@mail.test", "RC-22@mail.test"]
        assert run.queued == 3 and run.finished_at is not None

    def test_language_of_the_resident(self, in_tenant_a, tmp_path,
                                      django_capture_on_commit_callbacks):
        paperless("RC-30", language="en")
        _run(django_capture_on_commit_callbacks)
        [message] = receipt_mails("RC-30@mail.test")
        assert message.subject == "Your receipt for October 2026"
        assert "Amount due" in pdf_text(message.attachments[0][1], tmp_path)

    def test_latest_period_by_default_and_nothing_without_invoices(
            self, in_tenant_a, django_capture_on_commit_callbacks):
        assert _run(django_capture_on_commit_callbacks, period=None) is None
        paperless("RC-40", period=date(2026, 9, 1))
        paperless("RC-41")
        run = _run(django_capture_on_commit_callbacks, period=None)
        assert run.period == PERIOD
        assert [m.to for m in mail.outbox] == [["RC-41@mail.test"]]

    def test_invoice_gone_before_sending_fails_the_row_for_staff(
            self, in_tenant_a, django_capture_on_commit_callbacks):
        account, _user = paperless("RC-50")
        with django_capture_on_commit_callbacks(execute=False):
            bulk.receipt_run_execute(period=PERIOD)  # queued, not delivered yet
        Invoice.objects.filter(account=account).delete()
        row = Notification.objects.get(account=account)
        from lk_core.notifications.delivery import notifications_deliver

        assert notifications_deliver(notification_ids=[row.pk])["failed"] == 1
        row.refresh_from_db()
        assert row.status == Status.FAILED and "no longer available" in row.last_error
        assert mail.outbox == []

    def test_other_resident_and_other_tenant(self, utility_a, utility_b, in_schema,
                                             tmp_path, django_capture_on_commit_callbacks):
        with in_schema(utility_b):
            paperless("RC-60", amount_due="777.00")
        with in_schema(utility_a):
            paperless("RC-61", amount_due="111.00")
            paperless("RC-62", amount_due="222.00")
            _run(django_capture_on_commit_callbacks)
            assert ReceiptRun.objects.count() == 1
        with in_schema(utility_b):
            assert not Notification.objects.exists() and not ReceiptRun.objects.exists()
        assert sorted(m.to[0] for m in mail.outbox) == ["RC-61@mail.test", "RC-62@mail.test"]
        [own] = receipt_mails("RC-61@mail.test")
        text = pdf_text(own.attachments[0][1], tmp_path)
        assert "111,00" in text and "222,00" not in text and "RC-62" not in text
        assert "777" not in text and utility_a.name in text

    def test_staff_see_the_run_and_its_progress(self, utility_a, utility_b, client_a,
                                                client_b, in_schema,
                                                django_capture_on_commit_callbacks):
        with in_schema(utility_a):
            paperless("RC-70")
            account, _user = paperless("RC-71")
            with django_capture_on_commit_callbacks(execute=False):
                bulk.receipt_run_execute(period=PERIOD)
            from lk_core.notifications.delivery import notifications_deliver

            notifications_deliver(notification_ids=list(Notification.objects.filter(
                account=account).values_list("pk", flat=True)))
        staff_login(client_a, utility_a, "admin@alpha.test")
        page = client_a.get("/staff/receipts/receiptrun/")
        assert page.status_code == 200
        row = re.search(rb'<tr[^>]*>.*?10\.2026.*?</tr>', page.content, re.S).group(0)
        cells = dict(re.findall(rb'<td class="field-(\w+)[^"]*">(.*?)</td>', row))
        assert {name: cells[name] for name in (b"eligible", b"queued", b"sent", b"waiting",
                                               b"failed")} == {
            b"eligible": b"2", b"queued": b"2", b"sent": b"1", b"waiting": b"1",
            b"failed": b"0"}
        staff_login(client_b, utility_b, "admin@beta.test")
        assert b"10.2026" not in client_b.get("/staff/receipts/receiptrun/").content

    def test_registered_with_the_scheduler(self):
        assert "receipts.bulk_run" in {job.name for job in registered_jobs()}


# --- the same run on real workers ------------------------------------------------------------

@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        utilities = list(Utility.objects.filter(slug__in=["alpha", "beta"]).order_by("slug"))
        yield utilities
        for utility in utilities:
            with schema_context(utility.schema_name):
                Notification.objects.all().delete()
                NotificationPreference.objects.all().delete()
                ReceiptRun.objects.all().delete()
                User.objects.filter(kind=UserKind.RESIDENT).delete()
                Account.objects.all().delete()


def _mail_files_to(address: str) -> list[email.message.Message]:
    found = []
    for path in Path(settings.EMAIL_FILE_PATH).glob("*.log"):
        for chunk in path.read_bytes().split(b"-" * 79):
            if chunk.strip():
                message = email.message_from_bytes(chunk.strip() + b"\n")
                if message["To"] == address:
                    found.append(message)
    return found


def test_bulk_run_on_the_engine(engine, committed, tmp_path):
    alpha, beta = committed
    token = uuid.uuid4().hex[:6]  # the mail directory keeps earlier runs' messages
    numbers = {alpha: f"RW-{token}-A", beta: f"RW-{token}-B"}
    with override_settings(TASKS=tasks_setting(engine, REDIS_URL)):
        for utility, number in numbers.items():
            with schema_context(utility.schema_name):
                paperless(number, amount_due="321.00")
                send_period_receipts.enqueue(PERIOD.isoformat())
                send_period_receipts.enqueue(PERIOD.isoformat())  # a duplicate message
    for utility in numbers:
        def sent(utility=utility):
            with schema_context(utility.schema_name):
                return Notification.objects.filter(status=Status.SENT).count() == 1
        wait_for(sent, timeout=90)
    for utility, number in numbers.items():
        with schema_context(utility.schema_name):
            assert Notification.objects.count() == 1  # once, however often it ran
            assert ReceiptRun.objects.get().queued == 1
        [message] = _mail_files_to(f"{number}@mail.test")
        [attachment] = [part for part in message.walk()
                        if part.get_content_type() == "application/pdf"]
        assert attachment.get_filename() == f"receipt-{number}-2026-10.pdf"
        text = pdf_text(attachment.get_payload(decode=True), tmp_path)
        assert number in text and "321,00" in text and utility.name in text
        other = numbers[beta if utility == alpha else alpha]
        assert other not in text
