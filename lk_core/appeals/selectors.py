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


def appeal_timeline(*, appeal: Appeal) -> AppealTimeline:
    events = list(AppealEvent.objects.filter(appeal=appeal).select_related("author")
                  .order_by("created_at", "id"))
    attachments = list(AppealAttachment.objects.filter(appeal=appeal).order_by("id"))
    return AppealTimeline(appeal=appeal, events=events, attachments=attachments)


# What the resident's screens show of the timeline, listed rather than excluded: a kind
# added for the desk (an internal note, an assignment) stays off them until added here.
RESIDENT_EVENT_KINDS = (EventKind.CREATED, EventKind.STAFF_REPLY, EventKind.RESIDENT_REPLY,
                        EventKind.STATUS, EventKind.CLOSED)


def appeal_timeline_for_resident(*, appeal: Appeal) -> AppealTimeline:
    """The portal's and the app's timeline: only RESIDENT_EVENT_KINDS."""
    timeline = appeal_timeline(appeal=appeal)
    return AppealTimeline(appeal=appeal, attachments=timeline.attachments,
                          events=[event for event in timeline.events
                                  if event.kind in RESIDENT_EVENT_KINDS])
