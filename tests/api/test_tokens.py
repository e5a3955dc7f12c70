"""Device tokens: sign in, use, expire, refresh (rotating), revoke; tenant isolation."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.utils import timezone

from lk_core.devices.models import DeviceSession
from lk_core.devices.services import device_sessions_revoke_all
from lk_core.users.models import UserKind
from tests.api.conftest import PASSWORD, api_client, sign_in
from tests.factories import UserFactory

SESSIONS = "/api/v1/auth/sessions/"


def test_sign_in_issues_a_pair_stored_only_as_hashes(utility_a, in_schema, alice):
    pair = sign_in(utility_a, "100000001", device="Pixel 8")
    assert pair["must_change_password"] is False
    assert pair["rules_acceptance_required"] is False
    assert pair["token_type"] == "Bearer"
    assert pair["access"].startswith("lka_") and pair["refresh"].startswith("lkr_")
    assert len(pair["access"]) > 40
    with in_schema(utility_a):
        session = DeviceSession.objects.get(pk=pair["session_id"])
        assert session.access_hash == hashlib.sha256(pair["access"].encode()).hexdigest()
        assert session.refresh_hash == hashlib.sha256(pair["refresh"].encode()).hexdigest()
        assert pair["access"] not in str(session.__dict__)
        expires = session.access_expires_at - session.created_at
        assert dt.timedelta(minutes=14) < expires <= dt.timedelta(minutes=15, seconds=1)
    response = api_client(utility_a, pair["access"]).get(SESSIONS)
    assert response.status_code == 200
    assert response.json() == [{"id": pair["session_id"], "device_name": "Pixel 8",
                                "created_at": response.json()[0]["created_at"],
                                "last_used_at": response.json()[0]["last_used_at"],
                                "current": True}]


def test_wrong_password_and_unknown_account_get_the_same_answer(utility_a, alice):
    answers = []
    for number, password in (("100000001", "wrong-password"), ("999", PASSWORD)):
        response = api_client(utility_a, HTTP_ACCEPT_LANGUAGE="en").post(
            "/api/v1/auth/token/",
            {"account_number": number, "password": password, "device_name": "d"},
            format="json")
        assert response.status_code == 400
        answers.append(response.json())
    assert answers[0] == answers[1]
    assert answers[0]["code"] == "invalid_credentials"
    assert answers[0]["message"] == "The account number or password is not correct."


def test_staff_cannot_get_a_resident_token(utility_a, in_schema):
    with in_schema(utility_a):
        UserFactory(username="clerk", kind=UserKind.STAFF)
    response = api_client(utility_a).post(
        "/api/v1/auth/token/",
        {"account_number": "clerk", "password": PASSWORD, "device_name": "d"}, format="json")
    assert response.status_code == 400


def test_token_from_tenant_a_is_refused_on_tenant_b(utility_a, utility_b, alice, charlie_b):
    pair = sign_in(utility_a, "100000001")
    response = api_client(utility_b, pair["access"]).get(SESSIONS)
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"
    refresh = api_client(utility_b).post("/api/v1/auth/refresh/",
                                         {"refresh": pair["refresh"]}, format="json")
    assert refresh.status_code == 400
    # And it still works at home.
    assert api_client(utility_a, pair["access"]).get(SESSIONS).status_code == 200


def test_expired_access_token_is_refused_and_refresh_rotates(utility_a, in_schema, alice):
    pair = sign_in(utility_a, "100000001")
    with in_schema(utility_a):
        DeviceSession.objects.filter(pk=pair["session_id"]).update(
            access_expires_at=timezone.now() - dt.timedelta(seconds=1))
    expired = api_client(utility_a, pair["access"], HTTP_ACCEPT_LANGUAGE="en").get(SESSIONS)
    assert expired.status_code == 401
    assert expired.json()["message"] == "The access token is invalid or expired."
    fresh = api_client(utility_a).post("/api/v1/auth/refresh/", {"refresh": pair["refresh"]},
                                       format="json")
    assert fresh.status_code == 200
    new = fresh.json()
    assert new["session_id"] == pair["session_id"]
    assert new["access"] != pair["access"] and new["refresh"] != pair["refresh"]
    assert api_client(utility_a, new["access"]).get(SESSIONS).status_code == 200
    assert api_client(utility_a, pair["access"]).get(SESSIONS).status_code == 401


def test_reusing_a_rotated_refresh_token_ends_the_session(utility_a, alice):
    pair = sign_in(utility_a, "100000001")
    client = api_client(utility_a)
    new = client.post("/api/v1/auth/refresh/", {"refresh": pair["refresh"]},
                      format="json").json()
    replay = client.post("/api/v1/auth/refresh/", {"refresh": pair["refresh"]}, format="json")
    assert replay.status_code == 400 and replay.json()["fields"]["refresh"]
    # The thief's replay also ended the legitimate holder's session.
    assert api_client(utility_a, new["access"]).get(SESSIONS).status_code == 401
    assert client.post("/api/v1/auth/refresh/", {"refresh": new["refresh"]},
                       format="json").status_code == 400


def test_expired_refresh_token_is_refused(utility_a, in_schema, alice):
    pair = sign_in(utility_a, "100000001")
    with in_schema(utility_a):
        DeviceSession.objects.filter(pk=pair["session_id"]).update(
            refresh_expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = api_client(utility_a).post("/api/v1/auth/refresh/",
                                          {"refresh": pair["refresh"]}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == ["refresh"]


def test_one_pair_per_named_device(utility_a, alice):
    first = sign_in(utility_a, "100000001", device="iPhone")
    second = sign_in(utility_a, "100000001", device="iPhone")
    tablet = sign_in(utility_a, "100000001", device="iPad")
    assert api_client(utility_a, first["access"]).get(SESSIONS).status_code == 401
    listed = api_client(utility_a, second["access"]).get(SESSIONS).json()
    assert {row["id"] for row in listed} == {second["session_id"], tablet["session_id"]}
    assert [row["current"] for row in listed if row["id"] == tablet["session_id"]] == [False]


def test_resident_revokes_another_device_and_logs_out(utility_a, alice):
    phone = sign_in(utility_a, "100000001", device="phone")
    tablet = sign_in(utility_a, "100000001", device="tablet")
    client = api_client(utility_a, phone["access"])
    assert client.delete(f"{SESSIONS}{tablet['session_id']}/").status_code == 204
    assert api_client(utility_a, tablet["access"]).get(SESSIONS).status_code == 401
    assert api_client(utility_a).post("/api/v1/auth/refresh/", {"refresh": tablet["refresh"]},
                                      format="json").status_code == 400
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get(SESSIONS).status_code == 401


def test_resident_cannot_see_or_revoke_another_residents_device(utility_a, alice, bob):
    alices = sign_in(utility_a, "100000001")
    bobs = sign_in(utility_a, "100000002")
    client = api_client(utility_a, alices["access"])
    assert [row["id"] for row in client.get(SESSIONS).json()] == [alices["session_id"]]
    response = client.delete(f"{SESSIONS}{bobs['session_id']}/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert api_client(utility_a, bobs["access"]).get(SESSIONS).status_code == 200


def test_password_change_revokes_every_device(utility_a, in_schema, alice, bob):
    one = sign_in(utility_a, "100000001", device="one")
    two = sign_in(utility_a, "100000001", device="two")
    bobs = sign_in(utility_a, "100000002")
    with in_schema(utility_a):
        assert device_sessions_revoke_all(user=alice) == 2
    for pair in (one, two):
        assert api_client(utility_a, pair["access"]).get(SESSIONS).status_code == 401
    assert api_client(utility_a, bobs["access"]).get(SESSIONS).status_code == 200


def test_deactivated_user_token_stops_working(utility_a, in_schema, alice):
    pair = sign_in(utility_a, "100000001")
    with in_schema(utility_a):
        type(alice).objects.filter(pk=alice.pk).update(is_active=False)
    assert api_client(utility_a, pair["access"]).get(SESSIONS).status_code == 401


def test_malformed_authorization_headers_are_401_not_500(utility_a):
    for header in ("Bearer", "Bearer a b", "Bearer \u00e9t\u00e9", "Bearer lka_unknown"):
        client = api_client(utility_a)
        client.credentials(HTTP_AUTHORIZATION=header)
        response = client.get(SESSIONS)
        assert response.status_code == 401, header
        assert response.json()["code"] in {"authentication_failed", "token_invalid"}
