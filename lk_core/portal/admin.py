"""Staff console: the utility's notices on residents' dashboards and its own help pages
(the "content" section of the role table; every save is audited)."""

from __future__ import annotations

from django.contrib import admin

from lk_core.billing.versions import TenantDataAdminMixin
from lk_core.portal.models import HelpPage, Notice
from lk_core.staff.permissions import AuditedConfigAdminMixin, StaffSectionAdminMixin
from lk_core.staff.roles import Section
from lk_platform.admin_sites import staff_console


@admin.register(Notice, site=staff_console)
class NoticeAdmin(TenantDataAdminMixin, StaffSectionAdminMixin, AuditedConfigAdminMixin,
                  admin.ModelAdmin):
    console_section = Section.CONTENT
    list_display = ["title", "shown_from", "shown_until"]
    date_hierarchy = "shown_from"


@admin.register(HelpPage, site=staff_console)
class HelpPageAdmin(StaffSectionAdminMixin, AuditedConfigAdminMixin, admin.ModelAdmin):
    """Markdown, rendered and sanitised on display (lk_core/portal/help.py)."""

    console_section = Section.CONTENT
    list_display = ["title", "slug", "language", "position"]
    list_filter = ["language"]
    prepopulated_fields = {"slug": ["title"]}
