"""Billing data in the staff console: import runs with their reports and uploading a
package. The import itself is lk_core.billing.services; this module only calls it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lk_core.billing import services as billing_services
from lk_core.billing.models import ExportRun, ImportRun
from lk_core.staff.permissions import StaffSectionAdminMixin
from lk_core.staff.roles import Action, Section, staff_can
from lk_core.staff.services import actor_label, staff_audit_record
from lk_platform.admin_sites import staff_console


class PackageUploadForm(forms.Form):
    package = forms.FileField(label=gettext_lazy("Billing package (.zip)"),
                              widget=forms.ClearableFileInput(attrs={"accept": ".zip"}))
    dry_run = forms.BooleanField(label=gettext_lazy("Only check it (dry run)"),
                                 required=False)

    def clean_package(self):
        upload = self.cleaned_data["package"]
        if not upload.name.lower().endswith(".zip"):
            raise forms.ValidationError(_("Upload the package as a .zip file."))
        return upload


@admin.register(ImportRun, site=staff_console)
class ImportRunAdmin(StaffSectionAdminMixin, admin.ModelAdmin):
    console_section = Section.BILLING
    list_display = ["created_at", "source", "status", "dry_run", "started_by_label",
                    "changes", "problems", "duration"]
    list_filter = ["status", "source", "dry_run"]
    fields = ["created_at", "source", "source_detail", "started_by_label", "status",
              "dry_run", "checksum", "started_at", "finished_at", "report_html"]
    readonly_fields = fields
    change_list_template = "staff/importrun_change_list.html"

    def has_add_permission(self, request, *args):
        return False  # runs are made by uploads, pushes and pulls

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("Changes"))
    def changes(self, obj):
        return obj.report.get("changes", "")

    @admin.display(description=gettext_lazy("Problems"))
    def problems(self, obj):
        return (obj.report.get("problems") or {}).get("total", "")

    @admin.display(description=gettext_lazy("Duration, s"))
    def duration(self, obj):
        seconds = obj.duration_seconds
        return "" if seconds is None else f"{seconds:.1f}"

    @admin.display(description=gettext_lazy("Report"))
    def report_html(self, obj):
        return render_to_string("staff/import_report.html", {"report": obj.report})

    def get_urls(self):
        return [path("upload/", self.admin_site.admin_view(self.upload_view),
                     name="billing_importrun_upload"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        can_upload = staff_can(request.user, Section.BILLING, Action.CHANGE)
        return super().changelist_view(request, {"can_upload": can_upload,
                                                 **(extra_context or {})})

    def upload_view(self, request):
        if not staff_can(request.user, Section.BILLING, Action.CHANGE):
            raise PermissionDenied
        form = PackageUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            run = self._import(request, form.cleaned_data)
            level = messages.SUCCESS if run.status in ("succeeded", "dry_run") else messages.ERROR
            messages.add_message(request, level, run.report.get("message") or
                                 run.get_status_display())
            return redirect("staff:billing_importrun_change", run.pk)
        return TemplateResponse(request, "staff/import_upload.html", {
            **self.admin_site.each_context(request), "form": form, "opts": self.opts,
            "title": _("Upload a billing package")})

    @staticmethod
    def _import(request, data) -> ImportRun:
        run = billing_services.import_run_create(
            source="upload", package_file=data["package"], source_detail=data["package"].name,
            started_by=request.user, started_by_label=actor_label(request.user),
            dry_run=data["dry_run"])
        staff_audit_record(actor=request.user, section=Section.BILLING,
                           action="billing_package_uploaded", target=f"#{run.pk}",
                           details={"file": data["package"].name, "dry_run": data["dry_run"]})
        return billing_services.import_run_execute(run=run)


@admin.register(ExportRun, site=staff_console)
class ExportRunAdmin(StaffSectionAdminMixin, admin.ModelAdmin):
    """Exports for the billing system: run the next incremental one and download it, or
    download an earlier one again (its window is written anew, same rows)."""

    console_section = Section.BILLING
    list_display = ["created_at", "kind", "since", "until", "started_by_label", "rows",
                    "download"]
    list_filter = ["kind"]
    change_list_template = "staff/exportrun_change_list.html"

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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
