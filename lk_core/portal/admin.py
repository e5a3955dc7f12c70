"""Staff console: the utility's notices on residents' dashboards and its own help pages."""

from __future__ import annotations

from django.contrib import admin

from lk_core.billing.versions import TenantDataAdminMixin
from lk_core.portal.models import HelpPage, Notice
from lk_platform.admin_sites import staff_console


@admin.register(Notice, site=staff_console)
class NoticeAdmin(TenantDataAdminMixin, admin.ModelAdmin):
    list_display = ["title", "shown_from", "shown_until"]
    date_hierarchy = "shown_from"


@admin.register(HelpPage, site=staff_console)
class HelpPageAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "language", "position"]
    list_filter = ["language"]
    prepopulated_fields = {"slug": ["title"]}
