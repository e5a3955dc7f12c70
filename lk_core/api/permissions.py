"""The gates identity puts in front of the web portal, for the API: a password that must be
changed first, and service rules not yet accepted. Views that let the resident clear a
gate (password change, rules, signing out) set `gate_exempt = True`."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from lk_core.identity.selectors import (
    resident_for_request,
    resident_for_user,
    rules_accepted,
    rules_current,
)


class GateClosed(exceptions.PermissionDenied):
    pass


class ResidentGate(BasePermission):
    def has_permission(self, request, view) -> bool:
        if getattr(view, "gate_exempt", False):
            return True
        user = request.user
        if user.must_change_password:
            raise GateClosed(_("Choose your own password first."),
                             code="password_change_required")
        if not rules_ok(user, resident=resident_for_request(request)):
            raise GateClosed(_("Accept the current service rules first."),
                             code="rules_acceptance_required")
        return True


def rules_ok(user, *, resident=None) -> bool:
    """The user has accepted the current rules (or is not a resident); a view passes the
    resident it has already read for this request."""
    current = rules_current()
    resident = resident if resident is not None else resident_for_user(user)
    return current is None or resident is None or rules_accepted(resident=resident,
                                                                 version=current)
