"""Billing exports in the staff console: run the next export and download it, download an
earlier one again. (Import runs and uploads are integrations/billing/admin.py.) The
export itself is lk_core.billing.services; this module only calls it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lk_core.billing import services as billing_services
from lk_core.billing.models import ExportRun
from lk_core.staff.permissions import ReadOnlyStaffAdminMixin
from lk_core.staff.roles import Action, Section, staff_can
from lk_core.staff.services import actor_label, staff_audit_record
from lk_platform.admin_sites import staff_console


@admin.register(ExportRun, site=staff_console)
class ExportRunAdmin(ReadOnlyStaffAdminMixin, admin.ModelAdmin):
    """Exports for the billing system: run the next incremental one and download it, or
    download an earlier one again (its window is written anew, same rows)."""

    console_section = Section.BILLING
    list_display = ["created_at", "kind", "since", "until", "started_by_label", "rows",
                    "download"]
    list_filter = ["kind"]
    change_list_template = "staff/exportrun_change_list.html"

    @admin.display(description=gettext_lazy("Rows"))
    def rows(self, obj):
        return sum(obj.counts.values()) if obj.counts else 0

    @admin.display(description=gettext_lazy("Package"))
    def download(self, obj):
        url = reverse("staff:billing_exportrun_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    def get_urls(self):
        return [path("run/", self.admin_site.admin_view(self.run_view),
                     name="billing_exportrun_run"),
                path("<int:pk>/download/", self.admin_site.admin_view(self.download_view),
                     name="billing_exportrun_download"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        can_run = staff_can(request.user, Section.BILLING, Action.CHANGE)
        return super().changelist_view(request, {"can_run": can_run, **(extra_context or {})})

    def run_view(self, request):
        if request.method != "POST":
            return redirect("staff:billing_exportrun_changelist")
        if not staff_can(request.user, Section.BILLING, Action.CHANGE):
            raise PermissionDenied
        out = _export_file()
        run = billing_services.export_run_create(out=out, tenant_slug=request.tenant.slug,
                                                 started_by_label=actor_label(request.user))
        staff_audit_record(actor=request.user, section=Section.BILLING,
                           action="billing_export_run", target=f"#{run.pk}",
                           details={"rows": self.rows(run)})
        return _zip_response(out, run)

    def download_view(self, request, pk):
        if not staff_can(request.user, Section.BILLING):
            raise PermissionDenied
        run = get_object_or_404(ExportRun, pk=pk)
        out = _export_file()
        billing_services.export_run_rewrite(run=run, out=out, tenant_slug=request.tenant.slug)
        return _zip_response(out, run)


def _export_file() -> Path:
    handle, name = tempfile.mkstemp(prefix="lk-export-", suffix=".zip")
    os.close(handle)
    return Path(name)


def _zip_response(path: Path, run: ExportRun) -> FileResponse:
    """Stream the package and remove the temporary file once it is read."""
    handle = path.open("rb")
    path.unlink()  # the open handle keeps the data until the response is closed
    return FileResponse(handle, as_attachment=True, content_type="application/zip",
                        filename=f"lk-export-{run.pk}-{run.until:%Y%m%d-%H%M}.zip")
