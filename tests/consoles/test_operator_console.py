"""The operator console: utilities with figures, state changes with a message, audit, and
no resident's personal data anywhere in it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from lk_core.staff.models import StaffAuditEvent
from lk_core.users.models import User
from lk_core.users.services import operator_user_create
from tenants.models import Utility, UtilityAuditEvent
from tests.conftest import tenant_client
from tests.factories import AccountFactory

RESIDENT = {"first_name": "Агафья", "last_name": "Пантелеймонова",
            "email": "agafya.private@mail.test"}
ACCOUNT = {"number": "777000111", "holder_name": "Пантелеймонова А. П.",
           "address": "г. Энск, ул. Секретная, д. 13, кв. 7"}


@pytest.fixture
def operator(db) -> Client:
    user = operator_user_create(email="ops@platform.test", password="Operator-Pass-2026")
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    client.force_login(user)
    return client


@pytest.fixture
def resident_data(utility_a):
    with schema_context(utility_a.schema_name):
        User.objects.create_user(username=ACCOUNT["number"], kind="resident", **RESIDENT)
        AccountFactory(**ACCOUNT)
        AccountFactory(number="777000112")


def test_utility_list_shows_state_and_figures(operator, resident_data, utility_a, utility_b):
    body = operator.get("/console/tenants/utility/").content.decode()
    assert "Alpha Water" in body and "Beta Heat" in body
    row_a = body.split("Alpha Water", 1)[1].split("</tr>", 1)[0]
    cells = [c.split(">", 1)[1].split("<", 1)[0] for c in row_a.split("<td")[1:]]
    assert cells[-4:-1] == ["2", "1", "1"]  # accounts, residents, staff (the admin)


def test_figures_cost_one_query_per_listed_utility(operator, utility_a):
    operator.get("/console/tenants/utility/")  # warm: session, content types
    with CaptureQueriesContext(connection) as few:
        operator.get("/console/tenants/utility/")
    from tenants.services import utility_create

    for slug in ("fig-one", "fig-two", "fig-three"):
        utility_create(slug=slug, name=slug, actor="tests")
    operator.get("/console/tenants/utility/")  # warm again: the connection's search path
    with CaptureQueriesContext(connection) as more:
        operator.get("/console/tenants/utility/")
    figure_queries = [q for q in more.captured_queries if "billing_account" in q["sql"]]
    assert len(figure_queries) == Utility.objects.exclude(schema_name="public").count()
    assert len(more) - len(few) == 3


def test_operator_never_sees_residents_personal_data(operator, resident_data, utility_a):
    pages = ["/console/", "/console/tenants/utility/",
             f"/console/tenants/utility/{utility_a.pk}/change/",
             f"/console/tenants/utility/{utility_a.pk}/state/",
             "/console/tenants/utilityauditevent/", "/console/users/user/"]
    secrets = [*RESIDENT.values(), *ACCOUNT.values()]
    for url in pages:
        response = operator.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert not [s for s in secrets if s in body], url
    # The user list of the operator console is the public schema: operators only.
    users = operator.get("/console/users/user/").content.decode()
    assert "ops@platform.test" in users and "admin@alpha.test" not in users


def test_suspension_with_a_message_closes_the_portal_and_is_audited(operator, utility_a):
    response = operator.post(f"/console/tenants/utility/{utility_a.pk}/state/", {
        "state": "suspended", "message": "Договор расторгнут с 1 декабря."})
    assert response.status_code == 302
    portal = tenant_client(utility_a).get("/")
    assert portal.status_code == 503 and "Договор расторгнут" in portal.content.decode()
    event = UtilityAuditEvent.objects.filter(utility=utility_a).first()
    assert event.action == "state_changed" and event.actor == "operator:ops@platform.test"
    assert event.details["to"] == "suspended"
    operator.post(f"/console/tenants/utility/{utility_a.pk}/state/",
                  {"state": "maintenance", "message": "Обновляем"})
    assert tenant_client(utility_a).post("/").status_code == 503
    assert tenant_client(utility_a).get("/").status_code == 200


def test_unknown_state_is_refused(operator, utility_a):
    response = operator.post(f"/console/tenants/utility/{utility_a.pk}/state/",
                             {"state": "exploded"})
    assert response.status_code == 200 and b"errorlist" in response.content
    assert Utility.objects.get(pk=utility_a.pk).state == "active"


def test_operator_edit_goes_through_services_and_both_audit_logs(operator, utility_a):
    data = {"name": "Alpha Water Plus", "kind": "water", "timezone": "Asia/Omsk",
            "theme": "modern", "primary_color": "#0b5cad", "accent_color": "#f2a900",
            "tagline": "", "dispatch_phone": "", "support_phone": "", "support_email": "",
            "postal_address": "", "office_hours": "",
            "domains-TOTAL_FORMS": "0", "domains-INITIAL_FORMS": "0"}
    response = operator.post(f"/console/tenants/utility/{utility_a.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    fresh = Utility.objects.get(pk=utility_a.pk)
    assert (fresh.name, fresh.timezone, fresh.theme) == ("Alpha Water Plus", "Asia/Omsk",
                                                         "modern")
    actions = set(UtilityAuditEvent.objects.filter(utility=utility_a)
                  .values_list("action", flat=True))
    assert {"identity_changed", "settings_changed", "branding_changed"} <= actions
    with schema_context(utility_a.schema_name):
        assert StaffAuditEvent.objects.filter(actor="operator:ops@platform.test").count() == 3
    assert "Alpha Water Plus" in tenant_client(utility_a).get("/").content.decode()


def test_staff_of_a_utility_cannot_open_the_operator_console(utility_a, staff_of):
    client = staff_of(utility_a, "admin")
    assert client.get("/console/").status_code == 404  # not served on tenant hosts
    public = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    response = public.post("/console/login/", {"username": "role-admin@alpha.test",
                                               "password": "Staff-Password-2026"})
    assert response.status_code == 200  # the form again: no such user on the platform host
    assert public.get("/console/").status_code == 302


def test_operator_with_one_time_password_changes_it_first(db):
    user = operator_user_create(email="new-ops@platform.test", password="Operator-Pass-2026")
    user.must_change_password = True
    user.save(update_fields=["must_change_password"])
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    client.force_login(user)
    response = client.get("/console/tenants/utility/")
    assert response.status_code == 302 and response["Location"] == "/console/password_change/"


def test_onboarding_sets_the_registration_method(operator):
    from lk_core.identity.models import IdentitySettings

    response = operator.post("/console/tenants/utility/add/", {
        "name": "Сигма", "slug": "sigma", "kind": "water", "timezone": "Europe/Moscow",
        "theme": "classic", "primary_color": "#22577a", "accent_color": "#ffd166",
        "staff_email": "admin@sigma.test", "registration_method": "office", "domain": ""})
    assert response.status_code == 302
    utility = Utility.objects.get(slug="sigma")
    with schema_context(utility.schema_name):
        assert IdentitySettings.objects.get().registration_method == "office"
        event = StaffAuditEvent.objects.get(action="identity_settings_changed")
        assert event.actor == "operator:ops@platform.test"


def _onboard(operator, slug: str, **extra):
    response = operator.post("/console/tenants/utility/add/", {
        "name": slug.title(), "slug": slug, "kind": "water", "timezone": "Asia/Omsk",
        "theme": "modern", "primary_color": "#22577a", "accent_color": "#ffd166",
        "staff_email": f"admin@{slug}.test", "domain": "", **extra})
    assert response.status_code == 302, response.content.decode()[:3000]
    return Utility.objects.get(slug=slug)


def _resident_pay_page(utility) -> str:
    from tests.portal import data

    with schema_context(utility.schema_name):
        user, _account = data.resident("880001")
        client = tenant_client(utility)
        client.force_login(user, backend="lk_core.identity.backends.AccountNumberBackend")
        return client.get("/payments/").content.decode()


@pytest.mark.parametrize(("acquirer", "offered"), [("sandbox", True), ("none", False),
                                                   ("stripe", False), ("yookassa", False)])
def test_onboarding_sets_the_acquirer_and_the_portal_uses_it(operator, acquirer, offered):
    """Sandbox needs no credentials: residents of the new portal may pay by card at once.
    Stripe and YooKassa wait for the administrator's credentials; none never offers it."""
    from lk_core.payments.models import PaymentSettings

    utility = _onboard(operator, f"acq-{acquirer}", registration_method="office",
                       acquirer=acquirer)
    assert utility.theme == "modern" and utility.timezone == "Asia/Omsk"
    with schema_context(utility.schema_name):
        row = PaymentSettings.objects.get()
        assert (row.acquirer, row.mode, row.credentials_encrypted) == (acquirer, "test", "")
        audited = StaffAuditEvent.objects.filter(action="payment_settings_changed").first()
        if acquirer == "none":
            assert audited is None  # the default: nothing changed
        else:
            assert audited.actor == "operator:ops@platform.test"
            assert audited.details["acquirer"] == {"from": "none", "to": acquirer}
    page = _resident_pay_page(utility)
    not_available = "pay by the QR code" in page or "QR-код" in page
    assert not_available is not offered
    assert ('name="amount"' in page) is offered


def test_onboarding_refuses_an_unknown_acquirer(operator):
    response = operator.post("/console/tenants/utility/add/", {
        "name": "X", "slug": "acq-bad", "kind": "water", "timezone": "Europe/Moscow",
        "theme": "classic", "primary_color": "#22577a", "accent_color": "#ffd166",
        "staff_email": "admin@acq-bad.test", "domain": "", "acquirer": "paypal"})
    assert response.status_code == 200
    assert not Utility.objects.filter(slug="acq-bad").exists()


def test_acquirer_credentials_entered_later_turn_card_payment_on(operator):
    from lk_core.payments.services import payment_settings_update

    utility = _onboard(operator, "acq-later", acquirer="yookassa")
    with schema_context(utility.schema_name):
        payment_settings_update(acquirer="yookassa", mode="test", actor="tests",
                                credentials={"shop_id": "123", "secret_key": "test_abc"})
    assert 'name="amount"' in _resident_pay_page(utility)
