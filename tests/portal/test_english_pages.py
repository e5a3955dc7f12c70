"""A resident reading in English sees no Russian chrome: every Cyrillic character left on a
page is the utility's own data (its name, address, services, appeal topics, the account's
address and holder), and numbers are "No. 5", not the Russian "№5"."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from lk_core.appeals import services as appeals
from lk_core.appeals.models import AppealCategory
from lk_core.billing.models import Invoice, Service
from tests.portal import data
from tests.portal.test_appeals import png_bytes

CYRILLIC = re.compile(r"[А-Яа-яЁё№]")


@pytest.fixture
def english_resident(in_tenant_a):
    user, account = data.resident("710001")
    made = data.history(account, months=3, meters=1)
    category = AppealCategory.objects.create(name="Протечка", destination="dispatch",
                                             is_emergency=True)
    appeal = appeals.appeal_create(
        user=user, account=account, category_id=category.pk, text="Water in the basement",
        photos=[SimpleUploadedFile("leak.png", png_bytes(), content_type="image/png")])
    return in_tenant_a, user, account, made, appeal


def _tenant_data(utility, account) -> list[str]:
    values = [utility.name, utility.postal_address, utility.office_hours, settings.PLATFORM_NAME,
              account.address, account.holder_name, *AppealCategory.objects.values_list(
                  "name", flat=True)]
    for name, unit in Service.objects.values_list("name", "unit"):
        values += [name, unit]
    return sorted((v for v in values if v), key=len, reverse=True)


def _chrome(html: str, tenant_data: list[str]) -> str:
    text = re.sub(r"<[^>]+>", " ", html)
    for value in tenant_data:
        text = text.replace(value, " ")
    return text


def test_resident_pages_in_english_have_no_russian_chrome(client_a, english_resident):
    utility, user, account, made, appeal = english_resident
    client_a.force_login(user, backend="lk_core.identity.backends.AccountNumberBackend")
    client_a.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    invoice = Invoice.objects.get(account=account, period=made["invoices"][-1].period)
    meter = made["meters"][0]
    tenant_data = _tenant_data(utility, account)
    pages = ["/", "/invoices/", f"/invoices/{invoice.pk}/", "/charges/?start=2026-08&end=2026-10",
             "/meters/", f"/meters/{meter.pk}/", "/appeals/", "/appeals/new/",
             f"/appeals/{appeal.pk}/", "/notifications/", "/settings/", "/help/", "/account/",
             "/password/change/"]
    russian = {}
    for path in pages:
        response = client_a.get(path)
        assert response.status_code == 200, path
        found = CYRILLIC.findall(_chrome(response.content.decode(), tenant_data))
        if found:
            russian[path] = "".join(found)
    assert russian == {}
    assert f"No. {appeal.pk}" in client_a.get(f"/appeals/{appeal.pk}/").content.decode()
    assert f"serial No. {meter.serial_number}" in client_a.get(
        f"/meters/{meter.pk}/").content.decode()


def test_russian_keeps_the_number_sign(client_a, english_resident):
    _utility, user, _account, made, appeal = english_resident
    client_a.force_login(user, backend="lk_core.identity.backends.AccountNumberBackend")
    meter = made["meters"][0]
    assert f"№{appeal.pk}" in client_a.get(f"/appeals/{appeal.pk}/").content.decode()
    assert f"№ {meter.serial_number}" in client_a.get(f"/meters/{meter.pk}/").content.decode()
