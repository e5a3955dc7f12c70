"""The bulk receipt run: every paperless resident gets the period's receipt PDF by e-mail,
once per account and period.

`receipt_run_execute` (the task `send_period_receipts`: after a billing import and every
hour from the scheduler) writes one outbox row per account that has none yet for the
period (dedupe key `receipt:<YYYY-MM>:<account id>`), in chunks of accounts, each chunk in
its own transaction. Running it twice, or again after a crash part-way, adds only what is
missing. The outbox delivers in chunks of BULK_DELIVERY_CHUNK on the periodic queue and
asks `receipt_attachments` for the PDFs of each chunk: one batch render (one set of
queries, shared fonts and stylesheets) per chunk. Consent is the outbox's: the e-mail
channel must be on and the receipt kind not turned off."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from lk_core.billing.models import Account, Invoice
from lk_core.notifications.attachments import Attachment
from lk_core.notifications.models import Kind, Notification
from lk_core.notifications.selectors import (
    current_utility,
    recipients_for_accounts,
    resident_languages,
)
from lk_core.notifications.services import notifications_for_accounts
from lk_core.receipts.models import ReceiptRun
from lk_core.receipts.selectors import latest_invoice_period, paperless_account_ids
from lk_core.receipts.services import receipts_render

RUN_CHUNK = 500  # accounts per transaction of the run
RUN_LOCK = 0x4C4B5243  # "LKRC": two runs of one utility take turns per chunk


def batch_key(period: dt.date) -> str:
    return f"receipts:{period:%Y-%m}"


def dedupe_key(period: dt.date, account_id: int) -> str:
    return f"receipt:{period:%Y-%m}:{account_id}"


def receipt_run_execute(*, period: dt.date | None = None,
                        now: dt.datetime | None = None) -> ReceiptRun | None:
    """Queue the period's receipt e-mails that are not queued yet (the latest period with
    invoices by default). None when there are no invoices at all."""
    period = (period or latest_invoice_period() or dt.date.min).replace(day=1)
    if period == dt.date.min:
        return None
    now = now or timezone.now()
    run, _created = ReceiptRun.objects.get_or_create(
        period=period, defaults={"batch_key": batch_key(period), "last_run_at": now})
    ReceiptRun.objects.filter(pk=run.pk).update(runs=F("runs") + 1, last_run_at=now,
                                                finished_at=None)
    eligible = paperless_account_ids(period=period)
    done = set(Notification.objects.filter(batch_key=run.batch_key, kind=Kind.RECEIPT)
               .values_list("dedupe_key", flat=True))
    missing = [pk for pk in eligible if dedupe_key(period, pk) not in done]
    for start in range(0, len(missing), RUN_CHUNK):
        with transaction.atomic():
            queued = _queue_chunk(missing[start:start + RUN_CHUNK], period, now)
            ReceiptRun.objects.filter(pk=run.pk).update(queued=F("queued") + queued)
    ReceiptRun.objects.filter(pk=run.pk).update(eligible=len(eligible),
                                                finished_at=timezone.now())
    run.refresh_from_db()
    return run


def _queue_chunk(account_ids: list[int], period: dt.date, now: dt.datetime) -> int:
    """Inside the chunk's transaction. Under the lock, rows another run committed
    meanwhile are visible, so each run writes and counts only its own."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))",
                       [RUN_LOCK])
    queued = set(Notification.objects.filter(
        dedupe_key__in=[dedupe_key(period, pk) for pk in account_ids]).values_list(
        "dedupe_key", flat=True))
    account_ids = [pk for pk in account_ids if dedupe_key(period, pk) not in queued]
    invoices = list(Invoice.objects.filter(account_id__in=account_ids, period=period)
                    .select_related("account").order_by("account_id"))
    # E-mail only: a receipt is a PDF; the phone stays out so no SMS row is written.
    recipients = [dataclasses.replace(r, phone="") for r in recipients_for_accounts(
        [invoice.account for invoice in invoices])]
    languages = resident_languages({r.user.pk for r in recipients if r.user})
    contexts = {}
    for invoice, recipient in zip(invoices, recipients, strict=True):
        contexts[invoice.account_id] = {
            "account_number": invoice.account.number, "period": period.isoformat(),
            "amount_due": f"{invoice.amount_due:.2f}", "receipt_period": period.isoformat(),
            "language": languages.get(recipient.user.pk if recipient.user else None, "ru")}
    return notifications_for_accounts(
        kind=Kind.RECEIPT, recipients=recipients, contexts=contexts,
        batch_key=batch_key(period), dedupe_prefix=f"receipt:{period:%Y-%m}", now=now)


def receipt_attachments(rows: list[Notification]) -> dict[int, list[Attachment]]:
    """The outbox's attachment builder for Kind.RECEIPT: one batch render per period and
    language among the rows. A row whose account or invoice is gone gets nothing."""
    groups: dict[tuple[str, str], list[Notification]] = defaultdict(list)
    for row in rows:
        if row.account_id and row.context.get("receipt_period"):
            groups[row.context["receipt_period"], row.context.get("language") or "ru"
                   ].append(row)
    utility = current_utility()
    result: dict[int, list[Attachment]] = {}
    for (period_iso, language), group in groups.items():
        accounts = list(Account.objects.filter(pk__in={row.account_id for row in group}))
        pdfs = {r.account.pk: r for r in receipts_render(
            accounts=accounts, period=dt.date.fromisoformat(period_iso), utility=utility,
            language=language)}
        for row in group:
            if row.account_id in pdfs:
                receipt = pdfs[row.account_id]
                result[row.pk] = [Attachment(
                    f"receipt-{receipt.account.number}-{receipt.period:%Y-%m}.pdf",
                    receipt.pdf, "application/pdf")]
    return result
