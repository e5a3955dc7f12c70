"""Staff console pages: identity settings, residents (office registration, block, unblock,
reset), rules versions, and the read-only security log. Actions call services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lk_core.identity import rules_default, services
from lk_core.identity.forms import OfficeRegistrationForm, StaffLoginForm
from lk_core.identity.http import client_ip
from lk_core.identity.models import (
    IdentitySettings,
    Resident,
    ResidentAccount,
    RulesStatus,
    RulesVersion,
    SecurityEvent,
)
from lk_core.identity.proofs import receipt_code_for
from lk_core.identity.selectors import user_label, utility_current
from lk_core.staff.permissions import StaffSectionAdminMixin
from lk_core.staff.roles import Action, Section, staff_can
from lk_platform.admin_sites import staff_console
from tenants.urls import utility_url

# The staff console's login counts failures like the residents' login does (the console is
# declared in lk_platform, which does not depend on lk_core; the form is set from here).
staff_console.login_form = StaffLoginForm


@admin.register(IdentitySettings, site=staff_console)
class IdentitySettingsAdmin(StaffSectionAdminMixin, admin.ModelAdmin):
    console_section = Section.SETTINGS
    list_display = ["__str__", "registration_method", "password_delivery",
                    "initial_password_hours", "force_password_change"]

    def has_add_permission(self, request) -> bool:
        return (super().has_add_permission(request)
                and not IdentitySettings.objects.exists())

    def save_model(self, request, obj, form, change):
        # Through the service, which audits the change in the staff audit log.
        services.identity_settings_update(
            actor=request.user, **{name: form.cleaned_data[name] for name in form.changed_data})
        obj.pk = IdentitySettings.objects.values_list("pk", flat=True).first()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ResidentAccountInline(admin.TabularInline):
    model = ResidentAccount
    extra = 0
    can_delete = False
    fields = ["account", "receipt_code", "method", "linked_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("receipt code"))
    def receipt_code(self, obj) -> str:
        return receipt_code_for(obj.account)


@admin.register(Resident, site=staff_console)
class ResidentAdmin(StaffSectionAdminMixin, admin.ModelAdmin):
    console_section = Section.RESIDENTS
    list_display = ["holder", "email", "accounts", "registered_via", "created_at",
                    "blocked_at"]
    list_filter = ["registered_via", ("blocked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "links__account__number", "links__account__holder_name",
                     "user__first_name", "user__last_name"]
    # The login's user name is technical ("r-…"): staff see the account and holder instead.
    fields = ["holder", "email", "current_account", "email_notices", "sms_notices",
              "consent_at", "consent_ip", "registered_via", "blocked_at", "blocked_reason",
              "created_at"]
    readonly_fields = fields
    inlines = [ResidentAccountInline]
    actions = ["block", "unblock", "send_reset"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "user", "current_account").prefetch_related("links__account")

    @admin.display(description=gettext_lazy("resident"), ordering="current_account__number")
    def holder(self, obj) -> str:
        return user_label(obj.user, account=obj.current_account)

    @admin.display(description=gettext_lazy("e-mail"), ordering="user__email")
    def email(self, obj) -> str:
        return obj.user.email

    @admin.display(description=gettext_lazy("accounts"))
    def accounts(self, obj) -> str:
        return ", ".join(link.account.number for link in obj.links.all())

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # changes go through the actions below, never by editing the row

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_manage_permission(self, request) -> bool:
        """Register, block, unblock, reset: staff whose role may change residents."""
        return staff_can(request.user, Section.RESIDENTS, Action.CHANGE)

    def has_add_permission(self, request) -> bool:
        return self.has_manage_permission(request)

    def add_view(self, request, form_url="", extra_context=None):
        """"Add resident" is registration in the office: the password is shown once."""
        if not self.has_manage_permission(request):
            raise PermissionDenied
        form = OfficeRegistrationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                resident, password = services.resident_register_in_office(
                    actor=request.user, ip=client_ip(request), **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                return render(request, "identity/staff/office_registered.html", {
                    "resident": resident, "password": password,
                    "account": resident.current_account, "utility": utility_current(),
                    "login_url": utility_url(utility_current(), "/login/")})
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.opts,
                   "title": _("Register a resident in the office")}
        return render(request, "identity/staff/office_register.html", context)

    @admin.action(description=gettext_lazy("Block the selected residents"), permissions=["manage"])
    def block(self, request, queryset):
        for resident in queryset.select_related("user"):
            services.resident_block(resident=resident, actor=request.user,
                                    reason=_("Blocked in the staff console"),
                                    ip=client_ip(request))
        messages.success(request, _("Blocked: %(count)d.") % {"count": queryset.count()})

    @admin.action(description=gettext_lazy("Unblock the selected residents"),
                  permissions=["manage"])
    def unblock(self, request, queryset):
        for resident in queryset.select_related("user"):
            services.resident_unblock(resident=resident, actor=request.user,
                                      ip=client_ip(request))
        messages.success(request, _("Unblocked: %(count)d.") % {"count": queryset.count()})

    @admin.action(description=gettext_lazy("Send a password reset link"), permissions=["manage"])
    def send_reset(self, request, queryset):
        sent = sum(services.resident_reset_send(resident=resident, actor=request.user,
                                                ip=client_ip(request))
                   for resident in queryset.select_related("user"))
        messages.success(request, _("Reset links sent: %(count)d.") % {"count": sent})


@admin.register(RulesVersion, site=staff_console)
class RulesVersionAdmin(StaffSectionAdminMixin, admin.ModelAdmin):
    console_section = Section.CONTENT
    list_display = ["number", "title", "status", "published_at"]
    fields = ["number", "title", "title_en", "text_ru", "text_en", "status", "published_at"]
    readonly_fields = ["status", "published_at"]
    actions = ["publish"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == RulesStatus.PUBLISHED:
            return ["number", "title", "title_en", "text_ru", "text_en", "status",
                    "published_at"]
        return self.readonly_fields

    def get_changeform_initial_data(self, request):
        last = RulesVersion.objects.order_by("-number").first()
        name = utility_current().name
        return {"number": (last.number + 1) if last else 1,
                "title": last.title if last else rules_default.TITLE_RU,
                "title_en": last.title_en if last else rules_default.TITLE_EN,
                "text_ru": last.text_ru if last else rules_default.TEXT_RU.replace(
                    "{utility}", name),
                "text_en": last.text_en if last else rules_default.TEXT_EN.replace(
                    "{utility}", name)}

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.status == RulesStatus.DRAFT)

    @admin.action(description=gettext_lazy("Publish (residents accept at next login)"),
                  permissions=["change"])
    def publish(self, request, queryset):
        for version in queryset.order_by("number"):
            try:
                services.rules_publish(version=version, actor=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return
        messages.success(request, _("Published."))


@admin.register(SecurityEvent, site=staff_console)
class SecurityEventAdmin(StaffSectionAdminMixin, admin.ModelAdmin):
    console_section = Section.AUDIT
    list_display = ["at", "kind", "account_number", "who", "actor", "ip"]
    fields = ["at", "kind", "account_number", "who", "actor", "ip", "details"]
    readonly_fields = fields
    list_filter = ["kind"]
    search_fields = ["account_number", "user__email", "ip"]
    date_hierarchy = "at"
    list_select_related = ["user__resident__current_account", "actor"]

    @admin.display(description=gettext_lazy("user"))
    def who(self, obj) -> str:
        return user_label(obj.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
