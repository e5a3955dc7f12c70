"""A resident on a phone: dashboard -> submit a reading -> download the receipt -> send an
appeal with a photo. Runs against gunicorn on committed data in a utility of its own."""

from __future__ import annotations

import datetime as dt
from itertools import combinations
from types import SimpleNamespace

import pytest
from django.db import connection

from tests.conftest import ARTIFACTS, screenshot
from tests.portal import data
from tests.portal.test_appeals import png_bytes

SLUG = "portalphone"
NUMBER = "880001"


@pytest.fixture
def portal_utility(django_db_setup, django_db_blocker):
    from lk_core.appeals.models import AppealCategory
    from lk_core.portal.selectors import month_add
    from lk_platform.demo import DEMO_PAYEES
    from tenants.services import utility_create, utility_delete

    # Function scope: pytest-django reorders tests, so a module-scoped utility would
    # outlive this module and show up in other modules' tests.
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        utility = utility_create(
            slug=SLUG, name="МУП «Телефонный водоканал»", actor="tests", send_staff_email=False,
            dispatch_phone="+7 (4852) 00-11-22", reading_window_start_day=1,
            reading_window_end_day=31, theme="modern", **DEMO_PAYEES["enskvoda"]).utility
        try:
            connection.set_tenant(utility)
            user, account = data.resident(NUMBER)
            last_period = month_add(dt.date.today().replace(day=1), -1)
            stuff = data.history(account, months=6, meters=2, last_period=last_period)
            AppealCategory.objects.create(name="Протечка", destination="dispatch",
                                          is_emergency=True)
            AppealCategory.objects.create(name="Вопрос по начислениям")
            connection.set_schema_to_public()
            yield SimpleNamespace(utility=utility, user=user, account=account,
                                  meter=stuff["meters"][0], last_period=last_period)
        finally:
            connection.set_schema_to_public()
            utility_delete(utility=utility, actor="tests")
            connection.close()


