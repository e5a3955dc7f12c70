"""Reads on appeals: fixed query counts (the list: one; the timeline: two)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from lk_core.appeals.models import Appeal, AppealAttachment, AppealCategory, AppealEvent
from lk_core.billing.models import Account


def appeal_categories() -> QuerySet[AppealCategory]:
    return AppealCategory.objects.filter(is_active=True).order_by("position", "name")


def appeal_list(*, account: Account | None, user) -> list[Appeal]:
    if account is None:
        return []
    return list(Appeal.objects.filter(account=account, author=user)
                .select_related("category").order_by("-created_at"))


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
