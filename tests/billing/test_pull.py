"""The scheduled pull against a real HTTP server on 127.0.0.1: imports a new package,
skips an unchanged one by ETag or by checksum, reports server failures as typed errors,
and runs from the scheduler's fan-out for the tenants that have a pull URL."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from integrations.billing.pull import billing_pull_tenant
from lk_core.billing.interfaces import PullError
from lk_core.billing.models import ImportRun, ImportStatus, PullSource
from lk_platform.scheduler import registered_jobs, scheduler_tick
from tests.billing.conftest import ENSKVODA, TEPLOSET, table_counts, zip_dir
from tests.tasks.conftest import tasks_setting

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class LocalServer:
    """A threaded HTTP server on a free port of 127.0.0.1; subclasses give the handler."""

    def serve(self, handler, path: str = "/package.zip") -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}{path}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class PackageServer(LocalServer):
    """Serves `self.body` at /package.zip; honours If-None-Match unless told not to."""

    def __init__(self):
        self.body, self.use_etag, self.fail_with = b"", True, None
        self.requests: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.requests.append(dict(self.headers))
                if owner.fail_with:
                    self.send_response(owner.fail_with)
                    self.end_headers()
                    return
                etag = f'"{hashlib.sha256(owner.body).hexdigest()[:16]}"'
                if owner.use_etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/zip")
                self.send_header("Content-Length", str(len(owner.body)))
                if owner.use_etag:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(owner.body)

            def log_message(self, *args):
                pass

        self.serve(Handler)


@pytest.fixture
def server():
    server = PackageServer()
    yield server
    server.stop()


def test_pull_imports_then_skips_unchanged(in_tenant_a, server, tmp_path, utility_b,
                                           in_schema):
    server.body = zip_dir(ENSKVODA, tmp_path / "p.zip").read_bytes()
    source = PullSource.objects.create(url=server.url, auth_header="Bearer secret-token")

    (run,) = billing_pull_tenant(in_tenant_a)
    assert run.status == ImportStatus.SUCCEEDED and run.source == "pull"
    assert server.requests[0]["Authorization"] == "Bearer secret-token"
    assert table_counts()["Account"] == 60

    assert billing_pull_tenant(in_tenant_a) == [None]  # 304 for our ETag
    source.refresh_from_db()
    assert server.requests[1]["If-None-Match"] == source.last_etag
    server.use_etag = False
    assert billing_pull_tenant(in_tenant_a) == [None]  # 200, but the same bytes
    assert ImportRun.objects.count() == 1

    server.body = TEPLOSET.read_bytes()
    (run,) = billing_pull_tenant(in_tenant_a)
    assert run.status == ImportStatus.SUCCEEDED
    assert table_counts()["Account"] == 60 + 25
    with in_schema(utility_b):
        assert not ImportRun.objects.exists()


def test_pull_errors_are_typed(in_tenant_a, server):
    PullSource.objects.create(url=server.url)
    server.fail_with = 503
    with pytest.raises(PullError) as error:
        billing_pull_tenant(in_tenant_a)
    assert error.value.retryable
    server.fail_with = 404
    with pytest.raises(PullError) as error:
        billing_pull_tenant(in_tenant_a)
    assert not error.value.retryable
    assert not ImportRun.objects.exists()


def test_pull_command_skips_disabled_sources(in_tenant_a, server, tmp_path, capsys):
    server.body = zip_dir(ENSKVODA, tmp_path / "p.zip").read_bytes()
    PullSource.objects.create(url=server.url, enabled=False)
    call_command("pull_billing", "alpha")
    assert server.requests == []
    assert not ImportRun.objects.exists()


def test_scheduler_fan_out_pulls_only_tenants_with_a_pull_url(
        utility_a, utility_b, in_schema, server, tmp_path,
        django_capture_on_commit_callbacks):
    from tenants.models import Utility

    connection.set_schema_to_public()
    # Only alpha and beta take part (utilities other modules committed are suspended
    # inside this test's transaction).
    Utility.objects.exclude(schema_name__in=["public", "u_alpha", "u_beta"]).update(
        state="suspended")
    job = next(job for job in registered_jobs() if job.name == "billing.pull")
    server.body = zip_dir(ENSKVODA, tmp_path / "p.zip").read_bytes()
    with in_schema(utility_a):
        PullSource.objects.create(url=server.url)
    with in_schema(utility_b):
        PullSource.objects.create(url=server.url, enabled=False)

    def tick(now):
        with override_settings(TASKS=tasks_setting("immediate", "")), \
                django_capture_on_commit_callbacks(execute=True):
            return scheduler_tick(now=now, jobs=[job])

    assert sorted(tick(T0)) == [("billing.pull", "u_alpha"), ("billing.pull", "u_beta")]
    assert len(server.requests) == 1  # beta has no enabled pull URL: never fetched
    with in_schema(utility_a):
        (run,) = ImportRun.objects.all()
        assert (run.source, run.status) == ("pull", ImportStatus.SUCCEEDED)
        assert table_counts()["Account"] == 60
    with in_schema(utility_b):
        assert not ImportRun.objects.exists()

    assert tick(T0 + timedelta(minutes=10)) == []  # not due yet
    assert len(tick(T0 + timedelta(minutes=30))) == 2
    assert server.requests[-1]["If-None-Match"]  # asked with the ETag, got 304
    with in_schema(utility_a):
        assert ImportRun.objects.count() == 1


def test_package_refused_by_a_running_import_is_pulled_again(in_tenant_a, server, tmp_path,
                                                             monkeypatch):
    from lk_core.billing import services
    from lk_core.billing.importing.lock import ImportBusy

    server.body = zip_dir(ENSKVODA, tmp_path / "p.zip").read_bytes()
    source = PullSource.objects.create(url=server.url)
    real_import = services.package_import

    def busy(**kwargs):
        raise ImportBusy

    monkeypatch.setattr(services, "package_import", busy)
    (run,) = billing_pull_tenant(in_tenant_a)
    assert run.status == ImportStatus.REFUSED
    source.refresh_from_db()
    assert (source.last_etag, source.last_checksum) == ("", "")
    monkeypatch.setattr(services, "package_import", real_import)
    (run,) = billing_pull_tenant(in_tenant_a)
    assert run.status == ImportStatus.SUCCEEDED
    assert "If-None-Match" not in server.requests[-1]
    assert table_counts()["Account"] == 60
