"""Staff see the outbox (failures first), edit texts and settings, in the staff console."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lk_core.identity.selectors import user_label
from lk_core.notifications.models import (
    MessageTemplate,
    Notification,
    NotificationSettings,
    Status,
)
from lk_core.notifications.services import notifications_retry
from lk_core.staff.permissions import AuditedConfigAdminMixin, StaffSectionAdminMixin
from lk_core.staff.roles import Section
from lk_platform.admin_sites import staff_console


@admin.register(Notification, site=staff_console)
class NotificationAdmin(StaffSectionAdminMixin, admin.ModelAdmin):
    console_section = Section.RESIDENTS  # messages to residents; customer service retries
    list_display = ["created_at", "kind", "channel", "recipient", "status", "attempts",
                    "next_attempt_at", "last_error"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["recipient", "batch_key", "account__number"]
    date_hierarchy = "created_at"
    # context: may hold a password until the message is final; user: shown as the
    # resident's account and holder, not the login's technical user name.
    exclude = ["context", "user"]
    readonly_fields = [("resident" if f.name == "user" else f.name)
                       for f in Notification._meta.fields if f.name != "context"]
    actions = ["retry_now"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("resident"))
    def resident(self, obj) -> str:
        return user_label(obj.user, account=obj.account)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Retry the selected failed notifications now"))
    def retry_now(self, request, queryset):
        count = notifications_retry(notification_ids=list(
            queryset.filter(status=Status.FAILED).values_list("pk", flat=True)))
        self.message_user(request, ngettext("%(count)d notification queued again.",
                                            "%(count)d notifications queued again.",
                                            count) % {"count": count}, messages.SUCCESS)


@admin.register(MessageTemplate, site=staff_console)
class MessageTemplateAdmin(AuditedConfigAdminMixin, StaffSectionAdminMixin, admin.ModelAdmin):
    console_section = Section.CONTENT
    list_display = ["kind", "email_subject", "sms_text"]


@admin.register(NotificationSettings, site=staff_console)
class NotificationSettingsAdmin(AuditedConfigAdminMixin, StaffSectionAdminMixin,
                                admin.ModelAdmin):
    console_section = Section.SETTINGS
    secret_fields = ("sms_secret",)
    list_display = ["__str__", "sms_enabled", "sms_provider", "debt_reminders_enabled"]

    def has_add_permission(self, request) -> bool:
        return (super().has_add_permission(request)
                and not NotificationSettings.objects.exists())
