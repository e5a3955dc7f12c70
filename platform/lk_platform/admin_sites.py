"""Two admin sites: the operator console on the platform's own host, and the utility staff
console on each utility's host. Each refuses users of the other kind, and each only ever
sees the schema of the host it is served on.

Both send a user who still has a one-time password to the password change page first.
Apps add their own console pages with `site.add_view(...)` (see docs/consoles.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import update_wrapper

from django.contrib.admin import AdminSite
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import PasswordChangeView
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

# Admin URL names a user with a one-time password may still open.
PASSWORD_CHANGE_OPEN = {"password_change", "password_change_done", "logout", "login",
                        "jsi18n"}


class ConsolePasswordChangeView(PasswordChangeView):
    """Django's view and form; the new password is stored by the console's service (which
    clears `must_change_password`), then the session is kept valid."""

    site = None

    def form_valid(self, form):
        self.site.password_store(self.request, form.user, form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, form.user)
        return HttpResponseRedirect(self.get_success_url())


@dataclass(frozen=True)
class ConsoleView:
    route: str
    view: object
    name: str
    title: object
    section: str | None = None  # for the staff console's role check; None = any console user
    in_menu: bool = True


class ConsoleSite(AdminSite):
    """What both consoles share: forced password change and extra pages from apps."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._extra_views: list[ConsoleView] = []
        self._index_panels: list = []

    def add_index_panel(self, provider) -> None:
        """`provider(request) -> dict | None`: a panel (title, rows) on the console's home."""
        self._index_panels.append(provider)

    def index(self, request, extra_context=None):
        panels = [panel for provider in self._index_panels if (panel := provider(request))]
        return super().index(request, {"console_panels": panels, **(extra_context or {})})

    def add_view(self, route: str, view, name: str, title, section: str | None = None,
                 in_menu: bool = True) -> None:
        self._extra_views.append(ConsoleView(route, view, name, title, section, in_menu))

    def view_allowed(self, request, console_view: ConsoleView) -> bool:
        return True

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def wrapper(request, *args, **kwargs):
            user = request.user
            url_name = getattr(request.resolver_match, "url_name", None)
            if (user.is_authenticated and getattr(user, "must_change_password", False)
                    and self.has_permission(request) and url_name not in PASSWORD_CHANGE_OPEN):
                return redirect(reverse(f"{self.name}:password_change", current_app=self.name))
            return inner(request, *args, **kwargs)

        return update_wrapper(wrapper, view)

    def get_urls(self):
        extra = [path(v.route, self.admin_view(self._guarded(v)), name=v.name)
                 for v in self._extra_views]
        return extra + super().get_urls()

    def _guarded(self, console_view: ConsoleView):
        from django.core.exceptions import PermissionDenied

        def view(request, *args, **kwargs):
            if not self.view_allowed(request, console_view):
                raise PermissionDenied
            request.current_app = self.name
            return console_view.view(request, *args, **kwargs)

        return update_wrapper(view, console_view.view)

    def password_store(self, request, user, new_password: str) -> None:
        from lk_core.users.services import user_password_change

        user_password_change(user=user, new_password=new_password)

    def password_change(self, request, extra_context=None):
        request.current_app = self.name
        return ConsolePasswordChangeView.as_view(
            site=self, form_class=PasswordChangeForm,
            success_url=reverse(f"{self.name}:password_change_done", current_app=self.name),
            template_name=self.password_change_template
            or "registration/password_change_form.html",
            extra_context={**self.each_context(request), **(extra_context or {})},
        )(request)

    def each_context(self, request):
        context = super().each_context(request)
        context["console_menu"] = [
            {"title": v.title, "url": reverse(f"{self.name}:{v.name}", current_app=self.name)}
            for v in self._extra_views
            if v.in_menu and "<" not in v.route and request.user.is_authenticated
            and self.has_permission(request) and self.view_allowed(request, v)
        ]
        return context


class OperatorConsole(ConsoleSite):
    site_header = _("Platform operator console")
    site_title = _("Operator console")
    index_title = _("Utilities on the platform")
    index_template = "consoles/index.html"

    def has_permission(self, request) -> bool:
        tenant = getattr(request, "tenant", None)
        return bool(tenant is not None and tenant.is_public and request.user.is_active
                    and request.user.is_staff and request.user.kind == "operator")


class StaffConsole(ConsoleSite):
    site_header = _("Utility staff console")
    site_title = _("Staff console")
    index_title = _("Administration")
    index_template = "consoles/index.html"

    def has_permission(self, request) -> bool:
        tenant = getattr(request, "tenant", None)
        return bool(tenant is not None and not tenant.is_public and request.user.is_active
                    and request.user.is_staff and request.user.kind == "staff")

    def password_store(self, request, user, new_password: str) -> None:
        # Residents' and staff's passwords change through identity (sessions, security log).
        from lk_core.identity.http import client_ip
        from lk_core.identity.services import password_change

        password_change(user=user, new_password=new_password,
                        keep_session_key=request.session.session_key, ip=client_ip(request))

    def view_allowed(self, request, console_view: ConsoleView) -> bool:
        from lk_core.staff.roles import staff_can

        return console_view.section is None or staff_can(request.user, console_view.section)

    def each_context(self, request):
        context = super().each_context(request)
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            context["site_header"] = f"{tenant.name}: {self.site_header}"
        if request.user.is_authenticated:
            context["staff_role"] = request.user.get_staff_role_display()
        return context


operator_console = OperatorConsole(name="console")
staff_console = StaffConsole(name="staff")
