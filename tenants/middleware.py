"""Tenant resolution from the Host header and the tenant lifecycle (maintenance, suspended)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import get_public_schema_name, get_tenant_domain_model

from tenants.models import UtilityState
from tenants.services import public_utility_get

# Paths a resident may still POST to while the portal is read-only.
MAINTENANCE_WRITABLE_PREFIXES = ("/login/", "/logout/", "/i18n/", "/staff/",
                                 "/password/change/", "/rules/accept/",  # gates to get in
                                 "/payments/webhooks/",  # money already taken is recorded
                                 # the app's sign-in and the same gates
                                 "/api/v1/auth/token/", "/api/v1/auth/refresh/",
                                 "/api/v1/auth/logout/", "/api/v1/auth/password/change/",
                                 "/api/v1/rules/acceptance/")
# Paths that stay open while a utility is suspended: its staff can still get their data.
SUSPENDED_OPEN_PREFIXES = ("/staff/", "/static/",
                           "/password/change/",  # staff may be made to change it first
                           "/payments/webhooks/")  # acquirers report earlier payments


# Host -> schema seen before in this process. Only a guess for the search path of the
# tenant lookup on a fresh connection; the lookup itself always runs.
_SCHEMA_BY_HOST: dict[str, str] = {}


class UtilityMiddleware(TenantMainMiddleware):
    """Picks the utility by host. The platform's own host is the public schema; an unknown
    host gets a plain 404 that names no utility.

    At most one `SET search_path` per request (none when the connection is already on the
    utility's schema): the lookup reads only public tables, which every tenant search path
    includes, so it runs on the path the connection already has instead of switching to
    public first and back to the tenant after."""

    def get_tenant(self, domain_model, hostname):
        if hostname == settings.PLATFORM_DOMAIN:
            return public_utility_get()
        return super().get_tenant(domain_model, hostname)

    def no_tenant_found(self, request, hostname):
        return HttpResponseNotFound(render_to_string("unknown_host.html", request=None))

    def process_request(self, request):
        try:
            hostname = self.hostname_from_request(request)
        except DisallowedHost:
            return HttpResponseNotFound()
        _lookup_path_prepare(hostname)
        domain_model = get_tenant_domain_model()
        try:
            tenant = self.get_tenant(domain_model, hostname)
        except domain_model.DoesNotExist:
            connection.set_schema_to_public()
            return self.no_tenant_found(request, hostname)
        _SCHEMA_BY_HOST[hostname] = tenant.schema_name
        tenant.domain_url = hostname
        request.tenant = tenant
        _tenant_activate(tenant)
        self.setup_url_routing(request)
        timezone.activate(tenant.tzinfo)
        return None


def _lookup_path_prepare(hostname: str) -> None:
    """Keep a search path that includes public; otherwise (a fresh connection, after a
    rollback) start on the schema this host had before, so that one SET serves both the
    lookup and the request."""
    in_force = connection.search_path_set_schemas
    public = get_public_schema_name()
    if hostname == settings.PLATFORM_DOMAIN:
        # The platform's own row may be created on first use, which only public allows.
        if in_force != [public]:
            connection.set_schema_to_public()
        return
    if in_force and public in in_force:
        return
    guess = _SCHEMA_BY_HOST.get(hostname)
    if guess:
        connection.set_schema(guess)
    else:
        connection.set_schema_to_public()


def _tenant_activate(tenant) -> None:
    """connection.set_tenant, without the SET the next query would send when the session's
    search path is already exactly the tenant's."""
    in_force = connection.search_path_set_schemas
    connection.set_tenant(tenant)
    if in_force is not None and list(in_force) == connection._get_cursor_search_paths():
        connection.search_path_set_schemas = in_force


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
            # The API's error shape (lk_core.api.exceptions), plus the utility's own words.
            response = JsonResponse({"status": 503, "code": code, "message": title,
                                     "fields": {}, "utility_message": message}, status=503)
        else:
            html = render_to_string(f"tenants/{code}.html",
                                    {"title": title, "message": message}, request=request)
            response = HttpResponse(html, status=503)
        response["Retry-After"] = "3600"
        return response
