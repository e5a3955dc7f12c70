"""Writes on the notification outbox.

Features call `notification_enqueue` (one recipient) or `invoices_available_notify` (a
whole import) inside the transaction of the event; rows are written there, and the
delivery task is enqueued after commit. If the broker is down the rows stay `pending`
and `notifications_flush` (every scheduler tick) enqueues them again: delayed, not lost.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.utils import timezone

from lk_core.billing.models import Account, Invoice, Payment
from lk_core.notifications.models import (
    BULK_KINDS,
    EMAIL_RECEIPT_KINDS,
    ESSENTIAL_KINDS,
    INBOX_KINDS,
    USER_INITIATED_KINDS,
    Channel,
    InboxMessage,
    Kind,
    Notification,
    NotificationPreference,
    NotificationSettings,
    Status,
)
from lk_core.notifications.selectors import (
    AccountRecipient,
    current_utility,
    inbox_message_get_for_user,
    notification_settings_get,
    preferences_for,
    recipients_for_accounts,
    resident_languages,
    resident_phones,
)
from lk_core.users.models import User
from lk_platform import outbox
from lk_platform.tasks import on_commit_in_schema

logger = logging.getLogger(__name__)

DELIVERY_CHUNK = 100  # ids per delivery task: a batch is a few jobs, not one per row
BULK_DELIVERY_CHUNK = 50  # BULK_KINDS render a PDF each: a task stays well inside its limit
SECRET_CONTEXT_KEYS = ("password", "code", "reset_url")  # wiped once the message is final


# --- who gets what, and when --------------------------------------------------------------

def sms_earliest_send(*, now: datetime, tz, quiet_start: time, quiet_end: time) -> datetime:
    """`now` unless it is night in the utility's time zone; then the morning's end of the
    quiet hours. Works for windows across midnight (21:00-09:00) and within a day."""
    local = now.astimezone(tz)
    clock = local.time()
    if quiet_start > quiet_end:
        quiet = clock >= quiet_start or clock < quiet_end
    else:
        quiet = quiet_start <= clock < quiet_end
    if not quiet:
        return now
    day = local.date() if clock < quiet_end else local.date() + timedelta(days=1)
    return datetime.combine(day, quiet_end, tzinfo=tz)


def _wants(kind: str, *, enabled: bool, preference: NotificationPreference | None) -> bool:
    if kind in ESSENTIAL_KINDS:
        return True
    return preference is not None and enabled and kind not in preference.muted_kinds


def _channels(*, kind: str, user: User | None, email: str, phone: str,
              preference: NotificationPreference | None,
              config: NotificationSettings) -> list[tuple[str, str]]:
    """Non-essential kinds need a user who consented (a preference row, created with
    e-mail on and SMS off at registration, or the defaults below)."""
    if user is not None and preference is None:
        preference = NotificationPreference(user=user)  # defaults: e-mail yes, SMS no
    if user is None:
        preference = None
    chosen = []
    if email and _wants(kind, enabled=bool(preference and preference.email_enabled),
                        preference=preference):
        chosen.append((Channel.EMAIL, email))
    if phone and kind not in EMAIL_RECEIPT_KINDS and config.sms_enabled and _wants(
            kind, enabled=bool(preference and preference.sms_enabled), preference=preference):
        chosen.append((Channel.SMS, phone))
    return chosen


def _rows(*, kind: str, user: User | None, account: Account | None, email: str, phone: str,
          context: dict, dedupe_key: str | None, batch_key: str,
          preference: NotificationPreference | None, config: NotificationSettings,
          utility, now: datetime) -> list[Notification]:
    rows = []
    for channel, address in _channels(kind=kind, user=user, email=email, phone=phone,
                                      preference=preference, config=config):
        when = now
        if channel == Channel.SMS and kind not in USER_INITIATED_KINDS:
            when = sms_earliest_send(now=now, tz=utility.tzinfo,
                                     quiet_start=config.quiet_hours_start,
                                     quiet_end=config.quiet_hours_end)
        rows.append(Notification(
            kind=kind, channel=channel, user=user, account=account, recipient=address,
            context=context, dedupe_key=dedupe_key, batch_key=batch_key,
            next_attempt_at=when))
    return rows


def _inbox_message(*, kind: str, user: User | None, account: Account | None, context: dict,
                   dedupe_key: str | None,
                   preference: NotificationPreference | None) -> InboxMessage | None:
    """The inbox copy of an event: for a known user, whatever channels they consented to
    (the inbox sends nothing anywhere), but not for a kind they turned off."""
    if user is None or kind not in INBOX_KINDS:
        return None
    if preference is not None and kind in preference.muted_kinds:
        return None
    return InboxMessage(user=user, account=account, kind=kind, context=context,
                        dedupe_key=dedupe_key)


def _inbox_insert(messages: list[InboxMessage | None]) -> None:
    messages = [message for message in messages if message is not None]
    if messages:
        # The same event twice (a job run twice) keeps one message per user.
        InboxMessage.objects.bulk_create(messages, ignore_conflicts=True, batch_size=1000)


# --- writing the outbox --------------------------------------------------------------------

def notification_enqueue(*, kind: str, user: User | None = None,
                         account: Account | None = None, email: str = "", phone: str = "",
                         context: dict | None = None, dedupe_key: str | None = None,
                         now: datetime | None = None) -> list[Notification]:
    """Write the outbox rows for one event (call it inside the event's transaction).

    `email` defaults to the user's e-mail. SMS go to the phone the user gave in the
    portal's settings; `phone` (billing's number, say) only when they gave none. Consent
    and quiet hours are applied here.
    `context` is JSON (strings, numbers); it fills the kind's template. Dates, moments,
    amounts and figures go in plain ("2026-11-10", an aware datetime's isoformat(),
    "1234.50"): they are shown in the recipient's language when rendered
    (lk_core.notifications.texts). A repeated
    `dedupe_key` (the same event seen twice) adds nothing."""
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    now = now or timezone.now()
    email = email or (user.email if user else "")
    phone = (resident_phones({user.pk}).get(user.pk) if user else "") or phone
    preference = preferences_for({user.pk}).get(user.pk) if user else None
    context = _with_language(dict(context or {}),
                             resident_languages({user.pk}).get(user.pk) if user else None)
    rows = _rows(kind=kind, user=user, account=account, email=email, phone=phone,
                 context=context, dedupe_key=dedupe_key, batch_key="",
                 preference=preference, config=notification_settings_get(),
                 utility=current_utility(), now=now)
    _inbox_insert([_inbox_message(kind=kind, user=user, account=account,
                                  context=dict(context), dedupe_key=dedupe_key,
                                  preference=preference)])
    return _insert_and_dispatch(rows, now=now)


def _with_language(context: dict, language: str | None) -> dict:
    """The recipient's language (lk_core.notifications.selectors.resident_languages) goes
    with the row: e-mail and SMS are rendered in it. A caller's own choice stands; no
    known language leaves the platform's default to the renderer."""
    if language and "language" not in context:
        return {**context, "language": language}
    return context


