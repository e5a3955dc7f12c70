"""The push adapter and export download on the integration API, the staff upload, and the
integration key: a key works only on its own tenant's host."""

from __future__ import annotations

import http.client
import io
import json
import uuid
import zipfile
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from lk_core.billing.models import ImportRun, ImportStatus
from lk_core.billing.services import contact_change_record, integration_key_rotate
from lk_core.users.models import User
from tests.billing.conftest import ENSKVODA, TEPLOSET, table_counts, zip_dir
from tests.conftest import staff_login

PACKAGES = "/api/v1/integration/packages/"


@pytest.fixture
def key_a(utility_a, in_schema):
    with in_schema(utility_a):
        return integration_key_rotate()[1]


@pytest.fixture
def enskvoda_zip(tmp_path):
    return zip_dir(ENSKVODA, tmp_path / "enskvoda.zip")


@pytest.fixture
def worker(django_capture_on_commit_callbacks):
    """Pushes inside `with worker() as queued:` leave their tasks in `queued` (the test's
    transaction never commits); calling them is what the worker would do after commit."""
    return lambda: django_capture_on_commit_callbacks(execute=False)


def _push(client, key, path, **extra):
    """Push a package and let the in-process engine run the queued import (after commit)."""
    with open(path, "rb") as package, _run_on_commit():
        return client.post(PACKAGES, {"package": package, **extra},
                           HTTP_AUTHORIZATION=f"Bearer {key}")


