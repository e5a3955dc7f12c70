"""The app and the web pages give the same figures for the same resident: the dashboard's
amounts, the invoices and an invoice's detail, charge totals, and the meters."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.template.defaultfilters import floatformat
from django.utils import translation
from django.utils.formats import date_format

from lk_core.billing import money as formatting
from lk_core.billing.models import Payment
from tests.api.portal_data import in_window, someone

__all__ = ["in_window"]
BACKEND = "lk_core.identity.backends.AccountNumberBackend"


@pytest.fixture
def alice(in_tenant_a):
    alice = someone("730001", months=24, meters=3)
    Payment.objects.create(external_id="partial", account=alice.account,
                           paid_on=dt.date(2026, 11, 7), amount=Decimal("100.00"),
                           channel="bank")
    expired = alice.stuff["meters"][2]
    expired.verified_until = dt.date(2026, 11, 1)
    expired.save(update_fields=["verified_until"])
    return alice


@pytest.fixture
def both(alice, utility_a, client_a, in_window):
    """GET a path from the app (JSON) and from the web (HTML), the same resident."""
    client_a.force_login(alice.user, backend=BACKEND)
    app = alice.client(utility_a)

    def get(api_path: str, web_path: str) -> tuple[dict, str]:
        api, web = app.get(api_path), client_a.get(web_path)
        assert (api.status_code, web.status_code) == (200, 200), (api_path, web_path)
        return api.json(), web.content.decode()

    with translation.override("ru"):
        yield get


def money(value: str) -> str:
    return formatting.money(Decimal(value))


def rub(value: str) -> str:
    return formatting.rub(Decimal(value))


def by_testid(html: str, name: str) -> str:
    return re.search(rf'data-testid="{name}">([^<]+)<', html).group(1)


def test_dashboard_amounts(both):
    api, web = both("/api/v1/dashboard/", "/")
    assert Decimal(api["balance"]) == Decimal(api["amount_due"]) - Decimal("100.00")
    assert by_testid(web, "amount-due") == rub(api['balance'])
    assert date_format(dt.date.fromisoformat(api["due_date"]), "j E") in web
    assert money(api["amount_due"]) in web and money(api["paid_since_invoice"]) in web
    last = api["last_payment"]
    assert rub(last['amount']) in web
    assert date_format(dt.date.fromisoformat(last["paid_on"]), "d.m.Y") in web
    open_until = date_format(dt.date.fromisoformat(api["reading_window"]["open_until"]), "j E")
    assert f"Приём показаний открыт до {open_until}" in web
    [due] = api["meters_due"]
    assert due["expired"] and f"{due['serial_number']}: поверка истекла" in web


def test_invoice_list_and_detail(both):
    api, web = both("/api/v1/invoices/?page_size=100", "/invoices/")
    rows = re.findall(r'<a href="/invoices/(\d+)/">[^<]+</a></th>\s*<td class="num">([^<]+)</td>'
                      r'\s*<td><span class="status status-(\w+)">', web)
    assert rows == [(str(r["id"]), money(r["amount_due"]), r["status"])
                    for r in api["results"]]
    assert {r["status"] for r in api["results"]} == {"partly", "paid"}
    for row in api["results"][:2]:
        detail, page = both(f"/api/v1/invoices/{row['id']}/", f"/invoices/{row['id']}/")
        assert by_testid(page, "invoice-due") == rub(detail['amount_due'])
        for field in ("opening_balance", "charged", "recalculation", "penalty", "paid"):
            assert rub(detail[field]) in page, field
        body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        cells = re.findall(r'<tr><th scope="row">([^<]+)</th>.*?<td class="num">([^<]+)</td>'
                           r'<td class="num recalculation">([^<]+)</td></tr>', body)
        assert cells == [(c["service"], money(c["amount"]), money(c["recalculation"]))
                         for c in detail["charges"]]
        total = re.search((r'<tfoot>.*?<td class="num">([^<]+)</td>'
                           r'<td class="num recalculation">([^<]+)</td>'),
                          page, re.S).groups()
        assert total == (money(detail["charges_total"]), money(detail["recalculation_total"]))
        for payment in detail["payments"]:
            assert f"{rub(payment['amount'])} ({payment['channel_display']})" in page


@pytest.mark.parametrize("query", ["", "?start=2024-11&end=2026-10", "?start=2026-10",
                                   "?start=2025-06&end=2025-02"])
def test_charges_totals(both, query):
    api, web = both(f"/api/v1/charges/{query}", f"/charges/{query}")
    assert by_testid(web, "charges-total") == rub(api['total'])
    footers = re.findall(r'<tfoot><tr><th scope="row">Итого</th><td class="num">[^<]*</td><td>'
                         r'</td><td class="num">([^<]+)</td><td class="num recalculation">'
                         r'([^<]+)</td>', web)
    assert footers == [(money(s["amount"]), money(s["recalculation"])) for s in api["services"]]
    headings = re.findall(r"<h2>([^<]+)</h2>", web)
    assert headings == [s["name"] for s in api["services"]]


def test_meters(both):
    api, web = both("/api/v1/meters/", "/meters/")
    sections = re.findall(r'<section class="card meter" aria-labelledby="meter-(\d+)">(.*?)'
                          r"</section>", web, re.S)
    assert [int(pk) for pk, _html in sections] == [m["id"] for m in api["meters"]]
    for (_pk, html), meter in zip(sections, api["meters"], strict=True):
        assert meter["service"]["name"] in html and meter["serial_number"] in html
        last = meter["last_reading"]
        assert f"<strong>{floatformat(Decimal(last['values'][0]), '-3')}</strong>" in html
        assert date_format(dt.date.fromisoformat(last["taken_on"]), "d.m.Y") in html
        assert (f'action="/meters/{meter["id"]}/submit/"' in html) == meter["can_take_readings"]
        if meter["reason"]:
            assert meter["reason"] in html
    assert [m["reason_code"] for m in api["meters"]].count("meter_refused") == 1
    for meter in api["meters"]:
        detail, page = both(f"/api/v1/meters/{meter['id']}/readings/?page_size=100",
                            f"/meters/{meter['id']}/")
        dates = re.findall(r'<tr><th scope="row">(\d\d\.\d\d\.\d{4})</th>', page)
        assert dates == [date_format(dt.date.fromisoformat(r["taken_on"]), "d.m.Y")
                         for r in detail["results"]]
