"""The scheduled pull against a real HTTP server on 127.0.0.1: imports a new package,
skips an unchanged one by ETag or by checksum, reports server failures as typed errors."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command

from integrations.billing.pull import billing_pull_tenant
from lk_core.billing.interfaces import PullError
from lk_core.billing.models import ImportRun, ImportStatus, PullSource
from tests.billing.conftest import ENSKVODA, TEPLOSET, table_counts, zip_dir


class PackageServer:
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

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/package.zip"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


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
