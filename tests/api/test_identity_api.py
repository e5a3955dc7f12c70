"""Registration (each method), passwords, linked accounts, rules and settings through the
API: the identity services the web pages use, with their limits and messages."""

from __future__ import annotations

import pytest

from lk_core.identity.models import RegistrationMethod
from lk_core.identity.proofs import receipt_code_for
from lk_core.identity.selectors import identity_settings_get
from lk_core.identity.services import rules_draft_create, rules_publish
from tests.api.conftest import PASSWORD, api_client, sign_in
from tests.identity.conftest import PASSPORT, account_with_invoices, mailed_link, mailed_password

NEW = "Drugoy-parol-ot-dveri-9"


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """POST JSON with on-commit callbacks run (identity e-mails are sent on commit)."""

    def _send(client, url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data, format="json")

    return _send


def _method(utility, in_schema, method):
    with in_schema(utility):
        config = identity_settings_get()
        config.registration_method = method
        config.save()


def _register(client, send, number, proof, email="anna@example.test", **extra):
    return send(client, "/api/v1/register/",
                {"account_number": number, "email": email, "proof": proof,
                 "accept_rules": True, "email_notices": True, **extra})


@pytest.mark.parametrize("method", [RegistrationMethod.AMOUNT, RegistrationMethod.PASSPORT,
                                    RegistrationMethod.RECEIPT_CODE])
def test_registration_by_each_method_then_first_login(utility_a, in_schema, send, mailoutbox,
                                                      method):
    _method(utility_a, in_schema, method)
    with in_schema(utility_a):
        account = account_with_invoices("200000001", amount_due="1234.56")
        proof = {RegistrationMethod.AMOUNT: "1 234,56", RegistrationMethod.PASSPORT: PASSPORT,
                 RegistrationMethod.RECEIPT_CODE: receipt_code_for(account)}[method]
    client = api_client(utility_a, HTTP_ACCEPT_LANGUAGE="en")
    info = client.get("/api/v1/register/").json()
    assert info["method"] == method and info["self_service"] is True
    assert info["proof"]["label"] and info["rules"]["number"] == 1
    response = _register(client, send, "2000 00001", proof)
    assert response.status_code == 202, response.content
    assert response.json()["detail"].startswith("Check your e-mail")
    password = mailed_password(mailoutbox[-1])
    pair = sign_in(utility_a, "200000001", password=password)
    # The generated password must be replaced before anything else answers.
    assert pair["must_change_password"] is True
    gated = api_client(utility_a, pair["access"]).get("/api/v1/accounts/")
    assert gated.status_code == 403 and gated.json()["code"] == "password_change_required"
    changed = api_client(utility_a, pair["access"]).post(
        "/api/v1/auth/password/change/", {"old_password": password, "new_password": NEW},
        format="json")
    assert changed.status_code == 200, changed.content
    fresh = changed.json()
    assert fresh["must_change_password"] is False
    accounts = api_client(utility_a, fresh["access"]).get("/api/v1/accounts/").json()
    assert [a["number"] for a in accounts] == ["200000001"]


def test_registration_refusals_change_nothing(utility_a, in_schema, send, mailoutbox):
    with in_schema(utility_a):
        account_with_invoices("200000002", amount_due="500.00")
    client = api_client(utility_a, HTTP_ACCEPT_LANGUAGE="en")
    wrong = _register(client, send, "200000002", "499.99")
    assert wrong.status_code == 400 and wrong.json()["code"] == "refused"
    assert wrong.json()["message"].startswith("We could not confirm these details")
    unknown = _register(client, send, "209999999", "500.00")
    assert unknown.json() == wrong.json()
    no_rules = _register(client, send, "200000002", "500.00", accept_rules=False)
    assert no_rules.status_code == 400
    assert no_rules.json()["fields"] == {
        "accept_rules": ["You need to accept the rules to register."]}
    bad = _register(client, send, "", "x" * 41, email="not-an-address")
    assert set(bad.json()["fields"]) == {"account_number", "proof", "email"}
    assert mailoutbox == []


def test_registration_attempts_are_limited_like_the_web(utility_a, in_schema, send):
    with in_schema(utility_a):
        account_with_invoices("200000003", amount_due="500.00")
    client = api_client(utility_a)
    for _ in range(5):
        assert _register(client, send, "200000003", "1.00").status_code == 400
    limited = _register(client, send, "200000003", "500.00")
    assert limited.status_code == 429 and limited.json()["code"] == "too_many_attempts"
    assert int(limited["Retry-After"]) > 0


def test_office_only_registration_is_explained(utility_a, in_schema, send):
    _method(utility_a, in_schema, RegistrationMethod.OFFICE)
    client = api_client(utility_a, HTTP_ACCEPT_LANGUAGE="ru")
    info = client.get("/api/v1/register/").json()
    assert info["self_service"] is False and info["proof"] is None
    response = _register(client, send, "200000001", "1")
    assert response.status_code == 403 and response.json()["code"] == "office_only"
    assert "лично" in response.json()["message"]


