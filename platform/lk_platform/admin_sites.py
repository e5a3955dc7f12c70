"""Two admin sites: the operator console on the platform's own host, and the utility staff
console on each utility's host. Each refuses users of the other kind, and each only ever
sees the schema of the host it is served on."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.utils.translation import gettext_lazy as _


class OperatorConsole(AdminSite):
    site_header = _("Platform operator console")
    site_title = _("Operator console")
    index_title = _("Utilities on the platform")

    def has_permission(self, request) -> bool:
        tenant = getattr(request, "tenant", None)
        return bool(tenant is not None and tenant.is_public and request.user.is_active
                    and request.user.is_staff and request.user.kind == "operator")


class StaffConsole(AdminSite):
    site_header = _("Utility staff console")
    site_title = _("Staff console")
    index_title = _("Administration")

    def has_permission(self, request) -> bool:
        tenant = getattr(request, "tenant", None)
        return bool(tenant is not None and not tenant.is_public and request.user.is_active
                    and request.user.is_staff and request.user.kind == "staff")

    def each_context(self, request):
        context = super().each_context(request)
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            context["site_header"] = f"{tenant.name}: {self.site_header}"
        return context


operator_console = OperatorConsole(name="console")
staff_console = StaffConsole(name="staff")
