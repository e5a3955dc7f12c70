"""The OpenAPI schema validates and describes every error; the docs page is self-hosted."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from tests.api.conftest import api_client

ERRORS_EVERYWHERE = {"400", "404", "405", "429", "503"}


@pytest.fixture
def schema(utility_a):
    response = api_client(utility_a).get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_schema_validates_without_warnings(tmp_path, db):
    call_command("spectacular", "--validate", "--fail-on-warn",
                 "--file", str(tmp_path / "schema.yaml"))
    assert "openapi: 3" in (tmp_path / "schema.yaml").read_text()


def test_every_operation_documents_its_errors_in_the_error_shape(schema):
    assert sorted(schema["components"]["schemas"]["Error"]["required"]) == [
        "code", "fields", "message", "status"]
    operations = [(path, method, op) for path, item in schema["paths"].items()
                  for method, op in item.items()]
    assert len(operations) >= 6
    for path, method, op in operations:
        responses = op["responses"]
        assert set(responses) >= ERRORS_EVERYWHERE, (path, method)
        if op.get("security") != [{}]:
            assert {"401", "403"} <= set(responses), (path, method)
        for status in ERRORS_EVERYWHERE:
            ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/Error"
        assert op.get("summary"), (path, method)


def test_only_public_operations_need_no_token(schema):
    public = {(path, method) for path, item in schema["paths"].items()
              for method, op in item.items() if op.get("security") == [{}]}
    assert public == {("/api/v1/utility/", "get"), ("/api/v1/auth/token/", "post"),
                      ("/api/v1/auth/refresh/", "post"), ("/api/v1/register/", "get"),
                      ("/api/v1/register/", "post"), ("/api/v1/auth/password/reset/", "post"),
                      ("/api/v1/auth/password/set/", "post"), ("/api/v1/rules/", "get"),
                      ("/api/v1/help/", "get"), ("/api/v1/help/{slug}/", "get")}


def test_docs_page_serves_its_own_assets_and_forbids_other_origins(utility_a):
    client = api_client(utility_a)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    csp = page["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "http" not in csp and "unsafe-eval" not in csp
    html = page.content.decode()
    assert "<script>" not in html  # the init script is a separate same-origin file
    sources = re.findall(r'<script src="([^"]+)"', html)
    assert sources and all(src.startswith("/") for src in sources)
    for src in sources:
        asset = client.get(src.replace("&amp;", "&"))
        assert asset.status_code == 200, src
        body = b"".join(asset.streaming_content) if asset.streaming else asset.content
        assert body
    assert "/api/schema/" in client.get("/api/docs/?script=").content.decode()
