"""Billing data in the staff console: upload a package, read the run's report; by role."""

from __future__ import annotations

import shutil

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from lk_core.billing.models import Account, ImportRun
from lk_core.staff.models import StaffAuditEvent
from tests.billing.conftest import ENSKVODA, set_field, zip_dir
from tests.consoles.conftest import ROLES

UPLOAD = "/staff/billing/importrun/upload/"
LIST = "/staff/billing/importrun/"
ALLOWED_UPLOAD = {"admin"}
ALLOWED_LIST = {"admin", "operator", "readonly"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def package_upload(tmp_path, directory=ENSKVODA) -> SimpleUploadedFile:
    archive = zip_dir(directory, tmp_path / "package.zip")
    return SimpleUploadedFile("enskvoda-2026-11.zip", archive.read_bytes(),
                              content_type="application/zip")


@pytest.mark.parametrize("role", ROLES)
def test_who_may_list_and_upload(role, utility_a, staff_of, tmp_path):
    client = staff_of(utility_a, role)
    assert client.get(LIST).status_code == (200 if role in ALLOWED_LIST else 403)
    response = client.post(UPLOAD, {"package": package_upload(tmp_path)})
    assert response.status_code == (302 if role in ALLOWED_UPLOAD else 403)
    with schema_context(utility_a.schema_name):
        assert ImportRun.objects.exists() is (role in ALLOWED_UPLOAD)


def test_upload_imports_the_package_and_shows_the_report(utility_a, utility_b, staff_of,
                                                         tmp_path):
    client = staff_of(utility_a, "admin")
    response = client.post(UPLOAD, {"package": package_upload(tmp_path)}, follow=True)
    page = response.content.decode()
    with schema_context(utility_a.schema_name):
        run = ImportRun.objects.get()
        assert run.status == "succeeded" and run.source == "upload"
        assert run.started_by_label == "staff:role-admin@alpha.test"
        assert Account.objects.count() > 0
        assert StaffAuditEvent.objects.filter(action="billing_package_uploaded").exists()
    assert run.report["message"] in page
    assert "accounts.csv" in page
    with schema_context(utility_b.schema_name):
        assert not ImportRun.objects.exists() and not Account.objects.exists()
    other = staff_of(utility_b, "admin")
    assert other.get(f"{LIST}{run.pk}/change/").status_code == 302  # not found in B


def test_import_report_labels_are_all_translated(utility_a, staff_of, tmp_path):
    client = staff_of(utility_a, "admin")
    page = client.post(UPLOAD, {"package": package_upload(tmp_path)}, follow=True,
                       HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Кем запущен" in page and "staff:role-admin@alpha.test" in page
    assert "Started by" not in page  # the user link had no translated label


def test_a_bad_package_is_rejected_with_its_problems_and_changes_nothing(
        utility_a, staff_of, tmp_path):
    package = tmp_path / "enskvoda"
    shutil.copytree(ENSKVODA, package)
    set_field(package / "accounts.csv", 2, "area_m2", "много")
    client = staff_of(utility_a, "admin")
    response = client.post(UPLOAD, {"package": package_upload(tmp_path, package)},
                           follow=True)
    page = response.content.decode()
    with schema_context(utility_a.schema_name):
        run = ImportRun.objects.get()
        assert run.status == "rejected" and not Account.objects.exists()
    assert "accounts.csv" in page and "area_m2" in page


def test_not_a_zip_is_a_form_error(utility_a, staff_of):
    client = staff_of(utility_a, "admin")
    response = client.post(UPLOAD, {"package": SimpleUploadedFile("x.txt", b"hello")})
    assert response.status_code == 200 and b"errorlist" in response.content
    with schema_context(utility_a.schema_name):
        assert not ImportRun.objects.exists()


def _zip_names(response) -> list[str]:
    import io
    import zipfile

    data = b"".join(response.streaming_content)
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_run_an_export_download_it_and_download_it_again(utility_a, staff_of):
    from lk_core.billing.models import ExportRun

    client = staff_of(utility_a, "admin")
    response = client.post("/staff/billing/exportrun/run/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    names = _zip_names(response)
    assert "manifest.json" in names
    with schema_context(utility_a.schema_name):
        run = ExportRun.objects.get()
        assert run.started_by_label == "staff:role-admin@alpha.test"
        assert StaffAuditEvent.objects.filter(action="billing_export_run").exists()
    again = client.get(f"/staff/billing/exportrun/{run.pk}/download/")
    assert again.status_code == 200 and _zip_names(again) == names
    listing = client.get("/staff/billing/exportrun/").content.decode()
    assert f"/staff/billing/exportrun/{run.pk}/download/" in listing


def test_export_by_role_and_tenant(utility_a, utility_b, staff_of):
    from lk_core.billing.models import ExportRun

    assert staff_of(utility_a, "dispatcher").post(
        "/staff/billing/exportrun/run/").status_code == 403
    assert staff_of(utility_a, "readonly").post(
        "/staff/billing/exportrun/run/").status_code == 403
    with schema_context(utility_a.schema_name):
        assert not ExportRun.objects.exists()
    staff_of(utility_a, "admin").post("/staff/billing/exportrun/run/")
    with schema_context(utility_a.schema_name):
        run = ExportRun.objects.get()
    other = staff_of(utility_b, "admin")
    assert other.get(f"/staff/billing/exportrun/{run.pk}/download/").status_code == 404
    reader = staff_of(utility_a, "operator")  # customer service may download, not run
    assert reader.get(f"/staff/billing/exportrun/{run.pk}/download/").status_code == 200


def test_integration_key_rotation_shows_the_key_once_and_is_audited(utility_a, utility_b,
                                                                    staff_of):
    from lk_core.billing.services import integration_key_authenticate

    client = staff_of(utility_a, "admin")
    listing = client.get("/staff/billing/integrationkey/").content.decode()
    from tenants.urls import utility_url

    assert utility_url(utility_a, "/api/v1/integration/") in listing  # the push URL
    page = client.post("/staff/billing/integrationkey/rotate/").content.decode()
    key = page.split('class="secret">', 1)[1].split("<", 1)[0]
    with schema_context(utility_a.schema_name):
        assert integration_key_authenticate(plain=key) is not None
        assert StaffAuditEvent.objects.filter(action="integration_key_rotated").exists()
        assert key not in str(list(StaffAuditEvent.objects.values_list("details", flat=True)))
    with schema_context(utility_b.schema_name):
        assert integration_key_authenticate(plain=key) is None
    assert key not in client.get("/staff/billing/integrationkey/").content.decode()
    client.post("/staff/billing/integrationkey/rotate/")
    with schema_context(utility_a.schema_name):
        assert integration_key_authenticate(plain=key) is None  # the old key stops working


def test_only_administrators_see_or_rotate_keys(utility_a, staff_of):
    from lk_core.billing.models import IntegrationKey

    for role in ("dispatcher", "operator", "readonly"):
        client = staff_of(utility_a, role)
        assert client.get("/staff/billing/integrationkey/").status_code == 403, role
        assert client.post("/staff/billing/integrationkey/rotate/").status_code == 403, role
    with schema_context(utility_a.schema_name):
        assert not IntegrationKey.objects.exists()


def test_pull_url_with_a_write_only_secret_is_audited(utility_a, staff_of):
    from lk_core.billing.models import PullSource

    client = staff_of(utility_a, "admin")
    response = client.post("/staff/billing/pullsource/add/", {
        "url": "https://billing.alpha.test/lk/package.zip", "enabled": "on",
        "auth_header": "Bearer pull-secret-123"})
    assert response.status_code == 302
    with schema_context(utility_a.schema_name):
        source = PullSource.objects.get()
        assert source.auth_header == "Bearer pull-secret-123"
        event = StaffAuditEvent.objects.get(action="pullsource_changed")
        assert event.details["auth_header"]["to"] == "••••"
        assert "pull-secret-123" not in str(event.details)
    page = client.get(f"/staff/billing/pullsource/{source.pk}/change/").content.decode()
    assert "pull-secret-123" not in page
