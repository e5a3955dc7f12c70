"""Reads on appeals: fixed query counts (the list: one; the timeline: two)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from lk_core.appeals.models import (
    Appeal,
    AppealAttachment,
    AppealCategory,
    AppealEvent,
    EventKind,
)
from lk_core.billing.models import Account

# What a resident's timeline shows, listed rather than excluded: a kind added for the desk
# (an internal note, say) stays off the resident's screens until it is added here.
RESIDENT_EVENT_KINDS = (EventKind.CREATED, EventKind.STAFF_REPLY, EventKind.RESIDENT_REPLY,
                        EventKind.STATUS, EventKind.CLOSED)


def appeal_categories() -> QuerySet[AppealCategory]:
    return AppealCategory.objects.filter(is_active=True).order_by("position", "name")


def appeals_for_resident(*, account: Account | None, user) -> QuerySet[Appeal]:
    """The resident's own appeals on the account they are looking at, newest first (the
    API pages this queryset)."""
    if account is None:
        return Appeal.objects.none()
    return (Appeal.objects.filter(account=account, author=user)
            .select_related("category").order_by("-created_at", "-id"))


def appeal_list(*, account: Account | None, user) -> list[Appeal]:
    return list(appeals_for_resident(account=account, user=user))


@dataclass(frozen=True)
class AppealTimeline:
    appeal: Appeal
    events: list[AppealEvent]
    attachments: list[AppealAttachment]


def appeal_timeline(*, appeal: Appeal, for_resident: bool = True) -> AppealTimeline:
    """The timeline as the resident sees it (only RESIDENT_EVENT_KINDS), or the desk's
    whole history with `for_resident=False`."""
    events = AppealEvent.objects.filter(appeal=appeal)
    if for_resident:
        events = events.filter(kind__in=RESIDENT_EVENT_KINDS)
    events = list(events.select_related("author").order_by("created_at", "id"))
    attachments = list(AppealAttachment.objects.filter(appeal=appeal).order_by("id"))
    return AppealTimeline(appeal=appeal, events=events, attachments=attachments)
