"""The resident's inbox: written with the outbox by the notifications services, read and
marked through the API. Alice sees her own messages only; Bob's and the other utility's
are out of reach; messages that carry a password never appear."""

from __future__ import annotations

import pytest

from lk_core.billing.models import Account
from lk_core.notifications import selectors, services
from lk_core.notifications.models import InboxMessage, Kind, NotificationPreference
from lk_core.notifications.selectors import recipients_for_accounts
from tests.api.conftest import api_client, sign_in


def _account(number: str) -> Account:
    return Account.objects.get(number=number)


def _payment(user, number: str, amount: str, key: str):
    return services.notification_enqueue(
        kind=Kind.PAYMENT_RECEIVED, user=user, account=_account(number),
        context={"amount": amount, "account_number": number, "paid_on": "24.11.2026"},
        dedupe_key=key)


@pytest.fixture
def alices(utility_a, alice):
    return api_client(utility_a, sign_in(utility_a, "100000001")["access"],
                      HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def bobs(utility_a, bob):
    return api_client(utility_a, sign_in(utility_a, "100000002")["access"],
                      HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def messages(utility_a, in_schema, alice, bob):
    """Alice: a payment, then a password reset (never in the inbox), then an invoice for
    both accounts from one import; Bob gets his invoice."""
    with in_schema(utility_a):
        _payment(alice, "100000001", "500.00", "pay:1")
        services.notification_enqueue(kind=Kind.PASSWORD_RESET, user=alice,
                                      context={"reset_url": "https://x.test/secret"})
        accounts = [_account("100000001"), _account("100000002")]
        services.notifications_for_accounts(
            kind=Kind.INVOICE_AVAILABLE, recipients=recipients_for_accounts(accounts),
            contexts={a.pk: {"account_number": a.number, "period": "11.2026",
                             "amount_due": "1234.56"} for a in accounts},
            batch_key="import-1", dedupe_prefix="invoice:2026-11")
        return {m.kind: m.pk for m in InboxMessage.objects.filter(user=alice)}


def test_newest_first_rendered_in_the_request_language(utility_a, messages, alices, alice):
    page = alices.get("/api/v1/notifications/").json()
    assert (page["count"], page["unread"]) == (2, 2)
    assert [(m["kind"], m["title"], m["is_read"]) for m in page["results"]] == [
        ("invoice_available", "Your invoice for 11.2026 is ready", False),
        ("payment_received", "Payment received", False)]
    assert "1,234.56 RUB" in page["results"][0]["text"]  # grouped, in English
    assert page["results"][0]["account_number"] == "100000001"
    russian = api_client(utility_a, sign_in(utility_a, "100000001", device="iPhone")["access"])
    titles = [m["title"] for m in russian.get("/api/v1/notifications/").json()["results"]]
    assert titles == ["Квитанция за 11.2026 готова", "Платёж получен"]


def test_password_messages_and_receipt_mail_never_reach_the_inbox(utility_a, in_schema,
                                                                   messages, alice, alices):
    with in_schema(utility_a):
        services.notification_enqueue(kind=Kind.RECEIPT, user=alice,
                                      account=_account("100000001"),
                                      context={"account_number": "100000001",
                                               "period": "11.2026", "amount_due": "1.00"})
    shown = alices.get("/api/v1/notifications/").json()
    assert [m["kind"] for m in shown["results"]] == ["invoice_available", "payment_received"]
    assert "password_reset" not in str(shown) and "secret" not in str(shown)


def test_the_same_event_twice_is_one_message_and_muted_kinds_stay_out(
        utility_a, in_schema, messages, alice, alices):
    with in_schema(utility_a):
        _payment(alice, "100000001", "500.00", "pay:1")  # a webhook seen twice
        NotificationPreference.objects.update_or_create(
            user=alice, defaults={"muted_kinds": [Kind.DEBT_REMINDER]})
        services.notification_enqueue(kind=Kind.DEBT_REMINDER, user=alice,
                                      account=_account("100000001"),
                                      context={"amount_due": "9999.00"})
    kinds = [m["kind"] for m in alices.get("/api/v1/notifications/").json()["results"]]
    assert kinds == ["invoice_available", "payment_received"]


def test_mark_one_then_all_read(messages, alices):
    read = alices.post(f"/api/v1/notifications/{messages['payment_received']}/read/")
    assert read.status_code == 200 and read.json()["is_read"] and read.json()["read_at"]
    first_read_at = read.json()["read_at"]
    again = alices.post(f"/api/v1/notifications/{messages['payment_received']}/read/")
    assert again.json()["read_at"] == first_read_at  # the first reading counts
    assert alices.get("/api/v1/notifications/").json()["unread"] == 1
    everything = alices.post("/api/v1/notifications/read/")
    assert everything.json() == {"marked": 1, "unread": 0}
    page = alices.get("/api/v1/notifications/").json()
    assert all(m["is_read"] for m in page["results"])


def test_paged(utility_a, in_schema, alice, alices):
    with in_schema(utility_a):
        for index in range(5):
            _payment(alice, "100000001", f"{index}.00", f"pay:{index}")
    page = alices.get("/api/v1/notifications/?page_size=2&page=3").json()
    assert page["count"] == 5 and page["next"] is None and page["previous"]
    assert [m["text"].split(" RUB")[0].rsplit(" ", 1)[-1] for m in page["results"]] == ["0.00"]


def test_bob_sees_only_his_and_cannot_mark_alices(utility_a, in_schema, messages, bobs,
                                                  alices):
    page = bobs.get("/api/v1/notifications/").json()
    assert [(m["kind"], m["account_number"]) for m in page["results"]] == [
        ("invoice_available", "100000002")]
    response = bobs.post(f"/api/v1/notifications/{messages['payment_received']}/read/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert bobs.post("/api/v1/notifications/read/").json()["marked"] == 1
    assert alices.get("/api/v1/notifications/").json()["unread"] == 2  # untouched


def test_other_tenant(utility_a, utility_b, messages, alices, charlie_b):
    token = alices._credentials["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    assert api_client(utility_b, token).get("/api/v1/notifications/").status_code == 401
    charlies = api_client(utility_b, sign_in(utility_b, "100000001")["access"])
    assert charlies.get("/api/v1/notifications/").json()["count"] == 0
    assert charlies.post(
        f"/api/v1/notifications/{messages['payment_received']}/read/").status_code == 404


def test_anonymous_is_401(utility_a):
    assert api_client(utility_a).get("/api/v1/notifications/").status_code == 401
    assert api_client(utility_a).post("/api/v1/notifications/read/").status_code == 401


def test_inbox_page_reads_in_fixed_queries(utility_a, in_schema, alice,
                                           django_assert_max_num_queries):
    with in_schema(utility_a):
        for index in range(30):
            _payment(alice, "100000001", f"{index}.00", f"pay:{index}")
        with django_assert_max_num_queries(1):
            rows = list(selectors.inbox_for_user(user=alice)[:20])
            assert all(row.account.number == "100000001" for row in rows)


def test_the_portal_page_shows_the_same_inbox(utility_a, client_a, messages, alice, bob,
                                              alices):
    from tests.identity.helpers import log_in

    assert log_in(client_a, "100000001").status_code == 302
    page = client_a.get("/notifications/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    titles = [m["title"] for m in api_client(
        utility_a, alices._credentials["HTTP_AUTHORIZATION"].removeprefix("Bearer "),
        HTTP_ACCEPT_LANGUAGE="ru").get("/api/v1/notifications/").json()["results"]]
    assert titles == ["Квитанция за 11.2026 готова", "Платёж получен"]
    assert all(title in page for title in titles)
    assert "2 непрочитанных" in page and 'href="/notifications/"' in page
    assert "100000002" not in page  # Bob's invoice is his
    assert client_a.post("/notifications/read/").status_code == 302
    assert alices.get("/api/v1/notifications/").json()["unread"] == 0
    assert "непрочитанн" not in client_a.get("/notifications/").content.decode()


def test_the_portal_page_needs_a_resident(client_a):
    response = client_a.get("/notifications/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_staff_wording_is_used_and_a_broken_one_falls_back(utility_a, in_schema, messages,
                                                           alices):
    from lk_core.notifications.models import MessageTemplate

    with in_schema(utility_a):
        MessageTemplate.objects.create(kind=Kind.PAYMENT_RECEIVED,
                                       email_subject="Спасибо за {{ amount }} руб.")
        MessageTemplate.objects.create(kind=Kind.INVOICE_AVAILABLE,
                                       email_subject="Счёт {{ period|nosuch }}")  # a typo
    titles = [m["title"] for m in alices.get("/api/v1/notifications/").json()["results"]]
    assert titles == ["Your invoice for 11.2026 is ready", "Спасибо за 500.00 руб."]


def test_the_inbox_answers_in_the_same_queries_however_long_it_is(utility_a, in_schema, alice,
                                                                  alices):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert alices.get("/api/v1/notifications/").status_code == 200
        return len(captured)

    with in_schema(utility_a):
        for index in range(3):
            _payment(alice, "100000001", f"{index}.00", f"pay:{index}")
    short = queries()
    with in_schema(utility_a):
        for index in range(3, 60):
            _payment(alice, "100000001", f"{index}.00", f"pay:{index}")
    assert queries() == short


def test_an_appeal_notice_carries_its_appeal_for_the_app(utility_a, in_schema, alice, alices,
                                                         messages):
    with in_schema(utility_a):
        services.notification_enqueue(
            kind=Kind.APPEAL_STATUS, user=alice, account=_account("100000001"),
            context={"appeal_number": "42", "status_code": "in_progress"},
            dedupe_key="appeal:42:1")
    results = alices.get("/api/v1/notifications/").json()["results"]
    notice = next(m for m in results if m["kind"] == "appeal_status")
    assert notice["appeal_id"] == 42
    assert notice["url"].startswith("http") and notice["url"].endswith("/appeals/42/")
    others = [m for m in results if m["kind"] != "appeal_status"]
    assert others and all(m["appeal_id"] is None and m["url"] == "" for m in others)
