"""The dashboard's speed work without its risks: at most one `SET search_path` per request,
the cached dashboard shows every change at once (import, appeal, staff status, notice,
reading), the Pay button starts the payment; other resident and other tenant."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lk_core.appeals import services as appeal_services
from lk_core.appeals.models import AppealCategory
from lk_core.billing.models import Account
from lk_core.billing.services import billing_package_import
from lk_core.identity.models import Resident, ResidentAccount
from lk_core.meters.services import reading_submit
from lk_core.users.models import User, UserKind
from tenants import middleware as tenant_middleware
from tests.conftest import staff_login, tenant_client
from tests.payments.conftest import configure
from tests.portal import data
from tests.portal.test_pages import BACKEND, IN_WINDOW, login

SAMPLE = "/work/shared/samples/billing-enskvoda"


@pytest.fixture
def frozen_now(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: IN_WINDOW)


@pytest.fixture
def alice(in_tenant_a):
    user, account = data.resident("710001")
    data.history(account, months=24, meters=2)
    return user, account


def _set_statements(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return [q["sql"] for q in queries if q["sql"].upper().startswith("SET SEARCH_PATH")]


def test_at_most_one_set_search_path_per_request(client_a, client_b, alice, utility_b,
                                                 frozen_now):
    user, account = alice
    login(client_a, user)
    invoice = account.invoices.order_by("-period").first()
    connection.set_schema_to_public()
    pages = ["/", f"/invoices/{invoice.pk}/", "/meters/", "/charges/", "/branding.css"]
    client_a.get("/")  # this process now knows the host's schema
    for url in pages:
        # A connection that has no search path yet (new, or after a rollback): one SET
        # serves the tenant lookup and the page.
        connection.set_schema_to_public()
        assert len(_set_statements(client_a, url)) == 1, url
        # The connection already on this utility's schema: none at all.
        assert _set_statements(client_a, url) == [], url
    # Another utility's host on the same connection: exactly one, to that utility.
    switched = _set_statements(client_b, "/help/")
    assert len(switched) == 1 and utility_b.schema_name in switched[0]
    switched = _set_statements(client_a, "/")
    assert len(switched) == 1 and "u_alpha" in switched[0]


def test_unknown_host_costs_no_more_than_one_set(db):
    from django.test import Client

    tenant_middleware._SCHEMA_BY_HOST.clear()
    client = Client(HTTP_HOST="nobody.localhost")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 404
    assert sum(q["sql"].upper().startswith("SET SEARCH_PATH")
               for q in queries.captured_queries) <= 1


def test_dashboard_queries_stay_few_when_cached(client_a, alice, frozen_now):
    user, _account = alice
    login(client_a, user)
    client_a.get("/")
    connection.set_schema_to_public()
    with CaptureQueriesContext(connection) as queries:
        assert client_a.get("/").status_code == 200
    # tenant, session, user, resident with its account and versions; nothing else
    assert len(queries) <= 5, [q["sql"][:80] for q in queries]


def _linked_resident(number: str) -> User:
    account = Account.objects.get(number=number)
    user = User.objects.create_user(username=f"r-{number}", password=data.PASSWORD,
                                    kind=UserKind.RESIDENT)
    resident = Resident.objects.create(user=user, current_account=account,
                                       registered_via="amount")
    ResidentAccount.objects.create(resident=resident, account=account, method="amount")
    return user


def test_an_import_shows_at_once(client_a, in_tenant_a, tmp_path, frozen_now):
    package = tmp_path / "enskvoda"
    shutil.copytree(SAMPLE, package)
    assert billing_package_import(package_path=package, source="test").status == "succeeded"
    user = _linked_resident("100000001")
    login(client_a, user)
    before = client_a.get("/").content.decode()
    assert "Последняя оплата: 6\xa0261,96\xa0₽ от 17.10.2026" in before
    assert "уже оплачено" not in before
    payments = package / "payments.csv"
    payments.write_text(payments.read_text(encoding="utf-8").rstrip("\n")
                        + "\nP999000001,100000001,2026-11-05,500.00,bank\n", encoding="utf-8")
    run = billing_package_import(package_path=package, source="test")
    assert run.status == "succeeded", run.report.get("problems")
    after = client_a.get("/").content.decode()
    assert "Последняя оплата: 500,00\xa0₽ от 05.11.2026" in after
    assert "уже оплачено 500,00\xa0₽" in after


def test_appeals_and_staff_status_show_at_once(client_a, alice, frozen_now):
    user, account = alice
    category = AppealCategory.objects.create(name="Нет воды", destination="company")
    login(client_a, user)
    assert "Открытых обращений нет" in client_a.get("/").content.decode()
    appeal = appeal_services.appeal_create(user=user, account=account,
                                           category_id=category.pk, text="Нет воды с утра")
    assert f"№{appeal.pk} Нет воды" in client_a.get("/").content.decode()
    staff = User.objects.get(username="admin@alpha.test")
    appeal_services.appeal_set_status(appeal=appeal, staff_user=staff, status="closed")
    assert "Открытых обращений нет" in client_a.get("/").content.decode()


def test_a_notice_from_the_staff_console_shows_at_once(client_a, alice, utility_a,
                                                       frozen_now):
    user, _account = alice
    resident_client = login(tenant_client(utility_a), user)
    assert "Плановое отключение" not in resident_client.get("/").content.decode()
    staff_login(client_a, utility_a, "admin@alpha.test")
    response = client_a.post("/staff/portal/notice/add/", {
        "title": "Плановое отключение", "body": "Воды не будет 21 ноября.",
        "shown_from": "2026-11-01", "shown_until": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "Плановое отключение" in resident_client.get("/").content.decode()


def test_a_reading_and_a_language_change_are_not_served_stale(client_a, alice, frozen_now):
    user, account = alice
    meter = account.meters.order_by("pk").first()
    login(client_a, user)
    client_a.get("/")
    version = Account.objects.get(pk=account.pk).data_version
    reading_submit(user=user, account=account, meter=meter, values=[Decimal("175")],
                   channel="web")
    assert Account.objects.get(pk=account.pk).data_version == version + 1
    client_a.cookies["django_language"] = "en"
    assert "To pay" in client_a.get("/").content.decode()


def test_pay_button_starts_the_payment_for_the_current_account(client_a, alice, frozen_now):
    user, account = alice
    configure("sandbox")
    login(client_a, user)
    body = client_a.get("/").content.decode()
    assert 'href="/payments/" data-testid="pay"' in body
    pay = client_a.get("/payments/").content.decode()
    invoice = account.invoices.order_by("-period").first()
    assert f'<option value="{account.pk}" selected>' in pay
    assert f'value="{invoice.amount_due}"' in pay


def test_cached_dashboards_are_per_resident(client_a, alice, in_tenant_a, frozen_now):
    """Bob's dashboard never shows Alice's figures, cached or not."""
    alice_user, alice_account = alice
    bob_user, bob_account = data.resident("710002")
    data.history(bob_account, months=2, meters=1, last_period=dt.date(2026, 10, 1))
    login(client_a, alice_user)
    alice_page = client_a.get("/").content.decode()
    bob_client = login(type(client_a)(HTTP_HOST=client_a.defaults["HTTP_HOST"]), bob_user)
    bob_page = bob_client.get("/").content.decode()
    assert alice_page != bob_page
    alice_due = alice_account.invoices.order_by("-period").first().amount_due
    bob_due = bob_account.invoices.order_by("-period").first().amount_due
    assert alice_due != bob_due
    assert f"{bob_due}".replace(".", ",") in bob_page.replace("\xa0", "")
    assert f"{alice_due}".replace(".", ",") not in bob_page.replace("\xa0", "")


def test_other_tenant_host_serves_its_own_dashboard(client_a, client_b, alice, utility_b,
                                                    frozen_now):
    user, _account = alice
    login(client_a, user)
    assert client_a.get("/").status_code == 200
    client_b.force_login(user, backend=BACKEND)  # a session made in tenant A's schema
    connection.set_schema_to_public()
    response = client_b.get("/")
    assert "К оплате" not in response.content.decode()


def test_uncached_dashboard_queries_do_not_grow_with_history(client_a, in_tenant_a,
                                                             frozen_now):
    from django.core.cache import cache

    counts = []
    for number, months, meters in (("710020", 2, 1), ("710021", 24, 6)):
        user, account = data.resident(number)
        data.history(account, months=months, meters=meters)
        client = login(type(client_a)(HTTP_HOST=client_a.defaults["HTTP_HOST"]), user)
        client.get("/")
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8, counts


def test_a_portal_payment_moves_the_account_version(alice, frozen_now):
    from lk_core.payments.services import payment_create

    user, account = alice
    configure("sandbox")
    before = Account.objects.get(pk=account.pk).data_version
    payment_create(user=user, account=account, site_url="http://alpha.localhost")
    assert Account.objects.get(pk=account.pk).data_version > before


def test_a_renamed_category_shows_at_once(client_a, alice, frozen_now):
    user, account = alice
    category = AppealCategory.objects.create(name="Нет воды", destination="company")
    appeal = appeal_services.appeal_create(user=user, account=account,
                                           category_id=category.pk, text="Нет воды с утра")
    login(client_a, user)
    assert f"№{appeal.pk} Нет воды" in client_a.get("/").content.decode()
    category.name = "Отключение воды"
    appeal_services.appeal_category_save(actor=User.objects.get(username="admin@alpha.test"),
                                         category=category, fields=["name"])
    assert f"№{appeal.pk} Отключение воды" in client_a.get("/").content.decode()
