"""The reading window: the days of the month when residents may submit readings, counted
in the utility's time zone. A window may wrap over the month end (25th to 5th)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ReadingWindow:
    opens_on: dt.date
    closes_on: dt.date  # inclusive

    def contains(self, day: dt.date) -> bool:
        return self.opens_on <= day <= self.closes_on


@dataclass(frozen=True)
class WindowState:
    is_open: bool
    current: ReadingWindow | None  # the open window, when open
    next: ReadingWindow  # the next one to open (after the current one, when open)


def _day_in_month(year: int, month: int, day: int) -> dt.date:
    # Day 31 in a 30-day month means the month's last day.
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _shift(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def window_starting_in(year: int, month: int, start_day: int, end_day: int) -> ReadingWindow:
    opens = _day_in_month(year, month, start_day)
    if start_day <= end_day:
        return ReadingWindow(opens, _day_in_month(year, month, end_day))
    next_year, next_month = _shift(year, month, 1)
    return ReadingWindow(opens, _day_in_month(next_year, next_month, end_day))


def window_state(*, today: dt.date, start_day: int, end_day: int) -> WindowState:
    candidates = [window_starting_in(*_shift(today.year, today.month, offset), start_day,
                                     end_day) for offset in (-1, 0, 1)]
    current = next((w for w in candidates if w.contains(today)), None)
    upcoming = next(w for w in candidates if w.opens_on > today)
    return WindowState(is_open=current is not None, current=current, next=upcoming)


def utility_window_state(utility, *, now: dt.datetime | None = None) -> WindowState:
    from django.utils import timezone

    local_today = timezone.localtime(now or timezone.now(), utility.tzinfo).date()
    return window_state(today=local_today, start_day=utility.reading_window_start_day,
                        end_day=utility.reading_window_end_day)
