"""Role permissions for ModelAdmins of the staff console (any app's)."""

from __future__ import annotations

from lk_core.staff.roles import Action, Section, staff_can


class StaffSectionAdminMixin:
    """VIEW to see, CHANGE to add, change, delete or run actions. Put it first in the bases;
    a ModelAdmin may still narrow a method further (e.g. no change form at all)."""

    console_section: Section

    def has_module_permission(self, request):
        return staff_can(request.user, self.console_section)

    def has_view_permission(self, request, obj=None):
        return staff_can(request.user, self.console_section)

    def has_add_permission(self, request, *args):
        return staff_can(request.user, self.console_section, Action.CHANGE)

    def has_change_permission(self, request, obj=None):
        return staff_can(request.user, self.console_section, Action.CHANGE)

    def has_delete_permission(self, request, obj=None):
        return staff_can(request.user, self.console_section, Action.CHANGE)

    def get_actions(self, request):
        # Admin actions change things: a view-only role gets none of them.
        if not staff_can(request.user, self.console_section, Action.CHANGE):
            return {}
        return super().get_actions(request)


class ReadOnlyStaffAdminMixin(StaffSectionAdminMixin):
    """Rows staff of the section may see but never add, change or delete here (runs,
    events, what residents own). Put it first in the bases."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedConfigAdminMixin:
    """Saves through `config_row_save`, which writes the staff audit log. Fields named in
    `secret_fields` are write-only: never shown, kept when left empty."""

    secret_fields: tuple[str, ...] = ()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.secret_fields:
            from django import forms
            from django.utils.translation import gettext_lazy as _

            kwargs["widget"] = forms.PasswordInput(render_value=False,
                                                   attrs={"autocomplete": "new-password"})
            kwargs["help_text"] = _("Stored and never shown. Leave empty to keep the "
                                    "current value.")
            field = super().formfield_for_dbfield(db_field, request, **kwargs)
            field.required = False
            return field
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        from lk_core.staff.services import config_row_save

        if change:
            stored = type(obj).objects.get(pk=obj.pk)
            for name in self.secret_fields:
                if not form.cleaned_data.get(name):
                    setattr(obj, name, getattr(stored, name))
        config_row_save(actor=request.user, obj=obj, fields=list(form.changed_data),
                        section=self.console_section, secret_fields=self.secret_fields)

    def delete_model(self, request, obj):
        from lk_core.staff.services import config_row_delete

        config_row_delete(actor=request.user, obj=obj, section=self.console_section)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
