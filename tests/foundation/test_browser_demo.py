"""Each demo utility's portal shows its own name and colours on its own host, in Chromium."""

from __future__ import annotations

import pytest

from tests.conftest import screenshot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def demo_utilities(django_db_setup, django_db_blocker):
    from lk_platform.demo import DEMO_UTILITIES, demo_seed

    with django_db_blocker.unblock():
        demo_seed()
    return DEMO_UTILITIES


def _rgb(hex_color: str) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_each_demo_utility_has_its_own_branded_portal(demo_utilities, live_server_url,
                                                      phone_page):
    for spec in demo_utilities:
        response = phone_page.goto(live_server_url.format(host=f"{spec.slug}.localhost") + "/")
        assert response.status == 200
        assert phone_page.locator(".brand-name").inner_text() == spec.name
        assert spec.name in phone_page.title()
        header_bg = phone_page.eval_on_selector(
            ".site-header", "el => getComputedStyle(el).backgroundColor")
        header_image = phone_page.eval_on_selector(
            ".site-header", "el => getComputedStyle(el).backgroundImage")
        assert _rgb(spec.primary_color) in (header_bg + header_image)
        assert phone_page.locator("body").get_attribute("class") == f"theme-{spec.theme}"
        assert spec.dispatch_phone in phone_page.locator("footer").inner_text()
        others = [o.name for o in demo_utilities if o.slug != spec.slug]
        assert not any(name in phone_page.content() for name in others)
        # Nothing on the page was blocked by the Content-Security-Policy.
        screenshot(phone_page, f"home-{spec.slug}-phone")


def test_language_switch_to_english(demo_utilities, live_server_url, desktop_page):
    desktop_page.goto(live_server_url.format(host="enskvoda.localhost") + "/")
    desktop_page.get_by_role("button", name="EN").click()
    desktop_page.wait_for_load_state()
    assert desktop_page.locator("html").get_attribute("lang") == "en"
    assert "Personal account of" in desktop_page.locator("h1").inner_text()
    desktop_page.get_by_role("button", name="RU").click()
    desktop_page.wait_for_load_state()
    assert "Личный кабинет" in desktop_page.locator("h1").inner_text()
    screenshot(desktop_page, "home-enskvoda-desktop")


def test_unknown_host_shows_plain_404(live_server_url, phone_page):
    response = phone_page.goto(live_server_url.format(host="nobody.localhost") + "/")
    assert response.status == 404
    text = phone_page.locator("body").inner_text()
    assert "404" in text and "Энск" not in text


def test_no_csp_violations_on_portal(demo_utilities, live_server_url, desktop_page):
    violations = []
    desktop_page.on("console", lambda msg: violations.append(msg.text)
                    if "Content Security Policy" in msg.text else None)
    desktop_page.goto(live_server_url.format(host="teploset.localhost") + "/")
    desktop_page.wait_for_load_state("networkidle")
    assert violations == []


def test_no_failed_requests_on_portal_and_console_login(demo_utilities, live_server_url,
                                                        desktop_page):
    """Nothing the pages load answers with an error: no /favicon.ico 404 either."""
    failed = []
    desktop_page.on("response", lambda r: failed.append(f"{r.status} {r.url}")
                    if r.status >= 400 else None)
    desktop_page.on("console", lambda msg: failed.append(msg.text)
                    if msg.type == "error" else None)
    base = live_server_url.format(host="enskvoda.localhost")
    for path in ("/", "/login/", "/staff/login/"):
        desktop_page.goto(base + path)
        desktop_page.wait_for_load_state("networkidle")
    assert failed == []
