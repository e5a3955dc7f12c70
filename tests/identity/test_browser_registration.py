"""A resident on a phone: registers with the amount from the receipt, reads the password
from the e-mail, logs in and is made to choose their own password."""

from __future__ import annotations

import datetime
import email
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from tests.conftest import screenshot

SLUG = "idbrowser"
NUMBER = "4400123"
NEW_PASSWORD = "Moi-Sobstvennyi-Parol-2026"
OFFICE_NUMBER = "4400777"
DESK = "desk@idbrowser.test"


@pytest.fixture(scope="session")
def browser_utility(django_db_setup, django_db_blocker):
    """A utility of this test's own, with committed data the live server can see."""
    from lk_core.billing.models import Account, Invoice
    from tenants.models import Utility
    from tenants.services import utility_create

    with django_db_blocker.unblock():
        connection.set_schema_to_public()  # an earlier test may have left a tenant's
        utility = Utility.objects.filter(slug=SLUG).first() or utility_create(
            slug=SLUG, name="Гидроресурс", actor="tests", primary_color="#1d6b52",
            send_staff_email=False).utility
        with schema_context(utility.schema_name):
            account, _ = Account.objects.get_or_create(
                number=NUMBER, defaults={"address": "ул. Садовая, д. 3, кв. 14"})
            Invoice.objects.get_or_create(account=account, period=datetime.date(2026, 11, 1),
                                          defaults={"opening_balance": 0, "charged": 0,
                                                    "recalculation": 0, "paid": 0,
                                                    "penalty": 0,
                                                    "amount_due": Decimal("2718.28")})
            Account.objects.get_or_create(number=OFFICE_NUMBER,
                                          defaults={"address": "ул. Садовая, д. 5, кв. 2"})
            utility.desk_password = _desk_user()
    return utility


def _desk_user() -> str:
    """A customer-service desk login (admin role) with a known first password."""
    from lk_core.users.models import User
    from lk_core.users.services import staff_user_create

    User.objects.filter(username=DESK).delete()
    _user, password = staff_user_create(email=DESK, send_email=False)
    return password


def _mailed_password(address: str, since: float) -> str:
    """The password from the newest e-mail to `address` the live server wrote."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for path in sorted(Path(settings.EMAIL_FILE_PATH).glob("*.log"),
                           key=lambda p: p.stat().st_mtime, reverse=True):
            if path.stat().st_mtime < since:
                continue
            for raw in path.read_bytes().split(b"-" * 79):
                message = email.message_from_bytes(raw.strip())
                if address not in (message["To"] or ""):
                    continue
                for part in message.walk():
                    if part.get_content_type() == "text/plain":
                        body = part.get_payload(decode=True).decode()
                        for line in body.splitlines():
                            if line.startswith("Пароль: "):
                                return line.removeprefix("Пароль: ").strip()
        time.sleep(0.2)
    raise AssertionError(f"no e-mail to {address} in {settings.EMAIL_FILE_PATH}")


@pytest.mark.browser
def test_register_read_mail_log_in_and_change_password_on_a_phone(browser_utility,
                                                                  live_server_url,
                                                                  phone_page):
    page = phone_page
    address = f"resident-{int(time.time())}@example.test"
    started = time.time() - 1
    page.goto(live_server_url.format(host=f"{SLUG}.localhost") + "/")
    page.get_by_role("link", name="Зарегистрироваться").first.click()
    page.get_by_label("Номер лицевого счёта").fill(NUMBER)
    page.get_by_label("Сумма к оплате по последней квитанции").fill("2 718,28")
    page.get_by_label("Электронная почта").fill(address)
    page.get_by_label("Я прочитал(а) и принимаю правила").check()
    screenshot(page, "identity-register-phone")
    page.get_by_role("button", name="Зарегистрироваться").click()
    page.get_by_role("heading", name="Проверьте почту").wait_for()

    password = _mailed_password(address, started)
    assert len(password) >= 10
    page.get_by_role("main").get_by_role("link", name="Войти").click()
    page.get_by_label("Номер лицевого счёта").fill(NUMBER)
    page.get_by_label("Пароль").fill(password)
    page.get_by_role("main").get_by_role("button", name="Войти").click()

    page.get_by_role("heading", name="Задайте собственный пароль").wait_for()
    assert page.url.endswith("/password/change/")
    screenshot(page, "identity-forced-change-phone")
    page.locator("#id_old_password").fill(password)
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Сохранить пароль").click()
    page.get_by_text("Пароль изменён.").wait_for()
    assert page.url.rstrip("/").endswith(":" + page.url.split(":")[-1].split("/")[0])
    page.get_by_role("button", name="Меню").click()  # on a phone the menu folds away
    assert page.get_by_role("button", name="Выйти").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    screenshot(page, "identity-logged-in-phone")
    page.get_by_role("link", name="Мой профиль").click()
    page.get_by_role("heading", name="Мои лицевые счета").wait_for()
    assert NUMBER in page.content()
    screenshot(page, "identity-account-phone")


def test_the_browser_utility_s_data_stays_in_its_own_schema(browser_utility, utility_a,
                                                            in_schema):
    """Other tenant: the committed browser-test account is not visible at alpha. (This test
    also makes pytest-django create the test database when this module runs alone.)"""
    from lk_core.billing.models import Account

    with in_schema(browser_utility):
        assert Account.objects.filter(number=NUMBER).exists()
    with in_schema(utility_a):
        assert not Account.objects.filter(number=NUMBER).exists()


@pytest.mark.browser
def test_staff_register_a_resident_in_the_office_and_print_the_sheet(browser_utility,
                                                                      live_server_url,
                                                                      desktop_page):
    page = desktop_page
    base = live_server_url.format(host=f"{SLUG}.localhost")
    page.goto(base + "/staff/")
    page.locator("#id_username").fill(DESK)
    page.locator("#id_password").fill(browser_utility.desk_password)
    page.locator("input[type=submit]").click()
    page.get_by_role("heading", name="Задайте собственный пароль").wait_for()  # staff too
    page.locator("#id_old_password").fill(browser_utility.desk_password)
    page.locator("#id_new_password1").fill("Parol-Operatora-Kassy-1")
    page.locator("#id_new_password2").fill("Parol-Operatora-Kassy-1")
    page.get_by_role("button", name="Сохранить пароль").click()
    page.wait_for_url(base + "/staff/")
    page.goto(base + "/staff/identity/resident/add/")
    page.get_by_label("Номер лицевого счёта").fill(OFFICE_NUMBER)
    page.get_by_label("Электронная почта").fill("pensioner@example.test")
    page.get_by_role("button", name="Зарегистрировать и показать пароль").click()
    page.get_by_text("Пароль показывается только один раз.").wait_for()
    secret = page.locator(".secret").inner_text()
    assert len(secret) >= 10 and OFFICE_NUMBER in page.content()
    screenshot(page, "identity-office-sheet-desktop")