def notifications_for_accounts(*, kind: str, recipients: Iterable[AccountRecipient],
                               contexts: dict[int, dict], batch_key: str,
                               dedupe_prefix: str, now: datetime | None = None) -> int:
    """One kind for many accounts in set-based inserts (imports, reminders)."""
    now = now or timezone.now()
    recipients = list(recipients)
    config, utility = notification_settings_get(), current_utility()
    users = {r.user.pk for r in recipients if r.user}
    preferences = preferences_for(users)
    languages = resident_languages(users) if users else {}
    rows: list[Notification] = []
    inbox: list[InboxMessage | None] = []
    for r in recipients:
        preference = preferences.get(r.user.pk) if r.user else None
        dedupe_key = f"{dedupe_prefix}:{r.account.pk}"
        context = _with_language(contexts[r.account.pk],
                                 languages.get(r.user.pk) if r.user else None)
        rows += _rows(kind=kind, user=r.user, account=r.account, email=r.email,
                      phone=r.phone, context=context,
                      dedupe_key=dedupe_key, batch_key=batch_key,
                      preference=preference, config=config, utility=utility, now=now)
        inbox.append(_inbox_message(kind=kind, user=r.user, account=r.account,
                                    context=context, dedupe_key=dedupe_key,
                                    preference=preference))
    _inbox_insert(inbox)
    return len(_insert_and_dispatch(rows, now=now))


