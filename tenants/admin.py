"""Operator console: onboarding and lifecycle of utilities (public schema only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lk_platform.admin_sites import operator_console
from tenants import selectors, services
from tenants.branding import validate_primary_color
from tenants.models import Domain, Utility, UtilityAuditEvent, UtilityState
from tenants.urls import utility_url


def _registration_choices():
    from lk_core.identity.models import RegistrationMethod

    return RegistrationMethod.choices


def _acquirer_choices():
    from lk_core.payments.models import AcquirerKind

    return AcquirerKind.choices


class UtilityFormBase(forms.ModelForm):
    """Utility forms only collect input: utility_create and the update services validate the
    whole utility (the schema name comes from the slug) and audit the change."""

    def clean_primary_color(self):
        value = self.cleaned_data["primary_color"]
        validate_primary_color(value)
        return value

    def _post_clean(self):
        # Fill the instance the admin shows and logs; skip the model's own full_clean.
        self.instance = forms.models.construct_instance(self, self.instance,
                                                        self._meta.fields)


class UtilityOnboardingForm(UtilityFormBase):
    domain = forms.CharField(label=_("Domain"), required=False,
                             help_text=_("Leave empty for <slug>.<platform domain>."))
    staff_email = forms.EmailField(label=_("First administrator's e-mail"))
    registration_method = forms.ChoiceField(
        label=_("How residents register"), choices=lambda: _registration_choices(),
        initial="amount", required=False,
        help_text=_("The utility's administrator can change it later."))
    acquirer = forms.ChoiceField(
        label=_("Card payments"), choices=lambda: _acquirer_choices(), initial="none",
        required=False,
        help_text=_("Test mode; the utility's administrator enters the credentials in the "
                    "staff console, and residents are offered card payment from then on."))

    class Meta:
        model = Utility
        fields = ["name", "slug", "kind", "timezone", "theme", "primary_color", "accent_color",
                  "tagline", "dispatch_phone", "support_phone", "support_email",
                  "postal_address", "office_hours"]


class UtilityChangeForm(UtilityFormBase):
    class Meta:
        model = Utility
        fields = ["name", "kind", "timezone", "theme", "primary_color", "accent_color",
                  "tagline", "dispatch_phone", "support_phone", "support_email",
                  "postal_address", "office_hours"]


class UtilityStateForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=UtilityState.choices)
    message = forms.CharField(
        label=_("Message to residents"), required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown on the closed portal or under the maintenance banner."))


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Utility, site=operator_console)
class UtilityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "state_link", "primary_domain", "figure_accounts",
                    "figure_residents", "figure_staff", "created_at"]
    list_filter = ["state", "kind"]
    search_fields = ["name", "slug", "domains__domain"]
    readonly_fields = ["slug", "schema_name", "state", "state_message", "state_changed_at",
                       "created_at", "links"]
    list_per_page = 50  # figures are one small query per listed utility

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(schema_name="public").prefetch_related(
            "domains")

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = UtilityChangeForm if obj else UtilityOnboardingForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj:
            return super().get_fieldsets(request, obj)
        # The onboarding form, in the order an operator collects the facts.
        return [
            (_("1. The company"), {"fields": ["name", "slug", "kind", "timezone"]}),
            (_("2. Address of the portal"), {"fields": ["domain"]}),
            (_("3. First administrator, registration and payments"), {"fields": [
                "staff_email", "registration_method", "acquirer"]}),
            (_("4. Look and contacts"), {"fields": [
                "theme", "primary_color", "accent_color", "tagline", "dispatch_phone",
                "support_phone", "support_email", "postal_address", "office_hours"]}),
        ]

    def get_fields(self, request, obj=None):
        form = UtilityChangeForm if obj else UtilityOnboardingForm
        fields = list(form.base_fields)
        return fields + (list(self.readonly_fields) if obj else [])

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_inlines(self, request, obj):
        return [DomainInline] if obj else []

    @admin.display(description=_("Primary domain"))
    def primary_domain(self, obj):
        return next((d.domain for d in obj.domains.all() if d.is_primary), "")

    def _figures(self, obj):
        cache = getattr(self, "_figures_cache", None)
        if cache is None or cache[0] is not obj:
            self._figures_cache = (obj, selectors.utility_figures_get(obj))
        return self._figures_cache[1]

    @admin.display(description=_("Accounts"))
    def figure_accounts(self, obj):
        return self._figures(obj).accounts

    @admin.display(description=_("Registered residents"))
    def figure_residents(self, obj):
        return self._figures(obj).residents

    @admin.display(description=_("Staff"))
    def figure_staff(self, obj):
        return self._figures(obj).staff

    @admin.display(description=_("State"), ordering="state")
    def state_link(self, obj):
        url = reverse("console:tenants_utility_state", args=[obj.pk])
        return format_html('<a class="state state-{}" href="{}">{}</a>', obj.state, url,
                           obj.get_state_display())

    @admin.display(description=_("Links"))
    def links(self, obj):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a> · '
            '<a href="{}" target="_blank" rel="noopener">{}</a> · <a href="{}">{}</a>',
            utility_url(obj, "/"), gettext("Portal"), utility_url(obj, "/staff/"),
            gettext("Staff console"), reverse("console:tenants_utility_state", args=[obj.pk]),
            gettext("Maintenance or suspension"))

    def get_urls(self):
        return [path("<int:pk>/state/", self.admin_site.admin_view(self.state_view),
                     name="tenants_utility_state"), *super().get_urls()]

    def state_view(self, request, pk):
        """Maintenance or suspension with a message to residents (or back to active)."""
        utility = get_object_or_404(selectors.utility_list(), pk=pk)
        if not self.has_change_permission(request, utility):
            raise PermissionDenied
        form = UtilityStateForm(request.POST or None, initial={
            "state": utility.state, "message": utility.state_message})
        if request.method == "POST" and form.is_valid():
            services.utility_set_state(utility=utility, state=form.cleaned_data["state"],
                                       message=form.cleaned_data["message"],
                                       actor=f"operator:{request.user.username}")
            messages.success(request, gettext("%(name)s is now: %(state)s.") % {
                "name": utility.name, "state": utility.get_state_display()})
            return redirect("console:tenants_utility_changelist")
        return TemplateResponse(request, "consoles/utility_state.html", {
            **self.admin_site.each_context(request), "title": gettext("State of %(name)s")
            % {"name": utility.name}, "form": form, "utility": utility, "opts": self.opts})

    def save_model(self, request, obj, form, change):
        actor = request.user
        if not change:
            self._onboard(request, obj, form, f"operator:{request.user.username}")
            return
        data = form.cleaned_data
        stored = Utility.objects.get(pk=obj.pk)
        try:
            services.utility_update_identity(
                utility=stored, actor=actor, **{f: data[f] for f in services.IDENTITY_FIELDS})
            services.utility_update_settings(
                utility=stored, actor=actor,
                **{f: data[f] for f in services.SETTINGS_FIELDS if f in data})
            services.utility_update_branding(
                utility=stored, actor=actor, **{f: data[f] for f in services.BRANDING_FIELDS})
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))

    def _onboard(self, request, obj, form, actor):
        data = form.cleaned_data
        branding = {field: data[field] for field in (
            "theme", "primary_color", "accent_color", "tagline", "dispatch_phone",
            "support_phone", "support_email", "postal_address", "office_hours")}
        try:
            result = services.utility_create(
                slug=data["slug"], name=data["name"], actor=actor, kind=data["kind"],
                timezone_name=data["timezone"], staff_email=data["staff_email"],
                domains=[data["domain"]] if data.get("domain") else None, **branding)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc
        if data.get("registration_method"):
            self._registration_set(result.utility, data["registration_method"], actor)
        if data.get("acquirer"):
            self._acquirer_set(result.utility, data["acquirer"], actor)
        obj.pk = result.utility.pk
        obj.schema_name = result.utility.schema_name
        obj._state.adding = False
        messages.success(request, _(
            "Utility created. First administrator: %(user)s, one-time password: %(password)s "
            "(also sent by e-mail).") % {"user": result.staff_username,
                                          "password": result.staff_password})
        messages.info(request, _("Portal: %(portal)s · staff console: %(staff)s") % {
            "portal": utility_url(result.utility, "/"),
            "staff": utility_url(result.utility, "/staff/")})

    @staticmethod
    def _registration_set(utility, method: str, actor: str) -> None:
        from django_tenants.utils import schema_context

        from lk_core.identity.services import identity_settings_update

        with schema_context(utility.schema_name):
            identity_settings_update(actor=actor, registration_method=method)

    @staticmethod
    def _acquirer_set(utility, acquirer: str, actor: str) -> None:
        from django_tenants.utils import schema_context

        from lk_core.payments.services import payment_acquirer_choose

        with schema_context(utility.schema_name):
            payment_acquirer_choose(acquirer=acquirer, actor=actor)

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UtilityAuditEvent, site=operator_console)
class UtilityAuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "utility", "action", "actor"]
    list_filter = ["action"]
    search_fields = ["utility__name", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def platform_panel(request) -> dict:
    counts = selectors.utility_state_counts()
    return {"title": gettext("Utilities"), "rows": [
        (label, counts.get(value, 0)) for value, label in UtilityState.choices]}


operator_console.add_index_panel(platform_panel)
