"""A resident pays an invoice through the sandbox in Chromium, against gunicorn, and sees
the status, the history line and the confirmation e-mail."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from tests.conftest import screenshot

pytestmark = pytest.mark.browser
PASSWORD = "Oplata-kartoy-2026!"
NUMBER = "990001"


def _seed():
    from django.db import connection

    from tenants.models import Utility
    from tenants.services import utility_create
    from tests.payments.conftest import configure, make_resident

    try:
        utility = Utility.objects.filter(slug="paytest").first() or utility_create(
            slug="paytest", name="Pay Test Water", actor="tests",
            send_staff_email=False).utility
        with schema_context(utility.schema_name):
            resident = make_resident(NUMBER, email="payer@example.org")
            # A long address: the account picker must still fit a phone's width.
            resident.account.address = "г. Энск, ул. Молодёжная, д. 42, корп. 3, кв. 139"
            resident.account.save(update_fields=["address"])
            resident.user.set_password(PASSWORD)
            resident.user.must_change_password = False
            resident.user.save()
            configure("sandbox", autopay_enabled=True)
        return resident
    finally:
        connection.close()


def _drop():
    from django.db import connection

    from tenants.models import Domain, Utility

    try:
        utility = Utility.objects.get(slug="paytest")
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{utility.schema_name}" CASCADE')
        Domain.objects.filter(tenant=utility).delete()
        Utility.objects.filter(pk=utility.pk).delete()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def paying_resident(django_db_setup, django_db_blocker):
    """Committed data on a utility of this module's own (the live server is another
    process and cannot see a test's transaction), dropped afterwards so later tests see
    only the session's utilities. The ORM runs in a worker thread: once Playwright's
    event loop runs in the main thread, Django refuses to run queries there."""
    with django_db_blocker.unblock(), ThreadPoolExecutor(1) as pool:
        resident = pool.submit(_seed).result()
    yield resident
    with django_db_blocker.unblock(), ThreadPoolExecutor(1) as pool:
        pool.submit(_drop).result()


def _mail_for(*markers: str, since: float, timeout: float = 10.0) -> str:
    """The e-mail the live server wrote (file backend) after `since` with every marker."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(settings.EMAIL_FILE_PATH.glob("*.log")):
            if path.stat().st_mtime < since:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if all(marker in text for marker in markers):
                return text
        time.sleep(0.2)
    raise AssertionError("no confirmation e-mail was written")


def _assert_fits_width(page):
    widths = page.evaluate("[document.documentElement.scrollWidth,"
                           " document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"page is wider than the phone: {widths}"


def test_resident_pays_through_the_sandbox(paying_resident, live_server_url, phone_page):
    violations = []
    phone_page.on("console", lambda msg: violations.append(msg.text)
                  if "Content Security Policy" in msg.text else None)
    base = live_server_url.format(host="paytest.localhost")
    started = time.time()
    phone_page.goto(base + "/login/")
    phone_page.fill("input[name=account_number]", NUMBER)
    phone_page.fill("input[name=password]", PASSWORD)
    phone_page.locator("main form button[type=submit]").click()
    phone_page.wait_for_load_state()

    phone_page.goto(base + "/payments/")
    assert phone_page.input_value("input[name=amount]") == "1234.56"
    screenshot(phone_page, "payments-pay-phone")
    _assert_fits_width(phone_page)
    phone_page.locator(".pay-form button[type=submit]").click()

    phone_page.wait_for_url("**/payments/sandbox/**")
    assert "ТЕСТ" in phone_page.locator(".badge-test").inner_text()
    assert "1 234,56" in phone_page.locator(".sandbox-amount").inner_text().replace("\xa0", " ")
    screenshot(phone_page, "payments-sandbox-phone")
    phone_page.get_by_role("button", name="Подтвердить оплату").click()

    phone_page.wait_for_url("**/payments/*-*/")
    status = phone_page.locator(".payment-status-label")
    status.wait_for()
    assert status.inner_text() == "Оплачено, ожидает проведения"
    payment_id = phone_page.locator("dd code").inner_text()
    screenshot(phone_page, "payments-return-phone")

    phone_page.goto(base + "/payments/history/")
    row = phone_page.locator(".payments-table tbody tr").first
    assert "Оплачено, ожидает проведения" in row.inner_text()
    assert "1\xa0234,56\xa0₽" in row.inner_text()
    _assert_fits_width(phone_page)

    assert payment_id
    mail = _mail_for("To: payer@example.org", NUMBER, "1\u00a0234,56", since=started)
    assert "Pay Test Water" in mail
    assert violations == []


def test_resident_turns_autopay_on_and_cancels_it(paying_resident, live_server_url,
                                                  phone_page):
    base = live_server_url.format(host="paytest.localhost")
    phone_page.goto(base + "/login/")
    phone_page.fill("input[name=account_number]", NUMBER)
    phone_page.fill("input[name=password]", PASSWORD)
    phone_page.locator("main form button[type=submit]").click()
    phone_page.wait_for_load_state()

    phone_page.goto(base + "/payments/autopay/")
    phone_page.select_option("select[name=day]", "15")
    phone_page.fill("input[name=cap]", "3000")
    phone_page.check("input[name=consent]")
    screenshot(phone_page, "payments-autopay-form-phone")
    phone_page.get_by_role("button", name="Оплатить и включить автоплатёж").click()

    phone_page.wait_for_url("**/payments/sandbox/**")
    assert "сохранена для автоплатежа" in phone_page.locator(".sandbox-save").inner_text()
    phone_page.get_by_role("button", name="Подтвердить оплату").click()
    phone_page.wait_for_url("**/payments/*-*/")
    assert phone_page.locator(".payment-status-label").inner_text() == \
        "Оплачено, ожидает проведения"

    phone_page.goto(base + "/payments/autopay/")
    mandate = phone_page.locator(".autopay-mandate").first
    assert "Работает" in mandate.locator(".autopay-status").inner_text()
    assert "TEST *4242" in mandate.inner_text() and "3\xa0000,00\xa0₽" in mandate.inner_text()
    screenshot(phone_page, "payments-autopay-active-phone")
    mandate.get_by_role("button", name="Отменить автоплатёж").click()
    phone_page.wait_for_load_state()
    assert "сохранённая карта забыта" in phone_page.locator(".messages").inner_text()
    assert phone_page.locator(".autopay-mandate").count() == 0
