"""One error shape, translated, for every failure; pagination; throttling per tenant."""

from __future__ import annotations

import pytest

from tenants.models import UtilityState
from tenants.services import utility_set_state
from tests.api.conftest import api_client, sign_in

SHAPE = {"status", "code", "message", "fields"}


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) >= SHAPE
    assert body["status"] == status and body["code"] == code
    return body


def test_unknown_api_path_is_a_json_404_in_both_languages(utility_a):
    ru = _error(api_client(utility_a).get("/api/v1/nothing-here/"), 404, "not_found")
    assert ru["message"] == "Страница не найдена."
    en = api_client(utility_a, HTTP_ACCEPT_LANGUAGE="en").delete("/api/v9/x")
    assert _error(en, 404, "not_found")["message"] == "Not found."


def test_missing_token_is_401_with_bearer_challenge(utility_a):
    response = api_client(utility_a).get("/api/v1/auth/sessions/")
    body = _error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert body["fields"] == {}


def test_wrong_method_is_405(utility_a):
    body = _error(api_client(utility_a).delete("/api/v1/utility/"), 405, "method_not_allowed")
    assert "DELETE" in body["message"]


def test_malformed_json_is_400_parse_error(utility_a):
    response = api_client(utility_a).post("/api/v1/auth/token/", data="{not json",
                                          content_type="application/json")
    _error(response, 400, "parse_error")


def test_validation_errors_list_every_field_in_the_request_language(utility_a):
    en = api_client(utility_a, HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/auth/token/", {"account_number": "", "device_name": "x" * 101}, format="json")
    body = _error(en, 400, "invalid")
    assert body["fields"] == {
        "account_number": ["This field may not be blank."],
        "password": ["This field is required."],
        "device_name": ["Ensure this field has no more than 100 characters."],
    }
    assert body["message"] == "Please correct the errors in the fields."
    ru = api_client(utility_a, HTTP_ACCEPT_LANGUAGE="ru").post(
        "/api/v1/auth/token/", {}, format="json")
    body = _error(ru, 400, "invalid")
    assert body["fields"]["password"] == ["Обязательное поле."]
    assert body["message"] == "Исправьте ошибки в полях."


def test_wrong_type_of_body_is_400_not_500(utility_a):
    response = api_client(utility_a, HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/auth/token/", data="[1, 2]", content_type="application/json")
    body = _error(response, 400, "invalid")
    assert body["message"] == "Invalid data. Expected a dictionary, but got list."
    assert body["fields"] == {}


def test_unsupported_media_type_is_415(utility_a):
    response = api_client(utility_a).post("/api/v1/auth/token/", data="<x/>",
                                          content_type="application/xml")
    _error(response, 415, "unsupported_media_type")


def test_maintenance_and_suspension_use_the_same_shape(utility_a):
    utility_set_state(utility=utility_a, state=UtilityState.MAINTENANCE, message="До 14:00",
                      actor="tests")
    response = api_client(utility_a, HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/utility/", {}, format="json")
    body = _error(response, 503, "maintenance")
    assert body["utility_message"] == "До 14:00"
    assert body["message"].startswith("The personal account is in maintenance")
    utility_set_state(utility=utility_a, state=UtilityState.SUSPENDED, message="Закрыто",
                      actor="tests")
    body = _error(api_client(utility_a).get("/api/v1/utility/"), 503, "suspended")
    assert body["utility_message"] == "Закрыто"


def test_devices_can_sign_in_during_maintenance(utility_a, alice):
    utility_set_state(utility=utility_a, state=UtilityState.MAINTENANCE, message="m",
                      actor="tests")
    pair = sign_in(utility_a, "100000001")
    assert api_client(utility_a, pair["access"]).get("/api/v1/auth/sessions/").status_code == 200


@pytest.fixture
def tight_auth_rate(settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def _bad_login(utility, **headers):
    return api_client(utility, **headers).post(
        "/api/v1/auth/token/",
        {"account_number": "1", "password": "nope", "device_name": "d"}, format="json")


def test_throttling_is_per_tenant_and_says_when_to_retry(tight_auth_rate, utility_a,
                                                         utility_b):
    for _ in range(3):
        assert _bad_login(utility_a).status_code == 400
    response = _bad_login(utility_a, HTTP_ACCEPT_LANGUAGE="en")
    body = _error(response, 429, "throttled")
    assert "throttled" in body["message"].lower()
    assert int(response["Retry-After"]) > 0
    # The other utility's counter is its own.
    assert _bad_login(utility_b).status_code == 400


def test_a_web_session_on_the_api_gets_the_same_shape(utility_a, in_schema, client_a,
                                                      mailoutbox,
                                                      django_capture_on_commit_callbacks):
    """A browser session whose password must change, calling /api/: identity's gate answers
    in the API's error shape."""
    from tests.identity.helpers import log_in, resident_make

    with in_schema(utility_a):
        user = resident_make("100000005", "eve@example.test",
                             django_capture_on_commit_callbacks, own_password=None)
    assert log_in(client_a, "100000005", password=user.initial_password).status_code == 302
    body = _error(client_a.get("/api/v1/utility/"), 403, "password_change_required")
    assert body["fields"] == {}



def test_a_forged_forwarded_for_header_does_not_dodge_the_throttle(tight_auth_rate,
                                                                   utility_a):
    for n in range(3):
        assert _bad_login(utility_a, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code == 400
    response = _bad_login(utility_a, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429


def test_even_a_bug_answers_in_the_error_shape(utility_a, monkeypatch):
    from lk_core.api.views import UtilityBrandingView

    def broken(self, request):
        raise RuntimeError("a bug")

    monkeypatch.setattr(UtilityBrandingView, "get", broken)
    client = api_client(utility_a, HTTP_ACCEPT_LANGUAGE="en")
    client.raise_request_exception = False
    body = _error(client.get("/api/v1/utility/"), 500, "server_error")
    assert body["message"] == "Something went wrong on our side. Please try again later."
