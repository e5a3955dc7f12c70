"""The residents section (identity's services) under the role table: who may search,
register in the office, block and reset; registration settings changes are audited."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django_tenants.utils import schema_context

from lk_core.identity.models import IdentitySettings, Resident, SecurityEvent
from lk_core.staff.models import StaffAuditEvent
from lk_core.staff.roles import ROLE_GRANTS, Action, Section
from tests.consoles.conftest import ROLES
from tests.factories import AccountFactory
from tests.identity.helpers import resident_make

URL = "/staff/identity/resident/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """identity's rate-limit counters live in the process-local cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def anna(utility_a, django_capture_on_commit_callbacks):
    with schema_context(utility_a.schema_name):
        user = resident_make("830501", "anna.k@example.test", django_capture_on_commit_callbacks)
        AccountFactory(number="830501").__class__.objects.filter(number="830501").update(
            holder_name="Кузнецова Анна Петровна")
        return Resident.objects.get(user=user)


def can(role, section, action=Action.VIEW):
    return action in ROLE_GRANTS[role].get(section, frozenset())


@pytest.mark.parametrize("role", ROLES)
def test_search_by_number_name_and_email(role, utility_a, staff_of, anna):
    client = staff_of(utility_a, role)
    for query in ("830501", "Кузнецова", "anna.k@example"):
        response = client.get(URL, {"q": query})
        if not can(role, Section.RESIDENTS):
            assert response.status_code == 403
            continue
        assert response.status_code == 200 and "830501" in response.content.decode(), query
    if can(role, Section.RESIDENTS):
        assert "830501" not in client.get(URL, {"q": "Сидоров"}).content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_block_only_with_the_change_grant(role, utility_a, staff_of, anna):
    client = staff_of(utility_a, role)
    client.post(URL, {"action": "block", "_selected_action": [anna.pk]})
    allowed = can(role, Section.RESIDENTS, Action.CHANGE)
    with schema_context(utility_a.schema_name):
        anna.user.refresh_from_db()
        assert anna.user.is_active is not allowed
        assert SecurityEvent.objects.filter(kind="staff_blocked").exists() is allowed


@pytest.mark.parametrize("role", ROLES)
def test_office_registration_only_with_the_change_grant(role, utility_a, staff_of):
    with schema_context(utility_a.schema_name):
        AccountFactory(number="830777")
    client = staff_of(utility_a, role)
    response = client.post(URL + "add/", {"account_number": "830777",
                                          "email": "new@example.test"})
    allowed = can(role, Section.RESIDENTS, Action.CHANGE)
    assert response.status_code == (200 if allowed else 403)
    with schema_context(utility_a.schema_name):
        assert Resident.objects.filter(links__account__number="830777").exists() is allowed
    if allowed:
        assert 'class="secret"' in response.content.decode()  # the printable sheet


def test_residents_of_b_are_not_found_from_a(utility_a, utility_b, staff_of,
                                             django_capture_on_commit_callbacks):
    with schema_context(utility_b.schema_name):
        resident_make("930001", "bob@example.test", django_capture_on_commit_callbacks)
    body = staff_of(utility_a, "admin").get(URL, {"q": "930001"}).content.decode()
    assert 'field-accounts">930001' not in body and "bob@example.test" not in body
    assert 'field-accounts">' not in body  # no rows at all


def test_registration_method_change_is_audited_and_used(utility_a, staff_of):
    client = staff_of(utility_a, "admin")
    with schema_context(utility_a.schema_name):
        config = IdentitySettings.objects.get_or_create(pk=1)[0]
    response = client.post(f"/staff/identity/identitysettings/{config.pk}/change/", {
        "registration_method": "office", "office_instructions": "Каб. 5, пн-пт 9-18",
        "initial_password_hours": "72", "force_password_change": "on",
        "password_delivery": "password"})
    assert response.status_code == 302
    with schema_context(utility_a.schema_name):
        assert IdentitySettings.objects.get().registration_method == "office"
        event = StaffAuditEvent.objects.get(action="identity_settings_changed")
        assert event.details["registration_method"]["to"] == "office"
        assert event.actor == "staff:role-admin@alpha.test"
    page = client.get("/register/").content.decode()
    assert "Каб. 5" in page


def test_dispatcher_cannot_change_registration_settings(utility_a, staff_of):
    with schema_context(utility_a.schema_name):
        config = IdentitySettings.objects.get_or_create(pk=1)[0]
    client = staff_of(utility_a, "dispatcher")
    response = client.post(f"/staff/identity/identitysettings/{config.pk}/change/", {
        "registration_method": "office", "initial_password_hours": "72",
        "password_delivery": "password"})
    assert response.status_code == 403
    with schema_context(utility_a.schema_name):
        assert IdentitySettings.objects.get().registration_method != "office"