def test_login_limits_of_identity_apply(utility_a, alice):
    client = api_client(utility_a, HTTP_ACCEPT_LANGUAGE="en")
    body = {"account_number": "100000001", "password": "wrong", "device_name": "d"}
    for _ in range(5):
        assert client.post("/api/v1/auth/token/", body, format="json").status_code == 400
    body["password"] = PASSWORD
    limited = client.post("/api/v1/auth/token/", body, format="json")
    assert limited.status_code == 429
    assert limited.json()["message"].startswith("Too many attempts. Try again in 15 minutes")
    assert int(limited["Retry-After"]) > 800


def test_password_reset_by_link_revokes_every_device(utility_a, alice, send, mailoutbox):
    phone = sign_in(utility_a, "100000001", device="phone")
    client = api_client(utility_a, HTTP_ACCEPT_LANGUAGE="en")
    mailoutbox.clear()
    other = send(client, "/api/v1/auth/password/reset/",
                 {"account_number": "100000001", "email": "someone@example.test"})
    asked = send(client, "/api/v1/auth/password/reset/",
                 {"account_number": "100000001", "email": "alice@example.test"})
    assert asked.status_code == other.status_code == 202 and asked.json() == other.json()
    assert len(mailoutbox) == 1
    prefix, kind, uid, token = mailed_link(mailoutbox[0]).strip("/").split("/")
    assert (prefix, kind) == ("password", "reset")
    weak = client.post("/api/v1/auth/password/set/",
                       {"kind": kind, "uid": uid, "token": token, "new_password": "qwerty"},
                       format="json")
    assert weak.status_code == 400 and "new_password" in weak.json()["fields"]
    done = client.post("/api/v1/auth/password/set/",
                       {"kind": kind, "uid": uid, "token": token, "new_password": NEW},
                       format="json")
    assert done.status_code == 200, done.content
    assert api_client(utility_a, phone["access"]).get("/api/v1/accounts/").status_code == 401
    again = client.post("/api/v1/auth/password/set/",
                        {"kind": kind, "uid": uid, "token": token, "new_password": NEW + "x"},
                        format="json")
    assert again.status_code == 400 and again.json()["code"] == "invalid_link"
    assert sign_in(utility_a, "100000001", password=NEW)["access"]


def test_password_change_checks_the_old_one_and_revokes_other_devices(utility_a, alice):
    phone = sign_in(utility_a, "100000001", device="phone")
    tablet = sign_in(utility_a, "100000001", device="tablet")
    client = api_client(utility_a, phone["access"], HTTP_ACCEPT_LANGUAGE="en")
    wrong = client.post("/api/v1/auth/password/change/",
                        {"old_password": "nope", "new_password": NEW}, format="json")
    assert wrong.status_code == 400 and list(wrong.json()["fields"]) == ["old_password"]
    changed = client.post("/api/v1/auth/password/change/",
                          {"old_password": PASSWORD, "new_password": NEW}, format="json")
    assert changed.status_code == 200
    for old in (phone, tablet):
        assert api_client(utility_a, old["access"]).get("/api/v1/accounts/").status_code == 401
    new = api_client(utility_a, changed.json()["access"]).get("/api/v1/auth/sessions/").json()
    assert [(s["device_name"], s["current"]) for s in new] == [("phone", True)]


def test_accounts_list_switch_and_link(utility_a, in_schema, alice, bob, send):
    with in_schema(utility_a):
        extra = account_with_invoices("100000009", amount_due="77.00")
        bobs = type(extra).objects.get(number="100000002")
    client = api_client(utility_a, sign_in(utility_a, "100000001")["access"])
    listed = client.get("/api/v1/accounts/").json()
    assert [(a["number"], a["current"]) for a in listed] == [("100000001", True)]
    refused = send(client, "/api/v1/accounts/link/",
                   {"account_number": "100000009", "proof": "1.00"})
    assert refused.status_code == 400 and refused.json()["code"] == "refused"
    linked = send(client, "/api/v1/accounts/link/",
                  {"account_number": "100000009", "proof": "77.00"})
    assert linked.status_code == 201
    assert [a["number"] for a in linked.json()] == ["100000001", "100000009"]
    switched = client.post("/api/v1/accounts/switch/", {"account_id": extra.pk}, format="json")
    assert [a["number"] for a in switched.json() if a["current"]] == ["100000009"]
    # Bob's account, by id: not yours is not found.
    stolen = client.post("/api/v1/accounts/switch/", {"account_id": bobs.pk}, format="json")
    assert stolen.status_code == 404
    assert client.post("/api/v1/accounts/switch/", {"account_id": "x"},
                       format="json").json()["fields"]["account_id"]


def test_new_rules_must_be_accepted_before_anything_else(utility_a, in_schema, alice):
    pair = sign_in(utility_a, "100000001")
    client = api_client(utility_a, pair["access"], HTTP_ACCEPT_LANGUAGE="en")
    with in_schema(utility_a):
        rules_publish(version=rules_draft_create(title="Правила v2", text_ru="Текст",
                                                 text_en="Text v2"))
    assert client.get("/api/v1/rules/").json()["text"] == "Text v2"
    gated = client.get("/api/v1/settings/")
    assert gated.status_code == 403 and gated.json()["code"] == "rules_acceptance_required"
    assert client.get("/api/v1/rules/acceptance/").json() == {"number": 2, "accepted": False}
    refused = client.post("/api/v1/rules/acceptance/", {"accept": False}, format="json")
    assert refused.status_code == 400
    assert client.post("/api/v1/rules/acceptance/", {"accept": True},
                       format="json").json() == {"number": 2, "accepted": True}
    assert client.get("/api/v1/settings/").status_code == 200