def _run_on_commit():
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def _status(client, key, run_id) -> dict:
    response = client.get(f"{PACKAGES}{run_id}/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200, response.content
    return response.json()


def test_push_stores_the_package_and_queues_its_import(client_a, key_a, utility_a,
                                                       in_schema, enskvoda_zip, worker):
    with worker() as queued, open(enskvoda_zip, "rb") as package:
        response = client_a.post(PACKAGES, {"package": package},
                                 HTTP_AUTHORIZATION=f"Bearer {key_a}")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == ImportStatus.QUEUED
    assert body["status_url"].endswith(f"{PACKAGES}{body['id']}/")
    assert response["Location"] == body["status_url"]
    assert len(queued) == 1
    # Nothing is imported in the request: the package waits, stored with its run.
    status = client_a.get(urlsplit(body["status_url"]).path,
                          HTTP_AUTHORIZATION=f"Bearer {key_a}").json()
    assert (status["status"], status["counts"]) == (ImportStatus.QUEUED, {})
    with in_schema(utility_a):
        run = ImportRun.objects.get(pk=body["id"])
        assert run.source == "push" and run.package.storage.exists(run.package.name)
        assert table_counts()["Account"] == 0
    queued[0]()  # the worker
    status = _status(client_a, key_a, body["id"])
    assert status["status"] == ImportStatus.SUCCEEDED
    assert status["counts"]["accounts.csv"]["created"] == 60
    assert status["report"]["changes"] > 0
    with in_schema(utility_a):
        assert table_counts()["Account"] == 60


def test_status_is_running_while_the_task_imports(client_a, key_a, utility_a, in_schema,
                                                  enskvoda_zip, worker, monkeypatch):
    from lk_core.billing import services

    seen, real_import = [], services.package_import

    def watching_import(**kwargs):
        seen.append(ImportRun.objects.get().status)
        return real_import(**kwargs)

    monkeypatch.setattr(services, "package_import", watching_import)
    with worker() as queued, open(enskvoda_zip, "rb") as package:
        run_id = client_a.post(PACKAGES, {"package": package},
                               HTTP_AUTHORIZATION=f"Bearer {key_a}").json()["id"]
    queued[0]()
    assert seen == [ImportStatus.RUNNING]
    assert _status(client_a, key_a, run_id)["status"] == ImportStatus.SUCCEEDED


def test_queued_import_runs_once_however_often_the_task_is_delivered(
        client_a, key_a, utility_a, in_schema, enskvoda_zip, worker):
    from lk_core.billing.services import import_run_execute_queued

    with worker() as queued, open(enskvoda_zip, "rb") as package:
        run_id = client_a.post(PACKAGES, {"package": package},
                               HTTP_AUTHORIZATION=f"Bearer {key_a}").json()["id"]
    queued[0]()
    with in_schema(utility_a):
        finished = ImportRun.objects.get(pk=run_id).finished_at
        assert import_run_execute_queued(run_id=run_id, wait_seconds=0) == \
            ImportStatus.SUCCEEDED
        assert ImportRun.objects.get(pk=run_id).finished_at == finished
        assert import_run_execute_queued(run_id=run_id + 1000, wait_seconds=0) == "missing"


def test_failed_import_reported_at_status_url(client_a, key_a, utility_a, enskvoda_zip,
                                              monkeypatch):
    from lk_core.billing import services

    def broken_import(**kwargs):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(services, "package_import", broken_import)
    run_id = _push(client_a, key_a, enskvoda_zip).json()["id"]
    status = _status(client_a, key_a, run_id)
    assert status["status"] == ImportStatus.FAILED
    assert "RuntimeError" in status["report"]["message"]


def test_status_of_another_tenants_run_is_not_found(client_a, key_a, client_b, utility_b,
                                                    in_schema, enskvoda_zip):
    run_id = _push(client_a, key_a, enskvoda_zip).json()["id"]
    with in_schema(utility_b):
        key_b = integration_key_rotate()[1]
    assert client_b.get(f"{PACKAGES}{run_id}/", HTTP_AUTHORIZATION=f"Bearer {key_b}"
                        ).status_code == 404


def test_tenant_a_key_is_refused_on_tenant_b(client_b, key_a, utility_b, in_schema,
                                             enskvoda_zip):
    response = _push(client_b, key_a, enskvoda_zip)
    assert response.status_code == 401
    assert client_b.get(f"{PACKAGES}1/", HTTP_AUTHORIZATION=f"Bearer {key_a}"
                        ).status_code == 401
    assert client_b.get("/api/v1/integration/exports/new/",
                        HTTP_AUTHORIZATION=f"Bearer {key_a}").status_code == 401
    with in_schema(utility_b):
        assert table_counts()["Account"] == 0
        assert not ImportRun.objects.exists()


def test_missing_wrong_and_rotated_keys_are_refused(client_a, key_a, utility_a, in_schema,
                                                    enskvoda_zip):
    assert client_a.post(PACKAGES).status_code == 401
    assert _push(client_a, "lki_deadbeef_nope", enskvoda_zip).status_code == 401
    assert _push(client_a, key_a + "x", enskvoda_zip).status_code == 401
    with in_schema(utility_a):
        new_key = integration_key_rotate()[1]
    assert _push(client_a, key_a, enskvoda_zip).status_code == 401
    assert _push(client_a, new_key, enskvoda_zip).status_code == 202


def test_bad_upload_is_a_400_with_field_errors(client_a, key_a, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    response = _push(client_a, key_a, junk)
    assert response.status_code == 400
    assert "package" in response.json()
    response = client_a.post(PACKAGES, {}, HTTP_AUTHORIZATION=f"Bearer {key_a}")
    assert response.status_code == 400 and "package" in response.json()


def test_rejected_package_reported_at_status_url(client_a, key_a, tmp_path, enskvoda_copy):
    (enskvoda_copy / "payments.csv").write_text(
        "payment_id,account_number,paid_on,amount,channel\nX1,999,2026-01-01,1.00,bank\n",
        encoding="utf-8")
    body = _push(client_a, key_a, zip_dir(enskvoda_copy, tmp_path / "bad.zip")).json()
    status = client_a.get(f"{PACKAGES}{body['id']}/", HTTP_AUTHORIZATION=f"Bearer {key_a}"
                          ).json()
    assert status["status"] == ImportStatus.REJECTED
    (problem,) = status["report"]["problems"]["first"]
    assert (problem["file"], problem["line"], problem["kind"]) == \
        ("payments.csv", 2, "unknown_account")


def test_export_download_once_then_again_by_id(client_a, key_a, utility_a, in_schema,
                                               settings):
    settings.BILLING_EXPORT_SETTLE_SECONDS = 0
    with in_schema(utility_a):
        contact_change_record(account_number="100000001", email="new@example.org")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key_a}"}
    first = client_a.get("/api/v1/integration/exports/new/", **auth)
    assert first.status_code == 200 and first["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(first.streaming_content)))
    assert "new@example.org" in archive.read("contacts.csv").decode()
    second = client_a.get("/api/v1/integration/exports/new/", **auth)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(second.streaming_content)))
    assert archive.read("contacts.csv").decode().count("\n") == 1  # the header only
    again = client_a.get(f"/api/v1/integration/exports/{first['X-Export-Run']}/", **auth)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(again.streaming_content)))
    assert "new@example.org" in archive.read("contacts.csv").decode()
    bad = client_a.get("/api/v1/integration/exports/range/?since=yesterday", **auth)
    assert bad.status_code == 400 and "since" in bad.json()


