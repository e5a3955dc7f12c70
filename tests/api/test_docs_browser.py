"""The API docs page works in a real browser under the platform's CSP, with no request
leaving the utility's own origin."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def _visit_docs(origin: str) -> dict:
    """In its own thread with its own Playwright: the session's browser fixture keeps an
    event loop on the main thread, which would make later database fixtures refuse to run
    (Django's async-safety check) if this module started it first."""
    from playwright.sync_api import sync_playwright

    console, requests = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                  "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.on("request", lambda r: requests.append(r.url))
        status = page.goto(origin + "/api/docs/").status
        page.locator(".opblock").first.wait_for()
        result = {"status": status, "operations": page.locator(".opblock").count(),
                  "title": page.locator(".info .title").inner_text(),
                  "console": console, "requests": requests}
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "api-docs-desktop.png"), full_page=True)
        browser.close()
    return result


def test_docs_page_renders_every_operation_from_its_own_origin(live_server_url):
    origin = live_server_url.format(host="alpha.localhost")  # the session's tenant A
    with ThreadPoolExecutor(max_workers=1) as pool:
        seen = pool.submit(_visit_docs, origin).result(timeout=120)
    assert seen["status"] == 200
    assert seen["operations"] >= 15
    assert "LK resident API" in seen["title"]
    assert seen["requests"] and all(url.startswith((origin + "/", "data:"))
                                    for url in seen["requests"]), seen["requests"]
    assert [text for text in seen["console"] if "Content Security Policy" in text] == []
