"""In Chromium against the live server: an operator onboards a utility in the operator
console and its portal works at once; its first administrator logs in, replaces the
one-time password and changes the branding with the live preview."""

from __future__ import annotations

import re
import time

import pytest
from django.db import connection

from tests.conftest import screenshot

pytestmark = pytest.mark.browser

OPERATOR = "console-ops@platform.test"
OPERATOR_PASSWORD = "Operator-Browser-2026"
SLUG = "omega-voda"


@pytest.fixture(scope="module")
def operator_account(django_db_setup, django_db_blocker):
    """A committed operator in the public schema; the utility the test onboards is removed
    when the module ends, so later tests see only the session's tenants (and the ones
    other browser modules leave)."""
    from lk_core.users.models import User
    from lk_core.users.services import operator_user_create
    from tenants.models import Utility
    from tenants.services import utility_delete

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        # Not deleted and re-created: deleting a user from public would cascade into
        # tenant-only tables that public does not have.
        if not User.objects.filter(username=OPERATOR).exists():
            operator_user_create(email=OPERATOR, password=OPERATOR_PASSWORD)
        for utility in Utility.objects.filter(slug=SLUG):
            utility_delete(utility=utility, actor="tests")
    yield OPERATOR
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        for utility in Utility.objects.filter(slug=SLUG):
            utility_delete(utility=utility, actor="tests")


def test_the_operator_exists_only_on_the_platform(db, operator_account, utility_a):
    """Also makes pytest-django build the test database when this module runs alone (the
    browser test itself must not hold a transaction: the live server has to see data)."""
    from django_tenants.utils import schema_context

    from lk_core.users.models import User

    assert User.objects.get(username=operator_account).kind == "operator"
    with schema_context(utility_a.schema_name):
        assert not User.objects.filter(username=operator_account).exists()


def test_operator_onboards_a_utility_and_its_admin_brands_it(operator_account, live_server_url,
                                                             desktop_page, browser,
                                                             django_db_blocker):
    page = desktop_page
    console = live_server_url.format(host="localhost")
    page.goto(console + "/console/")
    page.locator("#id_username").fill(OPERATOR)
    page.locator("#id_password").fill(OPERATOR_PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(console + "/console/")
    page.get_by_role("link", name="Добавить").first.click()

    page.locator("#id_name").fill("Омега Вода")
    page.locator("#id_slug").fill(SLUG)
    page.locator("#id_kind").select_option("water")
    page.locator("#id_timezone").select_option("Asia/Yekaterinburg")
    page.locator("#id_staff_email").fill("boss@omega.test")
    page.locator("#id_registration_method").select_option("office")
    page.locator("#id_acquirer").select_option("sandbox")
    page.locator("#id_theme").select_option("classic")
    page.locator("#id_primary_color").fill("#0f4c81")
    page.locator("#id_dispatch_phone").fill("+7 343 000-11-22")
    screenshot(page, "console-operator-onboarding-form")
    started = time.monotonic()
    page.locator("input[name=_save]").click()
    success = page.locator(".messagelist .success").first
    success.wait_for()
    onboarding_seconds = time.monotonic() - started
    password = re.search(r": (\S+) \(", success.inner_text()).group(1)
    assert "omega-voda.localhost" in page.locator(".messagelist").inner_text()
    screenshot(page, "console-operator-onboarded")
    assert onboarding_seconds < 10
    with django_db_blocker.unblock():
        _portal_uses_the_wizard_choices()

    # The list shows it active, with its figures (one staff account, no residents yet).
    row = page.locator("#result_list tr", has_text="Омега Вода")
    cells = row.inner_text().split("\t")
    assert cells[3] == "Работает" and cells[5:8] == ["0", "0", "1"]

    tablet = browser.new_context(viewport={"width": 1024, "height": 768}, locale="ru-RU",
                                 has_touch=True)
    try:
        _administrator_rebrands(tablet.new_page(), live_server_url, password)
    finally:
        tablet.close()


def _portal_uses_the_wizard_choices():
    from django_tenants.utils import schema_context

    from lk_core.identity.models import IdentitySettings
    from lk_core.payments.models import PaymentSettings
    from tenants.models import Utility

    utility = Utility.objects.get(slug=SLUG)
    assert utility.theme == "classic"
    with schema_context(utility.schema_name):
        assert PaymentSettings.objects.get().acquirer == "sandbox"
        assert IdentitySettings.objects.get().registration_method == "office"


def _administrator_rebrands(tenant_page, live_server_url, password):
    portal = live_server_url.format(host=f"{SLUG}.localhost")
    tenant_page.goto(portal + "/")
    assert tenant_page.locator(".brand-name").inner_text() == "Омега Вода"
    assert "+7 343 000-11-22" in tenant_page.locator("footer").inner_text()

    # The first administrator: one-time password, then their own, then the branding page.
    tenant_page.goto(portal + "/staff/")
    tenant_page.locator("#id_username").fill("boss@omega.test")
    tenant_page.locator("#id_password").fill(password)
    tenant_page.locator("input[type=submit]").click()
    tenant_page.locator("#id_old_password").fill(password)
    tenant_page.locator("#id_new_password1").fill("Omega-Admin-Secret-1")
    tenant_page.locator("#id_new_password2").fill("Omega-Admin-Secret-1")
    tenant_page.locator("#id_new_password2").press("Enter")
    tenant_page.wait_for_url(re.compile(r".*/staff/$"))
    tenant_page.goto(portal + "/staff/branding/")
    preview = tenant_page.locator("#preview-contrast")
    tenant_page.locator("#id_primary_color").evaluate(
        "el => { el.value = '#ffe066'; el.dispatchEvent(new Event('input')); }")
    assert "contrast-bad" in preview.get_attribute("class")
    tenant_page.locator("#id_primary_color").evaluate(
        "el => { el.value = '#6a1b9a'; el.dispatchEvent(new Event('input')); }")
    assert "contrast-ok" in preview.get_attribute("class")
    header = tenant_page.locator(".preview-header").evaluate(
        "el => getComputedStyle(el).backgroundColor")
    assert header == "rgb(106, 27, 154)"
    screenshot(tenant_page, "console-staff-branding-preview-tablet")
    tenant_page.locator("#console-form input[type=submit]").click()
    tenant_page.locator(".messagelist .success").wait_for()
    tenant_page.goto(portal + "/")
    assert tenant_page.locator(".site-header").evaluate(
        "el => getComputedStyle(el).backgroundColor") == "rgb(106, 27, 154)"
