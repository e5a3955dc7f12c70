"""Staff console pages that are not "edit one row": thin callers of services/selectors.

The console site (lk_platform.admin_sites) has already checked that the user is staff of
this tenant and may *view* the section; changes check the CHANGE grant here.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lk_core.staff import selectors
from lk_core.staff.forms import BrandingForm, SettingsForm
from lk_core.staff.roles import Action, Section, staff_can
from tenants import services as tenant_services
from tenants.branding import MIN_CONTRAST_WITH_WHITE


def console_render(request, template: str, context: dict) -> TemplateResponse:
    from lk_platform.admin_sites import staff_console

    return TemplateResponse(request, template, {**staff_console.each_context(request),
                                                **context})


def require_change(request, section: Section) -> None:
    if not staff_can(request.user, section, Action.CHANGE):
        raise PermissionDenied


def apply_form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def overview_panel(request) -> dict | None:
    if not staff_can(request.user, Section.OVERVIEW):
        return None
    figures = selectors.overview_get(utility=request.tenant)
    return {"title": _("Overview"), "rows": [
        (_("Accounts"), figures.accounts),
        (_("Registered residents"), figures.registered_residents),
        (_("Readings this month"), figures.readings_this_month),
        (_("Payments this month"), figures.payments_this_month),
        (_("Paid this month, ₽"), figures.paid_this_month),
        (_("Open appeals"), figures.open_appeals),
        (_("Open emergency appeals"), figures.open_emergencies),
    ]}


def branding_view(request: HttpRequest) -> HttpResponse:
    utility = request.tenant
    can_change = staff_can(request.user, Section.BRANDING, Action.CHANGE)
    if request.method == "POST":
        require_change(request, Section.BRANDING)
        form = BrandingForm(request.POST, request.FILES)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                tenant_services.utility_update_branding(utility=utility, actor=request.user,
                                                        **data)
            except ValidationError as exc:
                apply_form_errors(form, exc)
            else:
                messages.success(request, _("Branding saved: the portal shows it now."))
                return redirect(request.path)
    else:
        form = BrandingForm(initial={name: getattr(utility, name)
                                     for name in tenant_services.BRANDING_FIELDS})
    if not can_change:
        for field in form.fields.values():
            field.disabled = True
    return console_render(request, "staff/branding.html", {
        "title": _("Branding"), "form": form, "can_change": can_change, "utility": utility,
        "min_contrast": MIN_CONTRAST_WITH_WHITE,
    })


def settings_view(request: HttpRequest) -> HttpResponse:
    utility = request.tenant
    can_change = staff_can(request.user, Section.SETTINGS, Action.CHANGE)
    if request.method == "POST":
        require_change(request, Section.SETTINGS)
        form = SettingsForm(request.POST)
        if form.is_valid():
            try:
                # A field left out keeps its value.
                tenant_services.utility_update_settings(
                    utility=utility, actor=request.user,
                    **{k: v for k, v in form.cleaned_data.items() if v not in (None, "")})
            except ValidationError as exc:
                apply_form_errors(form, exc)
            else:
                messages.success(request, _("Settings saved."))
                return redirect(request.path)
    else:
        form = SettingsForm(initial={name: getattr(utility, name)
                                     for name in tenant_services.SETTINGS_FIELDS})
    if not can_change:
        for field in form.fields.values():
            field.disabled = True
    return console_render(request, "staff/settings.html", {
        "title": _("Settings"), "form": form, "can_change": can_change})


BRANDING_TITLE = gettext_lazy("Branding")
SETTINGS_TITLE = gettext_lazy("Settings")
