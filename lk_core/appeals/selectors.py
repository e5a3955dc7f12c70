"""Reads on appeals: fixed query counts (the list: one; the timeline: two)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from lk_core.appeals.models import (
    Appeal,
    AppealAttachment,
    AppealCategory,
    AppealDelivery,
    AppealEvent,
    AppealStatus,
    Destination,
    EventKind,
)
from lk_core.billing.models import Account
from lk_core.users.models import StaffRole, User, UserKind


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


# What the resident's screens show of the timeline, listed rather than excluded: a kind
# added for the desk (an internal note, an assignment) stays off them until added here.
RESIDENT_EVENT_KINDS = (EventKind.CREATED, EventKind.STAFF_REPLY, EventKind.RESIDENT_REPLY,
                        EventKind.STATUS, EventKind.CLOSED)


def appeal_timeline(*, appeal: Appeal) -> AppealTimeline:
    """The resident's view, in the portal and the app: only RESIDENT_EVENT_KINDS (internal
    notes, assignment and delivery events stay on the desk)."""
    events = list(AppealEvent.objects.filter(appeal=appeal, internal=False,
                                             kind__in=RESIDENT_EVENT_KINDS)
                  .select_related("author").order_by("created_at", "id"))
    attachments = list(AppealAttachment.objects.filter(appeal=appeal).order_by("id"))
    return AppealTimeline(appeal=appeal, events=events, attachments=attachments)


# --- the staff desk ------------------------------------------------------------------------

# Which destinations each role works. Dispatchers (АДС) take the dispatch service's
# appeals, customer service the company's; administrators and read-only staff see all.
ROLE_DESTINATIONS: dict[str, tuple[str, ...]] = {
    StaffRole.ADMIN: tuple(Destination.values),
    StaffRole.READONLY: tuple(Destination.values),
    StaffRole.DISPATCHER: (Destination.DISPATCH,),
    StaffRole.OPERATOR: (Destination.COMPANY,),
}
# Roles that can be given an appeal to work (read-only staff cannot).
WORKING_ROLES = (StaffRole.ADMIN, StaffRole.DISPATCHER, StaffRole.OPERATOR)


def destinations_for(user) -> tuple[str, ...]:
    if not (user and user.is_authenticated and user.is_active
            and getattr(user, "kind", None) == UserKind.STAFF):
        return ()
    return ROLE_DESTINATIONS.get(user.staff_role, ())


def staff_may_work(user, appeal: Appeal) -> bool:
    return (user.staff_role in WORKING_ROLES and user.is_staff
            and appeal.destination in destinations_for(user))


def appeal_queue_for_staff(*, user) -> QuerySet[Appeal]:
    """The desk's queue for this staff member: open ones before closed, emergencies first,
    then by priority and the nearest SLA deadline."""
    return (Appeal.objects.filter(destination__in=destinations_for(user))
            .select_related("category", "account", "assignee")
            .annotate(closed_last=Case(When(status=AppealStatus.CLOSED, then=Value(1)),
                                       default=Value(0), output_field=IntegerField())))


QUEUE_ORDERING = ["closed_last", "-is_emergency", "priority", "respond_by", "created_at"]


def appeal_get_for_staff(*, user, appeal_id) -> Appeal:
    """One appeal of this staff member's queue: 404 for missing and not-theirs alike."""
    appeal = appeal_queue_for_staff(user=user).filter(pk=appeal_id).first()
    if appeal is None:
        raise Http404
    return appeal


def attachment_get_for_staff(*, user, token: str) -> AppealAttachment:
    attachment = AppealAttachment.objects.filter(
        token=token, appeal__destination__in=destinations_for(user)).first()
    if attachment is None:
        raise Http404
    return attachment


@dataclass(frozen=True)
class SlaTimer:
    """The deadline that matters now: the first response until there is one, then the
    resolution. `seconds_left` is negative when overdue."""

    label: str          # "respond" or "resolve"
    deadline: datetime  # in the utility's time zone
    seconds_left: int

    @property
    def overdue(self) -> bool:
        return self.seconds_left < 0

    @property
    def text(self) -> str:
        amount = _duration(abs(self.seconds_left))
        if self.overdue:
            return _("overdue by %(time)s") % {"time": amount}
        return _("%(time)s left") % {"time": amount}


def _duration(seconds: int) -> str:
    minutes = seconds // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def sla_timer(appeal: Appeal, *, tz, now: datetime | None = None) -> SlaTimer | None:
    if appeal.status == AppealStatus.CLOSED:
        return None
    if appeal.first_response_at is None and appeal.respond_by:
        label, deadline = "respond", appeal.respond_by
    elif appeal.resolve_by:
        label, deadline = "resolve", appeal.resolve_by
    else:
        return None
    left = deadline - (now or timezone.now())
    return SlaTimer(label=label, deadline=timezone.localtime(deadline, tz),
                    seconds_left=int(left / timedelta(seconds=1)))


@dataclass(frozen=True)
class DeskAppeal:
    appeal: Appeal
    events: list[AppealEvent]          # all of them, internal ones included
    attachments: list[AppealAttachment]
    deliveries: list[AppealDelivery]


def appeal_desk_detail(*, appeal: Appeal) -> DeskAppeal:
    """Three queries whatever the history's length."""
    events = list(AppealEvent.objects.filter(appeal=appeal).select_related("author")
                  .order_by("created_at", "id"))
    attachments = list(AppealAttachment.objects.filter(appeal=appeal).order_by("id"))
    deliveries = list(AppealDelivery.objects.filter(appeal=appeal).order_by("id"))
    return DeskAppeal(appeal=appeal, events=events, attachments=attachments,
                      deliveries=deliveries)


def assignable_staff(*, destination: str | None = None) -> QuerySet[User]:
    """Active staff who work appeals (of `destination`, when given)."""
    roles = [role for role in WORKING_ROLES
             if destination is None or destination in ROLE_DESTINATIONS[role]]
    return User.objects.filter(kind=UserKind.STAFF, is_active=True, is_staff=True,
                               staff_role__in=roles).order_by("username")
