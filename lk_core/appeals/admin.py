"""Staff console: appeal categories with their routing, and the appeals desk."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from lk_core.appeals import services
from lk_core.appeals.models import Appeal, AppealCategory, AppealEvent, AppealStatus
from lk_core.billing.versions import TenantDataAdminMixin
from lk_platform.admin_sites import staff_console


@admin.register(AppealCategory, site=staff_console)
class AppealCategoryAdmin(TenantDataAdminMixin, admin.ModelAdmin):  # names on dashboards
    list_display = ["name", "destination", "department", "is_emergency", "is_active",
                    "position"]
    list_editable = ["position", "is_active"]
    list_filter = ["destination", "is_emergency", "is_active"]


class AppealEventInline(admin.TabularInline):
    model = AppealEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "author", "status", "text"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class AppealReplyForm(forms.ModelForm):
    reply = forms.CharField(label=_("Reply to the resident"), widget=forms.Textarea,
                            required=False)
    new_status = forms.ChoiceField(label=_("Status after the reply"),
                                   choices=AppealStatus.choices, initial=AppealStatus.ANSWERED)

    class Meta:
        model = Appeal
        fields: list[str] = []


@admin.register(Appeal, site=staff_console)
class AppealAdmin(admin.ModelAdmin):
    form = AppealReplyForm
    list_display = ["pk", "created_at", "category", "destination", "department",
                    "is_emergency", "status", "account"]
    list_filter = ["status", "destination", "is_emergency", "category"]
    search_fields = ["account__number", "text"]
    readonly_fields = ["account", "author", "category", "destination", "department",
                       "is_emergency", "text", "status", "created_at", "closed_at"]
    inlines = [AppealEventInline]
    list_select_related = ["category", "account"]

    def has_add_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        # The desk only replies or moves the status, through the same services as the API.
        reply, status = form.cleaned_data.get("reply"), form.cleaned_data.get("new_status")
        if reply:
            services.appeal_reply_by_staff(appeal=obj, staff_user=request.user, text=reply,
                                           status=status)
        elif status and status != obj.status:
            services.appeal_set_status(appeal=obj, staff_user=request.user, status=status)
