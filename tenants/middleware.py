"""Tenant resolution from the Host header and the tenant lifecycle (maintenance, suspended)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.middleware.main import TenantMainMiddleware

from tenants.models import UtilityState
from tenants.services import public_utility_get

# Paths a resident may still POST to while the portal is read-only.
MAINTENANCE_WRITABLE_PREFIXES = ("/login/", "/logout/", "/i18n/", "/staff/",
                                 "/password/change/", "/rules/accept/",  # gates to get in
                                 "/payments/webhooks/")  # money already taken is recorded
# Paths that stay open while a utility is suspended: its staff can still get their data.
SUSPENDED_OPEN_PREFIXES = ("/staff/", "/static/",
                           "/password/change/",  # staff may be made to change it first
                           "/payments/webhooks/")  # acquirers report earlier payments


class UtilityMiddleware(TenantMainMiddleware):
    """Picks the utility by host. The platform's own host is the public schema; an unknown
    host gets a plain 404 that names no utility."""

    def get_tenant(self, domain_model, hostname):
        if hostname == settings.PLATFORM_DOMAIN:
            return public_utility_get()
        return super().get_tenant(domain_model, hostname)

    def no_tenant_found(self, request, hostname):
        return HttpResponseNotFound(render_to_string("unknown_host.html", request=None))

    def process_request(self, request):
        response = super().process_request(request)
        if response is None:
            timezone.activate(request.tenant.tzinfo)
        return response


class LifecycleMiddleware:
    """Maintenance: the portal is read-only with a banner. Suspended: closed with the
    utility's message. The API answers both with a clear machine-readable status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        utility = getattr(request, "tenant", None)
        if utility is None or utility.is_public or utility.state == UtilityState.ACTIVE:
            return self.get_response(request)
        if utility.state == UtilityState.SUSPENDED:
            if request.path.startswith(SUSPENDED_OPEN_PREFIXES):
                return self.get_response(request)
            return self._refuse(request, utility, "suspended",
                                _("The personal account of %(name)s is closed.")
                                % {"name": utility.name})
        if request.method in ("GET", "HEAD", "OPTIONS") or request.path.startswith(
                MAINTENANCE_WRITABLE_PREFIXES):
            return self.get_response(request)
        return self._refuse(request, utility, "maintenance",
                            _("The personal account is in maintenance: you can look, but "
                              "changes are not accepted now."))

    @staticmethod
    def _refuse(request, utility, code: str, title: str) -> HttpResponse:
        message = utility.state_message
        if request.path.startswith("/api/"):
            response = JsonResponse({"code": code, "detail": title, "message": message},
                                    status=503)
        else:
            html = render_to_string(f"tenants/{code}.html",
                                    {"title": title, "message": message}, request=request)
            response = HttpResponse(html, status=503)
        response["Retry-After"] = "3600"
        return response
