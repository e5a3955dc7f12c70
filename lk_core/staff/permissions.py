"""Role permissions for ModelAdmins of the staff console (any app's)."""

from __future__ import annotations

from lk_core.staff.roles import Action, Section, staff_can


class StaffSectionAdminMixin:
    """VIEW to see, CHANGE to add, change, delete or run actions. Put it first in the bases;
    a ModelAdmin may still narrow a method further (e.g. no change form at all)."""

    console_section: Section

    def has_module_permission(self, request):
        return staff_can(request.user, self.console_section)

    def has_view_permission(self, request, obj=None):
        return staff_can(request.user, self.console_section)

    def has_add_permission(self, request, *args):
        return staff_can(request.user, self.console_section, Action.CHANGE)

    def has_change_permission(self, request, obj=None):
        return staff_can(request.user, self.console_section, Action.CHANGE)

    def has_delete_permission(self, request, obj=None):
        return staff_can(request.user, self.console_section, Action.CHANGE)

    def get_actions(self, request):
        # Admin actions change things: a view-only role gets none of them.
        if not staff_can(request.user, self.console_section, Action.CHANGE):
            return {}
        return super().get_actions(request)
