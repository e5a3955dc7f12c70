"""The API docs page works in a real browser under the platform's CSP, with no request
leaving the utility's own origin."""

from __future__ import annotations

import pytest

from tests.conftest import screenshot

pytestmark = pytest.mark.browser


def test_docs_page_renders_every_operation_from_its_own_origin(live_server_url, desktop_page):
    origin = live_server_url.format(host="alpha.localhost")  # the session's tenant A
    console, requests = [], []
    desktop_page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    desktop_page.on("request", lambda r: requests.append(r.url))
    response = desktop_page.goto(origin + "/api/docs/")
    assert response.status == 200
    desktop_page.locator(".opblock").first.wait_for()
    assert desktop_page.locator(".opblock").count() >= 15
    assert "LK resident API" in desktop_page.locator(".info .title").inner_text()
    assert requests and all(url.startswith(origin + "/") or url.startswith("data:")
                            for url in requests), requests
    assert [text for text in console if "Content Security Policy" in text] == []
    screenshot(desktop_page, "api-docs-desktop")
