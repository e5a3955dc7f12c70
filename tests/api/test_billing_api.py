"""Dashboard, invoices, charges and receipt PDF through the API: alice's figures, bob cannot
reach hers by id, a token from the other utility is refused, errors translated."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from lk_core.appeals import services as appeal_services
from lk_core.appeals.models import AppealCategory
from lk_core.billing.models import ChargeLine, Payment
from lk_core.portal.models import Notice
from tests.api.conftest import api_client
from tests.api.portal_data import OUT_OF_WINDOW, freeze, in_window, someone

__all__ = ["in_window"]


@pytest.fixture
def alice(in_tenant_a):
    return someone("710001")


@pytest.fixture
def bob(in_tenant_a):
    return someone("710002", months=3, meters=1, device="bob's phone")


@pytest.fixture
def carol(in_tenant_a):
    """Registered; the billing system has sent nothing for her account yet."""
    return someone("710003", months=0, meters=0)


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["status"] == status and body["code"] == code, body
    return body


# --- dashboard ---------------------------------------------------------------------------

def test_dashboard_has_what_the_web_dashboard_shows(alice, utility_a, in_window):
    latest = alice.account.invoices.order_by("-period").first()
    Payment.objects.create(external_id="partial", account=alice.account,
                           paid_on=dt.date(2026, 11, 7), amount=Decimal("100.00"),
                           channel="bank")
    soon, expired = alice.stuff["meters"]
    soon.verified_until = dt.date(2026, 12, 31)
    soon.save(update_fields=["verified_until"])
    expired.verified_until = dt.date(2026, 11, 1)
    expired.save(update_fields=["verified_until"])
    category = AppealCategory.objects.create(name="Протечка", destination="dispatch")
    for number in range(11):
        appeal_services.appeal_create(user=alice.user, account=alice.account,
                                      category_id=category.pk, text=f"Течёт {number}")
    Notice.objects.create(title="Плановое отключение", shown_from=dt.date(2026, 11, 1))
    Notice.objects.create(title="Старое", shown_from=dt.date(2026, 1, 1),
                          shown_until=dt.date(2026, 2, 1))

    body = _ok(alice.client(utility_a).get("/api/v1/dashboard/"))

    assert body["account"] == {"id": alice.account.pk, "number": "710001",
                               "address": alice.account.address}
    assert body["amount_due"] == f"{latest.amount_due:.2f}"
    assert body["paid_since_invoice"] == "100.00"
    assert Decimal(body["balance"]) == latest.amount_due - Decimal("100.00")
    assert body["due_date"] == "2026-11-10"
    assert body["latest_invoice"] == {"id": latest.pk, "period": "2026-10",
                                      "receipt_url": "/api/v1/receipts/2026-10/"}
    assert body["last_payment"] == {"paid_on": "2026-11-07", "amount": "100.00"}
    assert body["reading_window"] == {"is_open": True, "open_until": "2026-11-25",
                                      "opens_on": "2026-12-15", "next_closes_on": "2026-12-25"}
    assert [(m["id"], m["expired"]) for m in body["meters_due"]] == [(expired.pk, True),
                                                                     (soon.pk, False)]
    assert body["open_appeals_count"] == 11 and len(body["open_appeals"]) == 10
    assert body["open_appeals"][0]["category"] == "Протечка"
    assert [n["title"] for n in body["notices"]] == ["Плановое отключение"]


def test_dashboard_when_the_window_is_closed_says_when_it_opens(alice, utility_a,
                                                                 monkeypatch):
    freeze(monkeypatch, OUT_OF_WINDOW)
    window = _ok(alice.client(utility_a).get("/api/v1/dashboard/"))["reading_window"]
    assert window == {"is_open": False, "open_until": None, "opens_on": "2026-11-15",
                      "next_closes_on": "2026-11-25"}


def test_dashboard_without_billing_data(carol, utility_a, in_window):
    body = _ok(carol.client(utility_a).get("/api/v1/dashboard/"))
    assert (body["balance"], body["latest_invoice"], body["last_payment"]) == ("0.00", None,
                                                                              None)
    assert body["account"]["number"] == "710003" and body["meters_due"] == []


# --- invoices ----------------------------------------------------------------------------

def test_invoices_are_paged_newest_first_with_their_status(alice, utility_a):
    Payment.objects.create(external_id="partial", account=alice.account,
                           paid_on=dt.date(2026, 11, 7), amount=Decimal("100.00"),
                           channel="bank")
    client = alice.client(utility_a)
    first = _ok(client.get("/api/v1/invoices/?page_size=5"))
    assert first["count"] == 24 and len(first["results"]) == 5
    assert first["next"].endswith("page=2&page_size=5") and first["previous"] is None
    assert [row["period"] for row in first["results"]] == [
        "2026-10", "2026-09", "2026-08", "2026-07", "2026-06"]
    latest, before = first["results"][:2]
    assert (latest["status"], latest["status_display"], latest["paid_after"]) == (
        "partly", "Оплачено частично", "100.00")
    assert (before["status"], before["status_display"]) == ("paid", "Оплачено")
    assert latest["receipt_url"] == "/api/v1/receipts/2026-10/"
    last = _ok(client.get("/api/v1/invoices/?page=5&page_size=5"))
    assert [row["period"] for row in last["results"]] == ["2025-02", "2025-01", "2024-12",
                                                          "2024-11"]
    _error(client.get("/api/v1/invoices/?page=6&page_size=5"), 404, "not_found")


def test_invoice_detail_has_charges_payments_and_due(alice, utility_a):
    invoice = alice.account.invoices.get(period=dt.date(2024, 12, 1))  # with a recalculation
    body = _ok(alice.client(utility_a, HTTP_ACCEPT_LANGUAGE="en")
               .get(f"/api/v1/invoices/{invoice.pk}/"))
    assert body["period"] == "2024-12" and body["status"] == "paid"
    assert body["status_display"] == "Paid"
    for field in ("opening_balance", "charged", "recalculation", "penalty", "paid",
                  "amount_due"):
        assert body[field] == f"{getattr(invoice, field):.2f}", field
    lines = ChargeLine.objects.filter(account=alice.account, period=invoice.period)
    assert [c["service"] for c in body["charges"]] == [
        "Горячее водоснабжение", "Холодное водоснабжение", "Водоотведение"]  # by code
    hvs = next(c for c in body["charges"] if c["service"] == "Холодное водоснабжение")
    assert (hvs["quantity"], hvs["tariff"], hvs["recalculation"]) == ("4.0000", "45.2000",
                                                                      "-10.00")
    assert Decimal(hvs["total"]) == Decimal(hvs["amount"]) - 10
    assert Decimal(body["charges_total"]) == sum(line.amount for line in lines)
    assert body["recalculation_total"] == "-10.00"
    assert body["payments"] == [{"paid_on": "2025-01-05", "amount": f"{invoice.amount_due:.2f}",
                                 "channel": "bank", "channel_display": "Bank"}]
    assert body["receipt_url"] == "/api/v1/receipts/2024-12/"


def test_invoices_of_another_resident_are_not_found(alice, bob, utility_a):
    bobs_invoice = bob.account.invoices.first()
    client = alice.client(utility_a)
    _error(client.get(f"/api/v1/invoices/{bobs_invoice.pk}/"), 404, "not_found")
    _error(client.get("/api/v1/invoices/999999999/"), 404, "not_found")
    assert {row["id"] for row in _ok(client.get("/api/v1/invoices/?page_size=100"))[
        "results"]}.isdisjoint(set(bob.account.invoices.values_list("pk", flat=True)))


def test_without_billing_data_the_lists_are_empty(carol, utility_a, in_window):
    client = carol.client(utility_a)
    assert _ok(client.get("/api/v1/invoices/"))["count"] == 0
    charges = _ok(client.get("/api/v1/charges/"))
    assert (charges["services"], charges["total"]) == ([], "0.00")
    assert charges["end"] == "2026-11"  # this month, as the page counts
    assert _ok(client.get("/api/v1/meters/"))["meters"] == []
    _error(client.get("/api/v1/receipts/2026-10/"), 404, "not_found")


# --- charges -----------------------------------------------------------------------------

def test_charges_for_one_month(alice, utility_a):
    body = _ok(alice.client(utility_a).get("/api/v1/charges/?period=2026-10"))
    assert (body["start"], body["end"], body["months"]) == ("2026-10", "2026-10", ["2026-10"])
    lines = ChargeLine.objects.filter(account=alice.account, period=dt.date(2026, 10, 1))
    assert Decimal(body["amount"]) == sum(line.amount for line in lines)
    assert body["recalculation"] == "0.00" and body["total"] == body["amount"]
    assert [s["code"] for s in body["services"]] == ["GVS", "HVS", "VO"]
    gvs = body["services"][0]
    assert gvs["months"] == [{"period": "2026-10", "quantity": "5.0000",
                              "tariff": "210.5000", "amount": "1052.50",
                              "recalculation": "0.00", "total": "1052.50"}]
    assert {s["service"]: s["totals"] for s in body["series"]}["Горячее водоснабжение"] == [
        "1052.50"]


def test_charges_for_a_range_and_the_defaults(alice, utility_a):
    client = alice.client(utility_a)
    ranged = _ok(client.get("/api/v1/charges/?start=2024-11&end=2025-01"))
    assert ranged["months"] == ["2024-11", "2024-12", "2025-01"]
    assert ranged["recalculation"] == "-10.00"
    hvs = next(s for s in ranged["services"] if s["code"] == "HVS")
    assert [m["recalculation"] for m in hvs["months"]] == ["0.00", "-10.00", "0.00"]
    assert Decimal(hvs["total"]) == sum(Decimal(m["total"]) for m in hvs["months"])
    assert Decimal(ranged["total"]) == sum(Decimal(s["total"]) for s in ranged["services"])
    series = {s["service"]: s["totals"] for s in ranged["series"]}
    assert series["Холодное водоснабжение"] == [m["total"] for m in hvs["months"]]
    default = _ok(client.get("/api/v1/charges/"))
    assert (default["start"], default["end"], len(default["months"])) == ("2025-11", "2026-10",
                                                                          12)
    swapped = _ok(client.get("/api/v1/charges/?start=2025-01&end=2024-11"))
    assert swapped["months"] == ranged["months"]
    long = _ok(client.get("/api/v1/charges/?start=2000-01&end=2026-10"))
    assert (long["start"], len(long["months"])) == ("2023-11", 36)  # the latest three years


@pytest.mark.parametrize(("query", "field"), [
    ("start=2026-13", "start"), ("end=10.2026", "end"), ("period=9999-12", "period"),
    ("start=" + "2" * 50, "start")])
def test_bad_months_are_refused_in_the_request_language(alice, utility_a, query, field):
    ru = _error(alice.client(utility_a).get(f"/api/v1/charges/?{query}"), 400, "invalid")
    assert list(ru["fields"]) == [field]
    en = _error(alice.client(utility_a, HTTP_ACCEPT_LANGUAGE="en")
                .get(f"/api/v1/charges/?{query}"), 400, "invalid")
    assert en["fields"][field][0].startswith(("Enter a month", "Ensure this field"))
    assert ru["fields"][field] != en["fields"][field]


def test_a_month_and_a_range_together_are_refused(alice, utility_a):
    body = _error(alice.client(utility_a, HTTP_ACCEPT_LANGUAGE="en")
                  .get("/api/v1/charges/?period=2026-10&start=2026-01"), 400, "invalid")
    assert body["message"] == "Give either a month or a range of months."


def test_the_web_charges_page_refuses_far_years_too(alice, client_a):
    client_a.force_login(alice.user, backend="lk_core.identity.backends.AccountNumberBackend")
    response = client_a.get("/charges/?start=9999-12")
    assert response.status_code == 200 and "2199-12" in response.content.decode()


# --- receipts ----------------------------------------------------------------------------

def test_receipt_pdf_for_a_month(alice, utility_a):
    response = alice.client(utility_a, HTTP_ACCEPT="application/pdf").get(
        "/api/v1/receipts/2026-10/")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert 'filename="receipt-710001-2026-10.pdf"' in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    plain = alice.client(utility_a).get("/api/v1/receipts/2026-09/")  # Accept: anything
    assert plain.status_code == 200 and plain.content.startswith(b"%PDF")


def test_receipt_refusals_are_json_even_when_a_pdf_was_asked_for(alice, utility_a):
    client = alice.client(utility_a, HTTP_ACCEPT="application/pdf")
    for period in ("2020-01", "2026-13", "0000-01"):  # no invoice; no such month
        response = client.get(f"/api/v1/receipts/{period}/")
        assert response["Content-Type"] == "application/json", period
        _error(response, 404, "not_found")
    response = api_client(utility_a, HTTP_ACCEPT="application/pdf").get(
        "/api/v1/receipts/2026-10/")
    assert response["Content-Type"] == "application/json"
    _error(response, 401, "not_authenticated")


def test_bob_gets_only_his_own_receipt(alice, bob, utility_a):
    # Bob's three months end in October too: his receipt is his, never alice's.
    response = bob.client(utility_a).get("/api/v1/receipts/2026-10/")
    assert response.status_code == 200
    assert 'receipt-710002-2026-10.pdf' in response["Content-Disposition"]
    _error(bob.client(utility_a).get("/api/v1/receipts/2025-01/"), 404, "not_found")


# --- tenants, tokens, throttling ---------------------------------------------------------

READS = ["/api/v1/dashboard/", "/api/v1/invoices/", "/api/v1/charges/",
         "/api/v1/receipts/2026-10/"]


def test_a_token_from_the_other_utility_is_refused(alice, utility_a, utility_b, in_schema):
    invoice = alice.account.invoices.first()
    other = alice.client(utility_b)
    for path in [*READS, f"/api/v1/invoices/{invoice.pk}/"]:
        _error(other.get(path), 401, "token_invalid")


def test_the_other_utility_s_resident_with_the_same_number_sees_only_their_own(
        alice, utility_a, utility_b, in_schema):
    with in_schema(utility_b):
        charlie = someone("710001", months=2, meters=0)
    body = _ok(charlie.client(utility_b).get("/api/v1/invoices/"))
    assert [row["period"] for row in body["results"]] == ["2026-10", "2026-09"]
    # Ids are per utility: alice's ids that are not charlie's own are unknown in his utility.
    charlies = {row["id"] for row in body["results"]}
    alices = set(alice.account.invoices.values_list("pk", flat=True)) - charlies
    for invoice_id in sorted(alices)[:3]:
        _error(charlie.client(utility_b).get(f"/api/v1/invoices/{invoice_id}/"), 404,
               "not_found")


def test_signed_out_callers_are_refused(utility_a, alice):
    for path in READS:
        _error(api_client(utility_a).get(path), 401, "not_authenticated")


def test_reads_are_throttled_per_resident(alice, bob, utility_a, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "read": "3/min"}}
    client = alice.client(utility_a, HTTP_ACCEPT_LANGUAGE="en")
    for path in READS[:3]:
        _ok(client.get(path))
    body = _error(client.get("/api/v1/charges/"), 429, "throttled")
    assert body["message"].startswith("Request was throttled")
    _ok(bob.client(utility_a).get("/api/v1/dashboard/"))  # bob has his own budget


def test_writes_are_not_accepted_on_read_endpoints(alice, utility_a):
    for path in READS:
        _error(alice.client(utility_a).post(path, {}, format="json"), 405,
               "method_not_allowed")



def test_query_counts_do_not_grow_with_history(in_tenant_a, utility_a, in_window):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, months, meters in (("small", 2, 1), ("big", 24, 6)):
        resident = someone(f"71009{months}", months=months, meters=meters, device=name)
        invoice = resident.account.invoices.order_by("-period").first()
        client = resident.client(utility_a)
        paths = ["/api/v1/dashboard/", "/api/v1/invoices/", f"/api/v1/invoices/{invoice.pk}/",
                 "/api/v1/charges/?start=2024-01&end=2026-10", "/api/v1/meters/",
                 f"/api/v1/meters/{resident.meter.pk}/",
                 f"/api/v1/meters/{resident.meter.pk}/readings/"]
        counts[name] = []
        for path in paths:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(path).status_code == 200, path
            counts[name].append(len(queries))
    assert counts["small"] == counts["big"]
    assert max(counts["big"]) <= 14, counts["big"]


def test_unknown_query_parameters_are_refused(alice, utility_a):
    client = alice.client(utility_a, HTTP_ACCEPT_LANGUAGE="en")
    body = _error(client.get("/api/v1/invoices/?page=1&sort=period"), 400, "invalid")
    assert body["fields"] == {"sort": ["Unknown parameter."]}
    body = _error(alice.client(utility_a).get("/api/v1/charges/?month=2026-10"), 400,
                  "invalid")
    assert body["fields"] == {"month": ["Неизвестный параметр."]}
    _error(client.get("/api/v1/dashboard/?x=1"), 400, "invalid")
    _error(api_client(utility_a).get("/api/v1/invoices/?sort=x"), 401, "not_authenticated")


def test_receipt_downloads_are_limited_per_resident_across_web_and_api(alice, bob, utility_a,
                                                                       settings):
    from django.test import Client

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "receipts": "3/hour"}}
    web = Client(HTTP_HOST=utility_a.get_primary_domain().domain)
    web.force_login(alice.user, backend="lk_core.identity.backends.AccountNumberBackend")
    api = alice.client(utility_a)
    assert web.get("/receipts/2026-10.pdf").status_code == 200
    assert web.get("/receipts/2026-09.pdf").status_code == 200
    assert api.get("/api/v1/receipts/2026-10/").status_code == 200  # the third, by the API
    refused = web.get("/receipts/2026-10.pdf")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 3600
    assert refused["Content-Type"].startswith("text/html")
    assert "Слишком много квитанций подряд" in refused.content.decode()
    _error(api.get("/api/v1/receipts/2026-10/"), 429, "throttled")
    english = web.get("/receipts/2026-10.pdf", HTTP_ACCEPT_LANGUAGE="en")
    assert "Please try again in" in english.content.decode()
    assert bob.client(utility_a).get("/api/v1/receipts/2026-10/").status_code == 200
