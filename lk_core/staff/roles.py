"""Which staff role may use which console section, and how.

One table, read by every console view and ModelAdmin (see `StaffSectionAdminMixin` and
`section_required`). Django's per-model permissions and the superuser flag are not used in
the staff console: a role is the whole answer.
"""

from __future__ import annotations

from enum import StrEnum

from lk_core.users.models import StaffRole, UserKind


class Section(StrEnum):
    OVERVIEW = "overview"
    BRANDING = "branding"          # logo, favicon, colours, contacts
    SETTINGS = "settings"          # time zone, reading window, registration, reminders ...
    PAYMENTS = "payments"          # acquirer, mode, credentials
    INTEGRATION = "integration"    # integration key, pull URL
    CONTENT = "content"            # help pages, rules versions, notification texts
    STAFF = "staff"                # staff accounts and their roles
    AUDIT = "audit"                # the staff audit log
    APPEALS = "appeals"            # the appeals desk
    APPEAL_ROUTES = "appeal_routes"  # appeal categories and routes
    RESIDENTS = "residents"        # search, office registration, block, reset
    BILLING = "billing"            # import runs, uploads, exports
    REFUNDS = "refunds"            # refunding card payments (the payments list shows them)


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"


VIEW = frozenset({Action.VIEW})
FULL = frozenset({Action.VIEW, Action.CHANGE})

ROLE_GRANTS: dict[str, dict[Section, frozenset[Action]]] = {
    StaffRole.ADMIN: dict.fromkeys(Section, FULL),
    # АДС: works emergency and other appeals, looks residents up to call them back.
    StaffRole.DISPATCHER: {
        Section.OVERVIEW: VIEW,
        Section.APPEALS: FULL,
        Section.RESIDENTS: VIEW,
    },
    # Customer service: appeals, residents in the office, billing data to answer questions.
    StaffRole.OPERATOR: {
        Section.OVERVIEW: VIEW,
        Section.APPEALS: FULL,
        Section.RESIDENTS: FULL,
        Section.BILLING: VIEW,
        Section.REFUNDS: FULL,  # a resident's refund is settled at the counter
    },
    # Read-only: sees what the tenant is configured to do, changes nothing. Staff accounts
    # (who works here) and credentials stay with the administrator.
    StaffRole.READONLY: {
        section: VIEW for section in Section
        if section not in (Section.STAFF, Section.PAYMENTS, Section.INTEGRATION)
    },
}


def staff_can(user, section: Section | str, action: Action | str = Action.VIEW) -> bool:
    """May this user use this section of the staff console in this way?"""
    if not (user and user.is_authenticated and user.is_active and user.is_staff
            and user.kind == UserKind.STAFF):
        return False
    grants = ROLE_GRANTS.get(user.staff_role, {})
    return Action(action) in grants.get(Section(section), frozenset())


def sections_for(user) -> list[Section]:
    return [section for section in Section if staff_can(user, section)]
