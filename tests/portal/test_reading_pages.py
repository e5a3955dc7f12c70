"""The reading rules as a resident meets them on the pages (the rules themselves are in
test_readings.py): the window at the utility's local midnight, rollover, expired and
removed meters; a resident without any account; other resident and other tenant."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from lk_core.identity.models import Resident
from lk_core.meters.models import Reading
from lk_core.users.models import User, UserKind
from tests.portal import data
from tests.portal.test_pages import IN_WINDOW, login

UTC = dt.UTC


def _at(monkeypatch, moment: dt.datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.fixture
def vera(in_tenant_b):
    """A resident of the Vladivostok utility (UTC+10), window 15–25."""
    user, account = data.resident("720001")
    meter = data.history(account, months=3, meters=1)["meters"][0]
    return user, account, meter


@pytest.fixture
def alice(in_tenant_a):
    user, account = data.resident("720101")
    meter = data.history(account, months=6, meters=1, meter_digits=3)["meters"][0]
    return user, account, meter


def test_window_opens_at_the_utility_s_midnight_not_moscow_s(client_b, vera, monkeypatch):
    user, _account, meter = vera
    login(client_b, user)
    prefix = f"m{meter.pk}"
    # 14 Nov 23:30 in Vladivostok (13:30 UTC): closed, the page says when it opens.
    _at(monkeypatch, dt.datetime(2026, 11, 14, 13, 30, tzinfo=UTC))
    page = client_b.get("/meters/").content.decode()
    assert "Следующий приём: 15 ноября" in page
    response = client_b.post(f"/meters/{meter.pk}/submit/", {f"{prefix}-t1": "110"})
    assert response.status_code == 400
    assert not Reading.objects.filter(meter=meter, source="resident").exists()
    # 15 Nov 00:30 in Vladivostok (14:30 UTC, still the 14th in Moscow): open.
    _at(monkeypatch, dt.datetime(2026, 11, 14, 14, 30, tzinfo=UTC))
    assert "Следующий приём" not in client_b.get("/meters/").content.decode()
    response = client_b.post(f"/meters/{meter.pk}/submit/", {f"{prefix}-t1": "110"})
    assert "Показания приняты" in response.content.decode()
    assert Reading.objects.get(meter=meter, source="resident").taken_on == dt.date(2026, 11, 15)


def test_rollover_is_asked_then_stored(client_a, alice, monkeypatch):
    user, _account, meter = alice  # 3 digits: the counter turns over after 999
    meter.readings.filter(taken_on=meter.readings.order_by("-taken_on").first().taken_on) \
        .update(t1=Decimal("998"))
    _at(monkeypatch, IN_WINDOW)
    login(client_a, user)
    prefix = f"m{meter.pk}"
    response = client_a.post(f"/meters/{meter.pk}/submit/", {f"{prefix}-t1": "2"})
    body = response.content.decode()
    assert f'name="{prefix}-confirm_rollover" value="True"' in body
    assert not Reading.objects.filter(meter=meter, source="resident").exists()
    response = client_a.post(f"/meters/{meter.pk}/submit/",
                             {f"{prefix}-t1": "2", f"{prefix}-confirm_rollover": "True"})
    assert "Показания приняты" in response.content.decode()
    assert Reading.objects.get(meter=meter, source="resident").t1 == Decimal(2)


@pytest.mark.parametrize(("field", "value", "says"), [
    ("verified_until", dt.date(2026, 11, 1), "поверки счётчика истёк 1 ноября 2026"),
    ("removed_on", dt.date(2026, 11, 2), "снят"),
])
def test_expired_and_removed_meters_explain_and_take_nothing(client_a, alice, monkeypatch,
                                                             field, value, says):
    user, _account, meter = alice
    setattr(meter, field, value)
    meter.save(update_fields=[field])
    _at(monkeypatch, IN_WINDOW)
    login(client_a, user)
    page = client_a.get(f"/meters/{meter.pk}/").content.decode()
    assert says in page
    assert f'action="/meters/{meter.pk}/submit/"' not in page
    response = client_a.post(f"/meters/{meter.pk}/submit/", {f"m{meter.pk}-t1": "200"})
    assert response.status_code == 400 and says in response.content.decode()
    assert not Reading.objects.filter(meter=meter, source="resident").exists()


def test_every_page_for_a_resident_without_any_account(client_a, in_tenant_a, monkeypatch):
    user = User.objects.create_user(username="r-none", password=data.PASSWORD,
                                    kind=UserKind.RESIDENT)
    Resident.objects.create(user=user, registered_via="amount")
    _at(monkeypatch, IN_WINDOW)
    login(client_a, user)
    for url in ["/", "/invoices/", "/charges/", "/charges.csv", "/meters/", "/appeals/",
                "/appeals/new/", "/settings/", "/help/", "/payments/"]:
        assert client_a.get(url).status_code == 200, url
    for url in ["/invoices/1/", "/meters/1/", "/appeals/1/", "/receipts/2026-10.pdf"]:
        assert client_a.get(url).status_code == 404, url


def test_other_resident_s_meter_takes_no_reading(client_a, alice, in_tenant_a, monkeypatch):
    user, _account, _meter = alice
    _bob, bob_account = data.resident("720102")
    bob_meter = data.history(bob_account, months=2, meters=1)["meters"][0]
    _at(monkeypatch, IN_WINDOW)
    login(client_a, user)
    response = client_a.post(f"/meters/{bob_meter.pk}/submit/",
                             {f"m{bob_meter.pk}-t1": "200"})
    assert response.status_code == 404
    assert not Reading.objects.filter(meter=bob_meter, source="resident").exists()


def test_other_tenant_s_meter_is_not_found(client_a, vera, utility_a, monkeypatch):
    from django.db import connection

    from tests.conftest import tenant_client

    _user, _account, beta_meter = vera
    connection.set_tenant(utility_a)
    alpha_user, _alpha_account = data.resident("720201")
    _at(monkeypatch, IN_WINDOW)
    client = login(tenant_client(utility_a), alpha_user)
    assert client.get(f"/meters/{beta_meter.pk}/").status_code == 404