def test_staff_upload_in_the_console(client_a, utility_a, in_schema):
    staff = staff_login(client_a, utility_a, "admin@alpha.test")
    page = client_a.get("/staff/billing/importrun/upload/")
    assert page.status_code == 200
    with open(TEPLOSET, "rb") as package:
        response = client_a.post("/staff/billing/importrun/upload/", {"package": package})
    assert response.status_code == 302
    with in_schema(utility_a):
        run = ImportRun.objects.get()
        assert (run.source, run.started_by, run.status) == ("upload", staff,
                                                           ImportStatus.SUCCEEDED)
        assert table_counts()["Account"] == 25
    detail = client_a.get(f"/staff/billing/importrun/{run.pk}/change/")
    assert detail.status_code == 200 and "charges.csv" in detail.content.decode()
    junk = client_a.post("/staff/billing/importrun/upload/",
                         {"package": io.BytesIO(b"nope")})
    assert junk.status_code == 200 and "zip" in junk.content.decode()


def test_staff_upload_needs_staff(client_a, utility_a, in_schema):
    with in_schema(utility_a):
        resident = User.objects.create_user(username="bob", password="x", kind="resident")
        client_a.force_login(resident)
    response = client_a.get("/staff/billing/importrun/upload/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def _multipart(field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
            f"filename=\"{filename}\"\r\nContent-Type: application/zip\r\n\r\n").encode() \
        + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_push_over_real_http(committed_tenant, django_db_blocker, live_server_url,
                             enskvoda_zip):
    """The billing system's view: a real HTTP POST to the running server (gunicorn)."""
    port = urlsplit(live_server_url.format(host="x")).port
    with django_db_blocker.unblock():
        host = f"{committed_tenant.get_primary_domain().domain}:{port}"
        with schema_context(committed_tenant.schema_name):
            key = integration_key_rotate()[1]
        connection.close()
    body, content_type = _multipart("package", "enskvoda.zip", enskvoda_zip.read_bytes())
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("POST", PACKAGES, body=body, headers={
        "Host": host, "Content-Type": content_type, "Authorization": f"Bearer {key}"})
    response = conn.getresponse()
    answer = json.loads(response.read())
    assert response.status == 202, answer
    assert answer["status"] == ImportStatus.QUEUED
    conn.request("GET", urlsplit(answer["status_url"]).path,
                 headers={"Host": host, "Authorization": f"Bearer {key}"})
    status = json.loads(conn.getresponse().read())
    conn.close()
    assert status["status"] == ImportStatus.SUCCEEDED, status
    assert status["counts"]["accounts.csv"]["created"] == 60
    with django_db_blocker.unblock(), schema_context(committed_tenant.schema_name):
        run = ImportRun.objects.get(pk=answer["id"])
        assert run.source == "push" and table_counts()["Account"] == 60
        connection.close()