def invoices_available_notify(*, invoice_ids: list[int], batch_key: str,
                              now: datetime | None = None) -> int:
    """"New invoice" for every invoice of an import: one call per import, rows written
    in the import's transaction, delivered in chunks after commit."""
    invoices = list(Invoice.objects.filter(pk__in=invoice_ids).select_related("account"))
    recipients = {r.account.pk: r for r in recipients_for_accounts(
        list({invoice.account_id: invoice.account for invoice in invoices}.values()))}
    created = 0
    for period in sorted({invoice.period for invoice in invoices}):
        group = [invoice for invoice in invoices if invoice.period == period]
        contexts = {invoice.account_id: {
            "account_number": invoice.account.number, "period": period.isoformat(),
            "amount_due": f"{invoice.amount_due:.2f}"} for invoice in group}
        created += notifications_for_accounts(
            kind=Kind.INVOICE_AVAILABLE, contexts=contexts, batch_key=batch_key,
            recipients=[recipients[invoice.account_id] for invoice in group],
            dedupe_prefix=f"invoice:{period:%Y-%m}", now=now)
    return created


def reading_window_notify(*, kind: str, accounts: list[Account], closes_on: date,
                          now: datetime | None = None) -> int:
    """"Readings are accepted" / "last days" to the residents of `accounts` (chosen by the
    meters app, lk_core.meters.services.reading_reminders_send); once per window and
    account: the window is named by its closing day."""
    if kind not in (Kind.READING_WINDOW_OPENS, Kind.READING_WINDOW_CLOSES):
        raise ValueError(f"{kind!r} is not a reading-window kind")
    contexts = {a.pk: {"account_number": a.number, "closes_on": closes_on.isoformat()}
                for a in accounts}
    return notifications_for_accounts(
        kind=kind, recipients=recipients_for_accounts(accounts), contexts=contexts,
        batch_key=f"readings:{closes_on:%Y-%m-%d}",
        dedupe_prefix=f"{kind}:{closes_on:%Y-%m-%d}", now=now)


def payment_received_notify(*, payment: Payment) -> list[Notification]:
    """"Payment received" to the account's resident; once per payment however often the
    payment is seen (imports re-sent, webhook retried)."""
    [recipient] = recipients_for_accounts([payment.account])
    return notification_enqueue(
        kind=Kind.PAYMENT_RECEIVED, user=recipient.user, account=payment.account,
        email=recipient.email, phone=recipient.phone,
        dedupe_key=f"payment:{payment.external_id}",
        context={"amount": f"{payment.amount:.2f}", "account_number": payment.account.number,
                 "paid_on": payment.paid_on.isoformat()})


def debt_reminders_enqueue(*, now: datetime | None = None) -> int:
    """On the utility's reminder day (its own time zone), remind every account whose
    latest invoice is due at least the threshold. Safe to run many times a day."""
    now = now or timezone.now()
    config, utility = notification_settings_get(), current_utility()
    today = now.astimezone(utility.tzinfo).date()
    if not config.debt_reminders_enabled or today.day != config.debt_reminder_day:
        return 0
    latest = Invoice.objects.order_by("-period").values_list("period", flat=True).first()
    if latest is None:
        return 0
    invoices = list(Invoice.objects.filter(period=latest, amount_due__gte=config.debt_threshold,
                                           account__status="open").select_related("account"))
    contexts = {i.account_id: {"account_number": i.account.number,
                               "amount_due": f"{i.amount_due:.2f}"} for i in invoices}
    return notifications_for_accounts(
        kind=Kind.DEBT_REMINDER, recipients=recipients_for_accounts(
            [i.account for i in invoices]),
        contexts=contexts, batch_key=f"debt:{today:%Y-%m}",
        dedupe_prefix=f"debt:{today:%Y-%m}", now=now)


