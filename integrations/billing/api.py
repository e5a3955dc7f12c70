"""The push adapter and export download: the integration API on a tenant's host, for the
utility's billing system, authenticated with the tenant's integration key (Bearer)."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from django.conf import settings
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.billing.base import import_run_enqueue
from lk_core.billing.models import ExportRun, ImportRun, IntegrationKey
from lk_core.billing.services import (
    export_run_create,
    export_run_rewrite,
    import_run_create,
    integration_key_authenticate,
)


class BillingSystem:
    """The caller behind an integration key; not a user of the portal."""

    is_authenticated = True
    is_active = True
    pk = None

    def __init__(self, key: IntegrationKey):
        self.key = key

    def __str__(self) -> str:
        return f"integration key {self.key.prefix}"


class IntegrationKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header."))
        key = integration_key_authenticate(plain=header[1].decode("latin-1"))
        if key is None:
            raise exceptions.AuthenticationFailed(_("Invalid integration key."))
        return BillingSystem(key), key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="integration"'


class HasIntegrationKey(BasePermission):
    message = gettext_lazy("An integration key is required.")

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, IntegrationKey)


class IntegrationView(APIView):
    authentication_classes = [IntegrationKeyAuthentication]
    permission_classes = [HasIntegrationKey]


class ImportRunOutput(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = ImportRun
        fields = ["id", "source", "status", "status_display", "checksum", "dry_run",
                  "created_at", "started_at", "finished_at", "counts", "report"]


class PackageInput(serializers.Serializer):
    package = serializers.FileField()
    dry_run = serializers.BooleanField(default=False)

    def validate_package(self, upload):
        if upload.size > settings.BILLING_UPLOAD_MAX_BYTES:
            raise serializers.ValidationError(_("The package is larger than allowed."))
        if not zipfile.is_zipfile(upload):
            raise serializers.ValidationError(_("The package must be a .zip file."))
        upload.seek(0)
        return upload


class PackagePushView(IntegrationView):
    """POST a zip (multipart field `package`): the package is stored and its import queued;
    202 with the run id and its status URL (queued, running, then the verdict)."""

    parser_classes = [MultiPartParser]

    def post(self, request):
        form = PackageInput(data=request.data)
        form.is_valid(raise_exception=True)
        run = import_run_create(source="push", package_file=form.validated_data["package"],
                                dry_run=form.validated_data["dry_run"],
                                started_by_label=str(request.user))
        import_run_enqueue(run=run)
        url = request.build_absolute_uri(reverse("billing_integration:package",
                                                 args=[run.pk]))
        return Response({"id": run.pk, "status": run.status, "status_url": url},
                        status=status.HTTP_202_ACCEPTED, headers={"Location": url})


class PackageStatusView(IntegrationView):
    def get(self, request, run_id: int):
        run = ImportRun.objects.filter(pk=run_id).first()
        if run is None:
            raise exceptions.NotFound
        return Response(ImportRunOutput(run).data)


def _zip_response(write, slug: str) -> FileResponse:
    handle = tempfile.NamedTemporaryFile(suffix=".zip")  # noqa: SIM115 - closed by response
    run = write(Path(handle.name))
    response = FileResponse(open(handle.name, "rb"), as_attachment=True,  # noqa: SIM115
                            filename=f"lk-export-{slug}-{run.pk}.zip",
                            content_type="application/zip")
    response["X-Export-Run"] = str(run.pk)
    handle.close()  # the open response keeps the data readable until it is sent
    return response


class ExportNewView(IntegrationView):
    """The rows created since the last export; moves the watermark."""

    def get(self, request):
        slug = request.tenant.slug
        return _zip_response(lambda out: export_run_create(
            out=out, tenant_slug=slug, started_by_label=str(request.user)), slug)


class ExportRangeInput(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField(required=False)


class ExportRangeView(IntegrationView):
    """Re-export of a window, e.g. ?since=2026-11-01T00:00:00Z; the watermark stays."""

    def get(self, request):
        form = ExportRangeInput(data=request.query_params)
        form.is_valid(raise_exception=True)
        slug = request.tenant.slug
        return _zip_response(lambda out: export_run_create(
            out=out, tenant_slug=slug, since=form.validated_data["since"],
            until=form.validated_data.get("until"), started_by_label=str(request.user)),
            slug)


class ExportAgainView(IntegrationView):
    """Download an earlier export's window again (for a lost download)."""

    def get(self, request, run_id: int):
        run = ExportRun.objects.filter(pk=run_id).first()
        if run is None:
            raise exceptions.NotFound
        slug = request.tenant.slug
        return _zip_response(lambda out: export_run_rewrite(run=run, out=out,
                                                            tenant_slug=slug), slug)