def test_settings_and_email_change(utility_a, alice, send, mailoutbox):
    client = api_client(utility_a, sign_in(utility_a, "100000001")["access"],
                        HTTP_ACCEPT_LANGUAGE="en")
    shown = client.get("/api/v1/settings/").json()
    assert shown["email"] == "alice@example.test" and shown["email_notices"] is True
    assert shown["sms_notices"] is False and shown["consent_at"]
    # SMS need a phone, as on the settings page (the old two-field PUT is refused then).
    refused = client.put("/api/v1/settings/", {"email_notices": False, "sms_notices": True},
                         format="json")
    assert refused.status_code == 400 and list(refused.json()["fields"]) == ["contact_phone"]
    assert client.get("/api/v1/settings/").json() == shown
    consent = client.put("/api/v1/settings/", {"email_notices": False, "sms_notices": True,
                                               "contact_phone": "8 912 345-67-89"},
                         format="json")
    assert consent.status_code == 200
    assert (consent.json()["email_notices"], consent.json()["sms_notices"]) == (False, True)
    assert consent.json()["consent_at"] > shown["consent_at"]
    assert client.put("/api/v1/settings/", {"sms_notices": "maybe"},
                      format="json").json()["fields"].keys() == {"email_notices", "sms_notices"}
    mailoutbox.clear()
    wrong = send(client, "/api/v1/settings/email/",
                 {"new_email": "new@example.test", "password": "nope"})
    assert wrong.status_code == 400 and list(wrong.json()["fields"]) == ["password"]
    assert mailoutbox == []
    asked = send(client, "/api/v1/settings/email/",
                 {"new_email": "new@example.test", "password": PASSWORD})
    assert asked.status_code == 202
    assert {tuple(m.to) for m in mailoutbox} == {("new@example.test",),
                                                  ("alice@example.test",)}


def test_identity_endpoints_need_a_resident_token(utility_a, utility_b, alice, charlie_b):
    token_b = sign_in(utility_b, "100000001")["access"]
    for path in ("/api/v1/accounts/", "/api/v1/settings/", "/api/v1/rules/acceptance/"):
        assert api_client(utility_a).get(path).status_code == 401
        assert api_client(utility_a, token_b).get(path).status_code == 401


def test_notification_kinds_use_the_notifications_service(utility_a, in_schema, alice, bob):
    client = api_client(utility_a, sign_in(utility_a, "100000001")["access"])
    shown = client.get("/api/v1/settings/notifications/").json()
    # Alice consented to e-mail (not SMS) at registration.
    assert (shown["email_enabled"], shown["sms_enabled"], shown["muted_kinds"]) == (
        True, False, [])
    kinds = {row["kind"] for row in shown["kinds"]}
    assert "debt_reminder" in kinds and "password_reset" not in kinds  # essential
    changed = client.put("/api/v1/settings/notifications/",
                         {"muted_kinds": ["debt_reminder"], "sms_enabled": True},
                         format="json")
    assert changed.status_code == 200
    assert changed.json()["muted_kinds"] == ["debt_reminder"]
    assert changed.json()["sms_enabled"] is False  # consent changes only via /settings/
    refused = client.put("/api/v1/settings/notifications/",
                         {"muted_kinds": ["password_reset", "nonsense"]}, format="json")
    assert refused.status_code == 400 and set(refused.json()["fields"]) == {
        "muted_kinds.0", "muted_kinds.1"}
    assert client.put("/api/v1/settings/", {"email_notices": True, "sms_notices": True,
                                            "contact_phone": "+79123456789"},
                      format="json").status_code == 200
    after = client.get("/api/v1/settings/notifications/").json()
    assert (after["sms_enabled"], after["muted_kinds"]) == (True, ["debt_reminder"])
    with in_schema(utility_a):
        from lk_core.notifications.models import NotificationPreference

        mine = NotificationPreference.objects.get(user=alice)
        assert (mine.sms_enabled, mine.muted_kinds) == (True, ["debt_reminder"])
        bobs = NotificationPreference.objects.filter(user=bob).first()
        assert bobs is None or bobs.muted_kinds == []


def test_the_api_does_not_offer_the_receipt_as_a_kind_to_mute(utility_a, alice):
    client = api_client(utility_a, sign_in(utility_a, "100000001")["access"])
    kinds = {row["kind"] for row in client.get("/api/v1/settings/notifications/").json()[
        "kinds"]}
    assert "receipt" not in kinds and "debt_reminder" in kinds
    refused = client.put("/api/v1/settings/notifications/", {"muted_kinds": ["receipt"]},
                         format="json")
    assert refused.status_code == 400 and "muted_kinds.0" in refused.json()["fields"]