def _insert_and_dispatch(rows: list[Notification], *, now: datetime) -> list[Notification]:
    if not rows:
        return []
    plain = [row for row in rows if not row.dedupe_key]
    created = Notification.objects.bulk_create(plain, batch_size=1000) if plain else []
    created += _insert_keyed([row for row in rows if row.dedupe_key], now=now)
    due = [row.pk for row in created if row.next_attempt_at <= now]
    on_commit_in_schema(lambda: notifications_dispatch(notification_ids=due))
    return created


_KEYED_INSERT = """
    INSERT INTO {table} (kind, channel, user_id, account_id, recipient, context, dedupe_key,
                         batch_key, status, attempts, next_attempt_at, provider_message_id,
                         last_error, created_at)
    SELECT s.kind, s.channel, s.user_id, s.account_id, s.recipient, s.context::jsonb,
           s.dedupe_key, s.batch_key, %s, 0, s.next_attempt_at, '', '', %s
    FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::bigint[], %s::text[], %s::text[],
                %s::text[], %s::text[], %s::timestamptz[])
         AS s(kind, channel, user_id, account_id, recipient, context, dedupe_key, batch_key,
              next_attempt_at)
    ON CONFLICT (dedupe_key, channel) DO NOTHING
    RETURNING id, dedupe_key, channel"""


def _insert_keyed(rows: list[Notification], *, now: datetime) -> list[Notification]:
    """Rows with a dedupe key, in one statement of arrays (a whole import's batch is one
    round trip, not 10,000 bound rows): a key already there - the same event seen again,
    or a concurrent run - is skipped by the unique constraint. Returns the rows inserted,
    with their ids."""
    if not rows:
        return []
    columns = [[row.kind for row in rows], [row.channel for row in rows],
               [row.user_id for row in rows], [row.account_id for row in rows],
               [row.recipient for row in rows], [json.dumps(row.context) for row in rows],
               [row.dedupe_key for row in rows], [row.batch_key for row in rows],
               [row.next_attempt_at for row in rows]]
    with connection.cursor() as cursor:
        cursor.execute(_KEYED_INSERT.format(table=Notification._meta.db_table),
                       [Status.PENDING.value, now, *columns])
        inserted = {(key, channel): pk for pk, key, channel in cursor.fetchall()}
    created = []
    for row in rows:
        pk = inserted.pop((row.dedupe_key, row.channel), None)
        if pk is not None:  # pop: a key twice in one batch is one row
            row.pk, row.created_at, row._state.adding = pk, now, False
            created.append(row)
    return created


# --- handing rows to the task engine ----------------------------------------------------------

def notifications_dispatch(*, notification_ids: list[int]) -> int:
    """Enqueue delivery tasks in chunks (called after commit). A broker that is down
    costs nothing but time: the rows keep `enqueued_at` empty and the flush retries.
    BULK_KINDS go to their own task and queue in smaller chunks."""
    from lk_core.notifications.tasks import deliver_bulk_notifications, deliver_notifications

    bulk = set(Notification.objects.filter(pk__in=notification_ids, kind__in=BULK_KINDS)
               .values_list("pk", flat=True)) if notification_ids else set()
    routes = [(deliver_notifications, DELIVERY_CHUNK,
               [pk for pk in notification_ids if pk not in bulk]),
              (deliver_bulk_notifications, BULK_DELIVERY_CHUNK,
               [pk for pk in notification_ids if pk in bulk])]
    dispatched = 0
    for task_obj, size, ids in routes:
        for start in range(0, len(ids), size):
            chunk = ids[start:start + size]
            try:
                task_obj.enqueue(chunk)
            except Exception:
                logger.warning("broker unavailable: %d notifications wait for the outbox "
                               "flush", len(notification_ids) - dispatched, exc_info=True)
                return dispatched
            Notification.objects.filter(pk__in=chunk, status=Status.PENDING).update(
                enqueued_at=timezone.now())
            dispatched += len(chunk)
    return dispatched