@pytest.mark.browser
def test_resident_day_on_a_phone(portal_utility, live_server_url, phone_page, tmp_path):
    page = phone_page
    base = live_server_url.format(host=f"{SLUG}.localhost")
    page.goto(base + "/login/")
    page.locator("input[name=account_number]").fill(NUMBER)
    page.locator("input[name=password]").fill(data.PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url(base + "/")
    assert page.locator("h1").inner_text() == "Начало"
    assert "₽" in page.get_by_test_id("amount-due").inner_text()
    assert "Приём показаний открыт" in page.locator("main").inner_text()
    screenshot(page, "portal-dashboard-phone")

    # Submit a reading: the last one is 115, about 3 a month.
    page.get_by_role("link", name="Передать показания").click()
    page.wait_for_url(base + "/meters/")
    meter = portal_utility.meter
    page.locator(f"#id_m{meter.pk}-t1").fill("117,5")
    page.locator(f"#meter-{meter.pk}").locator("xpath=..").get_by_role(
        "button", name="Отправить").click()
    page.get_by_role("heading", name="Показания приняты").wait_for()
    assert page.get_by_test_id("receipt-values").inner_text() == "117,5"
    screenshot(page, "portal-reading-received-phone")

    # Download the receipt from the dashboard.
    page.goto(base + "/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Квитанция PDF").click()
    pdf = tmp_path / "receipt.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    period = portal_utility.last_period
    assert download_info.value.suggested_filename == (
        f"receipt-{NUMBER}-{period:%Y}-{period:%m}.pdf")

    # An appeal with a photo.
    page.goto(base + "/appeals/new/")
    assert page.locator(".dispatch-callout a[href^='tel:']").is_visible()
    photo = tmp_path / "leak.png"
    photo.write_bytes(png_bytes())
    page.get_by_label("Тема").select_option(label="Протечка")
    page.get_by_label("Что случилось").fill("Течёт стояк в ванной, вода на полу")
    page.locator("input[type=file]").set_input_files(str(photo))
    page.get_by_role("button", name="Отправить").click()
    page.get_by_text("Обращение отправлено").first.wait_for()
    assert "Течёт стояк в ванной" in page.locator("main").inner_text()
    image = page.locator(".photos img")
    image.wait_for()
    assert page.eval_on_selector(".photos img", "img => img.complete && img.naturalWidth") > 0
    screenshot(page, "portal-appeal-sent-phone")
    assert (ARTIFACTS / "portal-appeal-sent-phone.png").exists()


def _log_in(page, base):
    page.goto(base + "/login/")
    page.locator("input[name=account_number]").fill(NUMBER)
    page.locator("input[name=password]").fill(data.PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url(base + "/")


@pytest.mark.browser
def test_english_pages_fit_a_phone(portal_utility, live_server_url, phone_page):
    """In English on a phone: the invoice's charges fit without a sideways scroll (the unit
    goes under the quantity), and the settings boxes and photo button take a finger."""
    page = phone_page
    base = live_server_url.format(host=f"{SLUG}.localhost")
    _log_in(page, base)
    page.locator(".nav-toggle").click()
    page.locator('form.lang-switch button[value="en"]').click()
    page.get_by_role("heading", name="Home").wait_for()
    page.goto(base + "/invoices/")
    page.locator('main a[href^="/invoices/"]').first.click()
    page.get_by_role("heading", name="Charges by service").wait_for()
    tables = page.evaluate("Array.from(document.querySelectorAll('.table-wrap'))"
                           ".map(w => [w.scrollWidth, w.clientWidth])")
    assert tables and all(scroll <= client for scroll, client in tables), tables
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "portal-invoice-en-phone")
    page.goto(base + "/settings/")
    boxes = page.locator("main input[type=checkbox]").evaluate_all(
        "els => els.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])")
    assert boxes and all(w >= 22 and h >= 22 for w, h in boxes), boxes
    page.goto(base + "/appeals/new/")
    assert page.locator("input[type=file]").bounding_box()["height"] >= 40


@pytest.mark.browser
def test_phone_menu_folds_behind_a_button(portal_utility, live_server_url, phone_page):
    page = phone_page
    refused = []  # the Content-Security-Policy forbids inline code: nothing may be refused
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    base = live_server_url.format(host=f"{SLUG}.localhost")
    _log_in(page, base)
    button = page.get_by_role("button", name="Меню")
    meters_link = page.locator("#main-nav").get_by_role("link", name="Счётчики")
    assert button.is_visible() and button.get_attribute("aria-expanded") == "false"
    assert not meters_link.is_visible()
    header = page.locator(".site-header").bounding_box()
    assert header["height"] < 140, header  # not nine links in a row any more
    screenshot(page, "portal-menu-closed-phone")

    button.click()
    assert button.get_attribute("aria-expanded") == "true"
    assert meters_link.is_visible()
    links = page.locator("#main-nav > a")
    tops = {round(links.nth(i).bounding_box()["y"]) for i in range(links.count())}
    assert len(tops) == links.count()  # one link per line
    assert all(links.nth(i).bounding_box()["height"] >= 44 for i in range(links.count()))
    screenshot(page, "portal-menu-open-phone")

    page.keyboard.press("Escape")  # closes, and the focus goes back to the button
    assert button.get_attribute("aria-expanded") == "false" and not meters_link.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('nav-toggle')")
    page.keyboard.press("Enter")  # the keyboard opens it as well
    assert button.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Начало"
    meters_link.click()
    page.wait_for_url(base + "/meters/")
    assert page.get_by_role("button", name="Меню").get_attribute("aria-expanded") == "false"
    assert refused == []


@pytest.mark.browser
def test_desktop_menu_shows_without_a_button(portal_utility, live_server_url, desktop_page):
    page = desktop_page
    base = live_server_url.format(host=f"{SLUG}.localhost")
    _log_in(page, base)
    assert not page.locator(".nav-toggle").is_visible()
    assert page.locator("#main-nav").get_by_role("link", name="Счётчики").is_visible()


def test_database_is_ready(db):
    # pytest-django runs tests with the db fixture first, which builds the test database
    # before the browser test's fixture commits its data (a browser-only run has no other).
    from tenants.models import Utility

    assert Utility.objects.filter(slug="alpha").exists()


@pytest.mark.browser
def test_charges_chart_legend_reads_on_a_phone(portal_utility, live_server_url, phone_page):
    """The legend is page text under the drawing, not text inside the SVG that shrinks with
    it (11 units of a 640-unit drawing were about 6 px on a 390 px screen)."""
    page = phone_page
    base = live_server_url.format(host=f"{SLUG}.localhost")
    _log_in(page, base)
    page.goto(base + "/charges/")
    chart = page.locator(".chart-card")
    chart.locator("svg.chart").wait_for()
    boxes = []
    for name in ("Холодное водоснабжение", "Горячее водоснабжение", "Водоотведение"):
        label = chart.get_by_text(name, exact=True)
        assert label.is_visible()
        box = label.bounding_box()
        assert box["height"] >= 14, (name, box)  # body text size, not a shrunken drawing
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
        boxes.append(box)
    for one, other in combinations(boxes, 2):  # no two names on top of each other
        assert (one["y"] + one["height"] <= other["y"] or other["y"] + other["height"] <= one["y"]
                or one["x"] + one["width"] <= other["x"]
                or other["x"] + other["width"] <= one["x"]), (one, other)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The tables' figure columns fit too: nothing hides behind a sideways scroll.
    tables = page.evaluate("Array.from(document.querySelectorAll('.table-wrap'))"
                           ".map(w => [w.scrollWidth, w.clientWidth])")
    assert tables and all(scroll <= client for scroll, client in tables), tables
    chart.screenshot(path=str(ARTIFACTS / "portal-charges-legend-phone.png"))
    screenshot(page, "portal-charges-phone")
