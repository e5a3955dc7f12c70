"""Tenant lifecycle: active, maintenance (read-only, banner), suspended (closed)."""

from __future__ import annotations

import pytest

from tenants.models import UtilityAuditEvent, UtilityState
from tenants.services import utility_set_state


def _set(utility, state, message=""):
    utility_set_state(utility=utility, state=state, message=message, actor="tests")


def test_active_portal_has_no_banner(client_a):
    body = client_a.get("/").content.decode()
    assert "banner-maintenance" not in body


def test_maintenance_shows_banner_and_refuses_writes(utility_a, client_a, client_b):
    _set(utility_a, UtilityState.MAINTENANCE, "Загружаем новые начисления до 14:00")
    page = client_a.get("/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "banner-maintenance" in body and "Загружаем новые начисления до 14:00" in body
    refused = client_a.post("/", {})
    assert refused.status_code == 503
    assert "Загружаем новые начисления до 14:00" in refused.content.decode()
    # The language switch keeps working, and the other utility is unaffected.
    assert client_a.post("/i18n/setlang/", {"language": "en"}).status_code == 302
    assert "banner-maintenance" not in client_b.get("/").content.decode()


def test_maintenance_api_reads_work_writes_get_a_clear_status(utility_a, client_a):
    _set(utility_a, UtilityState.MAINTENANCE, "До 14:00")
    assert client_a.get("/api/v1/utility/").json()["state"] == "maintenance"
    response = client_a.post("/api/v1/utility/", {})
    assert response.status_code == 503
    assert response.json() == {"status": 503, "code": "maintenance",
                               "message": response.json()["message"], "fields": {},
                               "utility_message": "До 14:00"}
    assert "изменения сейчас не принимаются" in response.json()["message"]
    assert response["Retry-After"]


def test_suspended_closes_portal_and_api_with_message(utility_a, client_a):
    _set(utility_a, UtilityState.SUSPENDED, "Договор с платформой приостановлен")
    page = client_a.get("/")
    assert page.status_code == 503
    assert "Договор с платформой приостановлен" in page.content.decode()
    api = client_a.get("/api/v1/utility/")
    assert api.status_code == 503 and api.json()["code"] == "suspended"
    assert api.json()["utility_message"] == "Договор с платформой приостановлен"
    # Staff can still reach their console (login page) to take their data out.
    assert client_a.get("/staff/login/").status_code == 200
    # Health checks are not a tenant's business.
    assert client_a.get("/healthz").status_code == 200


def test_back_to_active(utility_a, client_a):
    _set(utility_a, UtilityState.SUSPENDED, "x")
    _set(utility_a, UtilityState.ACTIVE)
    assert client_a.get("/").status_code == 200


def test_state_changes_are_audited(utility_a):
    _set(utility_a, UtilityState.MAINTENANCE, "m")
    event = UtilityAuditEvent.objects.filter(utility=utility_a).first()
    assert event.action == "state_changed"
    assert event.details == {"from": "active", "to": "maintenance", "message": "m"}


def test_unknown_state_is_refused(utility_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        _set(utility_a, "closed-forever")
    utility_a.refresh_from_db()
    assert utility_a.state == UtilityState.ACTIVE


def test_set_utility_state_command(utility_a, client_a):
    from django.core.management import call_command

    call_command("set_utility_state", "alpha", "suspended", "--message", "Закрыто")
    assert client_a.get("/").status_code == 503
    call_command("set_utility_state", "alpha", "active")
    assert client_a.get("/").status_code == 200
