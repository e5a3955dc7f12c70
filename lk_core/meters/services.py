"""Readings submitted by residents (portal and API call the same function)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from lk_core.billing.models import Account
from lk_core.billing.money import quantity
from lk_core.billing.versions import account_data_changed
from lk_core.meters.models import Meter, Reading, ReadingSource
from lk_core.meters.selectors import accounts_for_reading_reminder
from lk_core.meters.windows import ReadingWindow, WindowState, utility_window_state
from lk_core.notifications.models import Kind
from lk_core.notifications.selectors import (
    current_utility,
    notification_settings_get,
)
from lk_core.notifications.services import notification_enqueue, reading_window_notify

ZONE_FIELDS = ("t1", "t2", "t3")
JUMP_FACTOR = 3  # more than 3x the average monthly consumption asks for confirmation
HISTORY_FOR_AVERAGE = 13  # readings, about a year
DAYS_PER_MONTH = Decimal("30.4375")


class ConfirmationRequired(Exception):
    """The values are acceptable only if the resident confirms (rollover or jump)."""

    def __init__(self, kind: str, message: str, consumption: list[Decimal]):
        super().__init__(message)
        self.kind = kind  # "rollover" or "jump"
        self.message = message
        self.consumption = consumption


@dataclass(frozen=True)
class SubmissionReceipt:
    reading: Reading
    meter: Meter
    values: list[Decimal]
    consumption: list[Decimal]
    window: ReadingWindow
    replaced: bool
    submitted_at: dt.datetime

    @property
    def values_text(self) -> str:
        return _numbers(self.values)

    @property
    def consumption_text(self) -> str:
        return _numbers(self.consumption)


def _numbers(values: Sequence[Decimal]) -> str:
    """Figures as a resident reads them, in the active language: "1 749,461 / 12,5"."""
    return " / ".join(quantity(value) for value in values)


def _date(value: dt.date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def meter_refusal(meter: Meter, today: dt.date) -> str | None:
    """Why this meter cannot take readings today, or None."""
    if meter.removed_on and meter.removed_on <= today:
        return _("The meter was removed on %(date)s and no longer takes readings.") % {
            "date": _date(meter.removed_on)}
    if meter.verified_until and meter.verified_until < today:
        return _("The meter's verification expired on %(date)s: readings cannot be accepted "
                 "until it is verified or replaced. Please contact the company.") % {
            "date": _date(meter.verified_until)}
    return None


def window_closed_message(utility, state: WindowState) -> str:
    """Why no reading is taken now (the window is closed) and when the next window opens."""
    return _("Readings are accepted from day %(start)d to day %(end)d of the month. The next "
             "window opens on %(date)s.") % {"start": utility.reading_window_start_day,
                                             "end": utility.reading_window_end_day,
                                             "date": _date(state.next.opens_on)}


def _parse_values(meter: Meter, values: Sequence) -> list[Decimal]:
    if len(values) != meter.zones:
        raise ValidationError(_("Enter one value per tariff zone (%(zones)d).")
                              % {"zones": meter.zones}, code="zones")
    parsed, errors = [], {}
    limit = Decimal(10) ** meter.digits
    for field, raw in zip(ZONE_FIELDS, values, strict=False):
        try:
            value = Decimal(str(raw).strip().replace(",", "."))
        except InvalidOperation:
            errors[field] = [_("Enter a number.")]
            continue
        if not value.is_finite() or value < 0:
            errors[field] = [_("Enter a number that is zero or more.")]
        elif value >= limit:
            errors[field] = [_("The meter shows at most %(digits)d digits before the "
                               "decimal point.") % {"digits": meter.digits}]
        elif value != value.quantize(Decimal("0.001")):
            errors[field] = [_("Enter at most three decimal places.")]
        parsed.append(value)
    if errors:
        raise ValidationError(errors)
    return parsed


def _zone_values(reading: Reading, zones: int) -> list[Decimal]:
    return [getattr(reading, field) or Decimal(0) for field in ZONE_FIELDS[:zones]]


def _average_monthly(history: list[Reading], zones: int) -> list[Decimal] | None:
    """Average consumption per month per zone over the history, newest first."""
    if len(history) < 2:
        return None
    newest, oldest = history[0], history[-1]
    days = (newest.taken_on - oldest.taken_on).days
    if days < 28:
        return None
    return [max(Decimal(0), new - old) / days * DAYS_PER_MONTH for new, old in
            zip(_zone_values(newest, zones), _zone_values(oldest, zones), strict=True)]


def _consumption(meter: Meter, values: list[Decimal], previous: Reading | None,
                 confirm_rollover: bool) -> list[Decimal]:
    if previous is None:
        return [Decimal(0)] * len(values)
    before = _zone_values(previous, meter.zones)
    if any(new < old for new, old in zip(values, before, strict=True)):
        wrap = Decimal(10) ** meter.digits
        consumption = [new - old + (wrap if new < old else 0)
                       for new, old in zip(values, before, strict=True)]
        if not confirm_rollover:
            raise ConfirmationRequired(
                "rollover",
                _("The value is below the previous reading (%(previous)s). That is only "
                  "possible if the counter went past %(max)s and started again from zero. "
                  "Confirm if it did.") % {"previous": _numbers(before),
                                           "max": "9" * meter.digits},
                consumption)
        return consumption
    return [new - old for new, old in zip(values, before, strict=True)]


def _check_jump(consumption: list[Decimal], history: list[Reading], previous: Reading | None,
                today: dt.date, zones: int) -> None:
    average = _average_monthly(history, zones)
    if average is None or previous is None:
        return
    months = max(Decimal(1), Decimal((today - previous.taken_on).days) / DAYS_PER_MONTH)
    if any(avg > 0 and used > JUMP_FACTOR * avg * months
           for used, avg in zip(consumption, average, strict=True)):
        raise ConfirmationRequired(
            "jump",
            _("The consumption (%(used)s) is more than three times your usual monthly "
              "consumption (about %(usual)s). Please check the value and confirm.")
            % {"used": _numbers(consumption),
               "usual": _numbers([a.quantize(Decimal("0.1")) for a in average])},
            consumption)


def reading_submit(*, user, account: Account, meter: Meter, values: Sequence,
                   confirm_rollover: bool = False, confirm_jump: bool = False, channel: str,
                   utility=None, now: dt.datetime | None = None,
                   email_receipt: bool = False) -> SubmissionReceipt:
    """Store the resident's reading for the current window, or explain why not.

    Raises ValidationError (window closed, meter refused, bad values) or
    ConfirmationRequired (rollover / jump the resident has not confirmed yet). A
    resubmission in the same window replaces the resident's own reading; concurrent
    submissions are serialised on the meter's row, so one reading is stored.
    """
    utility = utility or connection.tenant
    now = now or timezone.now()
    today = timezone.localtime(now, utility.tzinfo).date()
    if meter.account_id != account.pk:
        raise ValidationError(_("This meter is not on your account."), code="not_yours")
    state = utility_window_state(utility, now=now)
    if not state.is_open:
        raise ValidationError(window_closed_message(utility, state), code="window_closed")
    refusal = meter_refusal(meter, today)
    if refusal:
        raise ValidationError(refusal, code="meter_refused")
    parsed = _parse_values(meter, values)
    with transaction.atomic():
        meter = Meter.objects.select_for_update().get(pk=meter.pk)
        receipt = _store(user=user, meter=meter, values=parsed, window=state.current,
                         today=today, now=now, channel=channel,
                         confirm_rollover=confirm_rollover, confirm_jump=confirm_jump)
        if email_receipt:
            _email_receipt(user=user, account=account, receipt=receipt)
    return receipt


def _store(*, user, meter: Meter, values, window: ReadingWindow, today, now, channel,
           confirm_rollover, confirm_jump) -> SubmissionReceipt:
    history = list(meter.readings.order_by("-taken_on", "-id")[:HISTORY_FOR_AVERAGE + 1])
    # One portal reading per meter and window: a resubmission (by this resident or another
    # resident of the same account) replaces it.
    own = next((r for r in history if r.source == ReadingSource.RESIDENT
                and window.contains(r.taken_on)), None)
    history = [r for r in history if r is not own][:HISTORY_FOR_AVERAGE]
    previous = history[0] if history else None
    consumption = _consumption(meter, values, previous, confirm_rollover)
    if not confirm_jump:
        _check_jump(consumption, history, previous, today, meter.zones)
    reading = own or Reading(meter=meter, source=ReadingSource.RESIDENT)
    reading.taken_on = today
    for field, value in zip(ZONE_FIELDS, [*values, None, None], strict=False):
        setattr(reading, field, value)
    reading.submitted_by = user
    reading.submitted_at = now
    reading.channel = channel
    if own is not None:
        # Another source's reading on the same day keeps its row (unique per source).
        reading.save(update_fields=["taken_on", "t1", "t2", "t3", "submitted_by",
                                    "submitted_at", "channel"])
    else:
        reading.save()
    account_data_changed(account_id=meter.account_id)
    return SubmissionReceipt(reading=reading, meter=meter, values=values,
                             consumption=consumption, window=window,
                             replaced=own is not None, submitted_at=now)


def _email_receipt(*, user, account: Account, receipt: SubmissionReceipt) -> None:
    """Through the outbox, in the submission's transaction: branded, retried, with the
    unsubscribe link that turns this choice off (lk_core.notifications). Figures and the
    moment are stored plain and shown in the reader's language and the utility's time
    zone when rendered."""
    meter = receipt.meter
    notification_enqueue(kind=Kind.READING_RECEIPT, user=user, account=account, context={
        "account_number": account.number, "serial": meter.serial_number,
        "meter": f"{meter.service.name}, {meter.serial_number}",
        "values": [str(value) for value in receipt.values],
        "consumption": [str(value) for value in receipt.consumption],
        "received_at": receipt.submitted_at.isoformat(),
        "receipt_number": str(receipt.reading.pk)})


def reading_reminders_send(*, now: dt.datetime | None = None) -> int:
    """The reading-window reminders of the current utility, run hourly by the scheduler.

    On the window's first day (in the utility's time zone): "readings are accepted" to
    every account with a meter that takes readings. From `reading_reminder_days_before`
    days before it closes until its last day: "last days" to those whose meters still
    lack a reading. Once per window and account (the notification's dedupe key), so
    running it every hour, or twice, sends nothing more. Consent, muted kinds and quiet
    hours are applied by the notifications app."""
    config, utility = notification_settings_get(), current_utility()
    now = now or timezone.now()
    state = utility_window_state(utility, now=now)
    if not config.reading_reminders_enabled or not state.is_open:
        return 0
    window, today = state.current, timezone.localtime(now, utility.tzinfo).date()
    if today == window.opens_on:
        accounts = accounts_for_reading_reminder(window=window, today=today)
        return reading_window_notify(kind=Kind.READING_WINDOW_OPENS, accounts=accounts,
                                     closes_on=window.closes_on, now=now)
    if (window.closes_on - today).days <= config.reading_reminder_days_before:
        accounts = accounts_for_reading_reminder(window=window, today=today,
                                                 missing_only=True)
        return reading_window_notify(kind=Kind.READING_WINDOW_CLOSES, accounts=accounts,
                                     closes_on=window.closes_on, now=now)
    return 0
