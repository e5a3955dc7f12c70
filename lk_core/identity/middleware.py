"""Gates after login: a user with a must-change password (residents and staff) goes to the
change page; a resident who has not accepted the current rules goes to accept them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from lk_core.identity.selectors import resident_for_request, rules_accepted, rules_current

OPEN_PREFIXES = ("/static/", "/media/", "/i18n/", "/branding.css", "/logout/",
                 "/password/change/", "/rules/", "/staff/logout/")
RULES_SESSION_KEY = "identity_rules_accepted"


class IdentityGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self._gate(request) or self.get_response(request)

    def _gate(self, request: HttpRequest) -> HttpResponse | None:
        tenant = getattr(request, "tenant", None)
        user = getattr(request, "user", None)
        if (tenant is None or tenant.is_public or user is None or not user.is_authenticated
                or request.path.startswith(OPEN_PREFIXES)):
            return None
        if user.must_change_password:
            return _refuse(request, "password-change", "password_change_required",
                           _("Choose your own password first."))
        if user.kind == "resident" and not _rules_ok(request, user):
            return _refuse(request, "rules-accept", "rules_acceptance_required",
                           _("Accept the current service rules first."))
        return None


def _rules_ok(request: HttpRequest, user) -> bool:
    resident = resident_for_request(request)
    if resident is None:
        return True
    # The published number comes with the resident (one query for both).
    number = getattr(resident, "published_rules", None)
    if number is None or request.session.get(RULES_SESSION_KEY) == number:
        return True
    current = rules_current()
    if current is None or rules_accepted(resident=resident, version=current):
        if current is not None:
            request.session[RULES_SESSION_KEY] = current.number
        return True
    return False


def _refuse(request: HttpRequest, url_name: str, code: str, detail: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        # The API's error shape (docs/api.md).
        return JsonResponse({"status": 403, "code": code, "message": detail, "fields": {}},
                            status=403)
    target = reverse(url_name)
    if request.method == "GET" and request.path != "/":
        target += "?" + urlencode({"next": request.get_full_path()})
    return redirect(target)
