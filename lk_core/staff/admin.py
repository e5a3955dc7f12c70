"""The staff console's own sections: staff accounts, the audit log, branding, settings,
and the overview panel on the console's home page."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lk_core.staff import services, views
from lk_core.staff.models import StaffAuditEvent, StaffMember
from lk_core.staff.permissions import ReadOnlyStaffAdminMixin, StaffSectionAdminMixin
from lk_core.staff.roles import Section
from lk_core.users.models import StaffRole, UserKind
from lk_platform.admin_sites import staff_console


class StaffMemberForm(forms.ModelForm):
    class Meta:
        model = StaffMember
        fields = ["email", "staff_role", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff_role"].required = True
        self.fields["staff_role"].choices = StaffRole.choices
        if self.instance.pk:
            self.fields["email"].disabled = True
        else:
            self.fields["email"].required = True

    actor = None  # set by StaffMemberAdmin.get_form

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            if self.instance.pk:
                stored = StaffMember.objects.get(pk=self.instance.pk)
                services.staff_member_update_check(
                    actor=self.actor, member=stored, role=data["staff_role"],
                    is_active=data.get("is_active", False))
            else:
                services.staff_member_create_check(email=data["email"],
                                                   role=data["staff_role"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc
        return data

    def _post_clean(self):
        # The services validate and save; the admin only shows the instance.
        self.instance = forms.models.construct_instance(self, self.instance, self._meta.fields)


@admin.register(StaffMember, site=staff_console)
class StaffMemberAdmin(StaffSectionAdminMixin, admin.ModelAdmin):
    console_section = Section.STAFF
    form = StaffMemberForm
    list_display = ["username", "staff_role", "is_active", "must_change_password", "last_login"]
    list_filter = ["staff_role", "is_active"]
    search_fields = ["username", "email"]
    readonly_fields = ["username", "last_login", "must_change_password"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(kind=UserKind.STAFF)

    def get_fields(self, request, obj=None):
        return ["email", "staff_role", "is_active"] + (self.readonly_fields if obj else [])

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def has_delete_permission(self, request, obj=None):
        return False  # block (is_active) instead: the audit log keeps the name

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data  # checked by the form with the same service checks
        if change:
            services.staff_member_update(actor=request.user,
                                         member=StaffMember.objects.get(pk=obj.pk),
                                         role=data["staff_role"], is_active=data["is_active"])
            return
        user, password = services.staff_member_create(
            actor=request.user, email=data["email"], role=data["staff_role"],
            utility=request.tenant)
        obj.pk, obj._state.adding = user.pk, False
        messages.success(request, _("Account %(user)s created. One-time password: "
                                    "%(password)s (also sent by e-mail).")
                         % {"user": user.username, "password": password})

    def save_related(self, request, form, formsets, change):
        """Nothing related to save."""


@admin.register(StaffAuditEvent, site=staff_console)
class StaffAuditEventAdmin(ReadOnlyStaffAdminMixin, admin.ModelAdmin):
    console_section = Section.AUDIT
    list_display = ["created_at", "actor", "section", "action", "target"]
    list_filter = ["section", "action"]
    search_fields = ["actor", "target", "action"]
    readonly_fields = ["created_at", "actor", "section", "action", "target", "details"]


staff_console.add_index_panel(views.overview_panel)
staff_console.add_view("branding/", views.branding_view, "branding", views.BRANDING_TITLE,
                       Section.BRANDING)
staff_console.add_view("settings/", views.settings_view, "settings", views.SETTINGS_TITLE,
                       Section.SETTINGS)
from lk_core.staff import admin_billing  # noqa: E402,F401  (registers ExportRun)
