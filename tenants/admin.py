"""Operator console: onboarding and lifecycle of utilities (public schema only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lk_platform.admin_sites import operator_console
from tenants import services
from tenants.branding import validate_primary_color
from tenants.models import Domain, Utility, UtilityAuditEvent


class UtilityOnboardingForm(forms.ModelForm):
    domain = forms.CharField(label=_("Domain"), required=False,
                             help_text=_("Leave empty for <slug>.<platform domain>."))
    staff_email = forms.EmailField(label=_("First administrator's e-mail"))

    class Meta:
        model = Utility
        fields = ["name", "slug", "kind", "timezone", "theme", "primary_color", "accent_color",
                  "tagline", "dispatch_phone", "support_phone", "support_email",
                  "postal_address", "office_hours"]

    def clean_primary_color(self):
        value = self.cleaned_data["primary_color"]
        validate_primary_color(value)
        return value

    def _post_clean(self):
        # utility_create validates the whole utility (the schema name comes from the slug);
        # the form only fills the instance the admin shows and logs.
        self.instance = forms.models.construct_instance(self, self.instance,
                                                        self._meta.fields)


class UtilityChangeForm(forms.ModelForm):
    class Meta:
        model = Utility
        fields = ["name", "kind", "timezone", "state", "state_message", "theme",
                  "primary_color", "accent_color", "tagline", "dispatch_phone", "support_phone",
                  "support_email", "postal_address", "office_hours"]

    def clean_primary_color(self):
        value = self.cleaned_data["primary_color"]
        validate_primary_color(value)
        return value


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Utility, site=operator_console)
class UtilityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "state", "primary_domain", "created_at"]
    list_filter = ["state", "kind"]
    search_fields = ["name", "slug", "domains__domain"]
    readonly_fields = ["slug", "schema_name", "created_at", "state_changed_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(schema_name="public").prefetch_related(
            "domains")

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = UtilityChangeForm if obj else UtilityOnboardingForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        form = UtilityChangeForm if obj else UtilityOnboardingForm
        fields = list(form.base_fields)
        return fields + (["slug", "schema_name", "created_at", "state_changed_at"] if obj else [])

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_inlines(self, request, obj):
        return [DomainInline] if obj else []

    @admin.display(description=_("Primary domain"))
    def primary_domain(self, obj):
        return next((d.domain for d in obj.domains.all() if d.is_primary), "")

    def save_model(self, request, obj, form, change):
        actor = f"operator:{request.user.username}"
        if not change:
            self._onboard(request, obj, form, actor)
            return
        if {"state", "state_message"} & set(form.changed_data):
            new_state, new_message = obj.state, obj.state_message
            obj.state = form.initial["state"]
            services.utility_set_state(utility=obj, state=new_state, message=new_message,
                                       actor=actor)
        super().save_model(request, obj, form, change)

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
        obj.pk = result.utility.pk
        obj.schema_name = result.utility.schema_name
        obj._state.adding = False
        messages.success(request, _(
            "Utility created. First administrator: %(user)s, one-time password: %(password)s "
            "(also sent by e-mail).") % {"user": result.staff_username,
                                          "password": result.staff_password})

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
