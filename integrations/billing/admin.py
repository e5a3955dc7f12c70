"""The staff console's view of the billing exchange, and the upload adapter: staff upload
a package zip, which goes to the same core importer as every other adapter."""

from __future__ import annotations

import zipfile

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations.billing.base import import_run_dispatch
from lk_core.billing.models import ImportRun, IntegrationKey, PullSource
from lk_core.billing.services import import_run_create, integration_key_rotate
from lk_core.staff.permissions import (
    AuditedConfigAdminMixin,
    ReadOnlyStaffAdminMixin,
    StaffSectionAdminMixin,
)
from lk_core.staff.roles import Action, Section, staff_can
from lk_core.staff.services import actor_label, staff_audit_record
from lk_platform.admin_sites import staff_console
from tenants.urls import utility_url


class PackageUploadForm(forms.Form):
    package = forms.FileField(label=gettext_lazy("Package (.zip)"))
    dry_run = forms.BooleanField(label=gettext_lazy("Only check, do not apply"),
                                 required=False)

    def clean_package(self):
        upload = self.cleaned_data["package"]
        if not zipfile.is_zipfile(upload):
            raise forms.ValidationError(_("The package must be a .zip file."))
        upload.seek(0)
        return upload


class ReadOnlyAdmin(ReadOnlyStaffAdminMixin, admin.ModelAdmin):
    console_section = Section.BILLING


@admin.register(ImportRun, site=staff_console)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "source", "status", "dry_run", "started_by_label",
                    "duration"]
    list_filter = ["status", "source"]
    fields = ["source", "source_detail", "started_by_label", "checksum",
              "dry_run", "status", "created_at", "started_at", "finished_at", "message",
              "counts_table", "problems_table"]
    readonly_fields = fields
    change_list_template = "billing_integration/importrun_changelist.html"

    @admin.display(description=gettext_lazy("duration, s"))
    def duration(self, run: ImportRun):
        return f"{run.duration_seconds:.1f}" if run.duration_seconds is not None else "—"

    @admin.display(description=gettext_lazy("message"))
    def message(self, run: ImportRun):
        return run.report.get("message", "")

    @admin.display(description=gettext_lazy("counts per file"))
    def counts_table(self, run: ImportRun):
        rows = [(name, c["rows"], c["created"], c["updated"], c["unchanged"],
                 c.get("deleted", 0)) for name, c in run.counts.items()]
        return format_html("<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}"
                           "</th><th>{}</th></tr>{}</table>", _("file"), _("rows"),
                           _("created"), _("updated"), _("unchanged"), _("deleted"),
                           format_html_join("", "<tr>" + "<td>{}</td>" * 6 + "</tr>", rows))

    @admin.display(description=gettext_lazy("problems"))
    def problems_table(self, run: ImportRun):
        problems = run.report.get("problems") or {}
        if not problems.get("total"):
            return "—"
        kinds = ", ".join(f"{k}: {n}" for k, n in problems["by_kind"].items())
        rows = [(p["file"], p["line"], p["column"], p["value"], p["message"])
                for p in problems["first"]]
        return format_html("<p>{} ({})</p><table>{}</table>", problems["total"], kinds,
                           format_html_join("", "<tr>" + "<td>{}</td>" * 5 + "</tr>", rows))

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
            run = import_run_create(source="upload", package_file=form.cleaned_data["package"],
                                    dry_run=form.cleaned_data["dry_run"],
                                    started_by=request.user,
                                    started_by_label=actor_label(request.user),
                                    source_detail=form.cleaned_data["package"].name)
            staff_audit_record(actor=request.user, section=Section.BILLING,
                               action="billing_package_uploaded", target=f"#{run.pk}",
                               details={"file": form.cleaned_data["package"].name,
                                        "dry_run": form.cleaned_data["dry_run"]})
            run = import_run_dispatch(run=run, wait_seconds=0)
            messages.info(request, run.report.get("message", run.get_status_display()))
            return redirect(reverse("staff:billing_importrun_change", args=[run.pk]))
        context = {**self.admin_site.each_context(request), "form": form,
                   "opts": self.model._meta, "title": _("Upload a billing package")}
        return TemplateResponse(request, "billing_integration/upload.html", context)


# ExportRun: lk_core/staff/admin_billing.py (run an export, download it).


@admin.register(IntegrationKey, site=staff_console)
class IntegrationKeyAdmin(ReadOnlyAdmin):
    """Keys are never shown after they are issued: rotating shows the new one once."""

    console_section = Section.INTEGRATION
    list_display = ["prefix", "created_at", "last_used_at", "revoked_at"]
    fields = list_display
    change_list_template = "billing_integration/integrationkey_changelist.html"

    def get_urls(self):
        return [path("rotate/", self.admin_site.admin_view(self.rotate_view),
                     name="billing_integrationkey_rotate"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {
            "can_rotate": staff_can(request.user, Section.INTEGRATION, Action.CHANGE),
            "push_url": utility_url(request.tenant, "/api/v1/integration/"),
            **(extra_context or {})})

    def rotate_view(self, request):
        if request.method != "POST":
            return redirect("staff:billing_integrationkey_changelist")
        if not staff_can(request.user, Section.INTEGRATION, Action.CHANGE):
            raise PermissionDenied
        key, plain = integration_key_rotate()
        staff_audit_record(actor=request.user, section=Section.INTEGRATION,
                           action="integration_key_rotated", target=key.prefix)
        return TemplateResponse(request, "billing_integration/integrationkey_new.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": _("New integration key"), "key": plain,
            "push_url": utility_url(request.tenant, "/api/v1/integration/")})


@admin.register(PullSource, site=staff_console)
class PullSourceAdmin(AuditedConfigAdminMixin, StaffSectionAdminMixin, admin.ModelAdmin):
    console_section = Section.INTEGRATION
    secret_fields = ("auth_header",)
    list_display = ["url", "enabled", "last_checked_at", "last_run"]
    fields = ["url", "enabled", "auth_header", "last_checked_at", "last_etag", "last_run"]
    readonly_fields = ["last_checked_at", "last_etag", "last_run"]
    # A URL typed without a scheme means https (Django 6's default; said now, not warned).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