def notifications_flush(*, now: datetime | None = None, limit: int = 10_000) -> int:
    """The periodic safety net: re-open claims of dead workers and enqueue every due row
    whose task never ran (never enqueued, or enqueued long ago)."""
    now = now or timezone.now()
    return notifications_dispatch(notification_ids=outbox.flush_due(
        Notification.objects.all(), now=now, statuses=Status, limit=limit))


def notifications_retry(*, notification_ids: list[int]) -> int:
    """Staff's "retry now" on failed rows: pending again, attempts from zero."""
    now = timezone.now()
    ids = list(Notification.objects.filter(pk__in=notification_ids, status=Status.FAILED)
               .values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids).update(
        status=Status.PENDING, attempts=0, next_attempt_at=now, enqueued_at=None)
    on_commit_in_schema(lambda: notifications_dispatch(notification_ids=ids))
    return len(ids)


# --- the resident's inbox ------------------------------------------------------------------

def inbox_mark_read(*, user: User, message_id: int) -> InboxMessage:
    """Mark one of the user's own messages read (Http404 for another's or a missing one);
    reading it again keeps the first time."""
    message = inbox_message_get_for_user(user=user, message_id=message_id)
    if message.read_at is None:
        InboxMessage.objects.filter(pk=message.pk, read_at__isnull=True).update(
            read_at=timezone.now())
        message.refresh_from_db(fields=["read_at"])
    return message


def inbox_mark_all_read(*, user: User) -> int:
    """Everything in the user's inbox read; the number of messages that were unread."""
    return InboxMessage.objects.filter(user=user, kind__in=INBOX_KINDS,
                                       read_at__isnull=True).update(read_at=timezone.now())


# --- preferences -----------------------------------------------------------------------------

def preference_update(*, user: User, email_enabled: bool, sms_enabled: bool,
                      muted_kinds: list[str]) -> NotificationPreference:
    """The settings page: channels and the non-essential kinds the user turned off."""
    unknown = set(muted_kinds) - set(Kind.values)
    if unknown:
        raise ValueError(f"unknown kinds: {sorted(unknown)}")
    muted = sorted(set(muted_kinds) - ESSENTIAL_KINDS)  # essential ones cannot be muted
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email_enabled": email_enabled, "sms_enabled": sms_enabled,
                             "muted_kinds": muted})
    return preference


def preference_consent_set(*, user: User, email_enabled: bool,
                           sms_enabled: bool) -> NotificationPreference:
    """Channel consent as given at registration or on the consent page (the record of
    who consented when and from where stays with lk_core.identity); muted kinds stay."""
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email_enabled": email_enabled, "sms_enabled": sms_enabled})
    return preference


def notification_unsubscribe(*, user_id: int, kind: str) -> bool:
    """The unsubscribe link. A receipt the resident asked for by e-mail is not a kind one
    mutes: its link turns that choice off in the portal's settings (for the paperless
    receipt: paper receipts resume). Every other non-essential kind is muted. False when
    there is nothing to do (unknown user, essential kind)."""
    if kind not in EMAIL_RECEIPT_KINDS:
        return preference_mute_kind(user_id=user_id, kind=kind)
    from lk_core.portal.services import email_receipt_stop

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False
    email_receipt_stop(user=user, kind=kind)
    return True


def preference_mute_kind(*, user_id: int, kind: str) -> bool:
    """The unsubscribe link: turn one non-essential kind off. False when there is nothing
    to do (unknown user, essential kind)."""
    if kind in ESSENTIAL_KINDS or kind not in Kind.values:
        return False
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False
    with transaction.atomic():
        preference, _created = NotificationPreference.objects.select_for_update(
        ).get_or_create(user=user)
        if kind not in preference.muted_kinds:
            preference.muted_kinds = [*preference.muted_kinds, kind]
            preference.save(update_fields=["muted_kinds", "updated_at"])
    return True
