"""Each staff role sees and changes only what the role table allows, on every console page."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from lk_core.staff.models import StaffAuditEvent
from lk_core.staff.roles import ROLE_GRANTS, Action, Section, staff_can
from lk_core.users.models import StaffRole, User
from tenants.models import Utility
from tests.conftest import tenant_client
from tests.consoles.conftest import ROLES, staff_user

# Console pages and the section that governs them.
PAGES = {
    "/staff/branding/": Section.BRANDING,
    "/staff/settings/": Section.SETTINGS,
    "/staff/staff/staffmember/": Section.STAFF,
    "/staff/staff/staffauditevent/": Section.AUDIT,
    "/staff/appeals/appeal/": Section.APPEALS,
    "/staff/appeals/appealcategory/": Section.APPEAL_ROUTES,
    "/staff/portal/helppage/": Section.CONTENT,
    "/staff/portal/notice/": Section.CONTENT,
}


def expected(role, section, action=Action.VIEW) -> bool:
    return action in ROLE_GRANTS[role].get(section, frozenset())


def test_role_table_is_what_the_issue_describes():
    assert all(staff_can_role(StaffRole.ADMIN, s, Action.CHANGE) for s in Section)
    assert expected(StaffRole.DISPATCHER, Section.APPEALS, Action.CHANGE)
    assert not expected(StaffRole.DISPATCHER, Section.BRANDING)
    assert expected(StaffRole.OPERATOR, Section.RESIDENTS, Action.CHANGE)
    assert not expected(StaffRole.OPERATOR, Section.SETTINGS)
    assert not any(expected(StaffRole.READONLY, s, Action.CHANGE) for s in Section)
    assert expected(StaffRole.READONLY, Section.BRANDING)


def staff_can_role(role, section, action):
    user = User(kind="staff", staff_role=role, is_staff=True, is_active=True)
    return staff_can(user, section, action)


def test_residents_and_unknown_roles_get_nothing():
    resident = User(kind="resident", staff_role="admin", is_staff=True, is_active=True)
    nobody = User(kind="staff", staff_role="", is_staff=True, is_active=True)
    blocked = User(kind="staff", staff_role="admin", is_staff=True, is_active=False)
    for user in (resident, nobody, blocked):
        assert not any(staff_can(user, s) for s in Section)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_exactly_its_pages(role, utility_a, staff_of):
    client = staff_of(utility_a, role)
    assert client.get("/staff/").status_code == 200
    for url, section in PAGES.items():
        status = client.get(url).status_code
        assert status == (200 if expected(role, section) else 403), (role, url, status)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_changes_branding_only_if_allowed(role, utility_a, staff_of):
    client = staff_of(utility_a, role)
    response = client.post("/staff/branding/", {
        "theme": "modern", "primary_color": "#123456", "accent_color": "#f2a900"})
    allowed = expected(role, Section.BRANDING, Action.CHANGE)
    assert response.status_code == (302 if allowed else 403)
    assert Utility.objects.get(pk=utility_a.pk).primary_color == (
        "#123456" if allowed else utility_a.primary_color)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_changes_settings_only_if_allowed(role, utility_a, staff_of):
    client = staff_of(utility_a, role)
    response = client.post("/staff/settings/", {"timezone": "Asia/Omsk"})
    allowed = expected(role, Section.SETTINGS, Action.CHANGE)
    assert response.status_code == (302 if allowed else 403)
    assert (Utility.objects.get(pk=utility_a.pk).timezone == "Asia/Omsk") is allowed


@pytest.mark.parametrize("role", ROLES)
def test_each_role_adds_staff_only_if_allowed(role, utility_a, staff_of):
    client = staff_of(utility_a, role)
    response = client.post("/staff/staff/staffmember/add/", {
        "email": "new.dispatcher@alpha.test", "staff_role": "dispatcher", "is_active": "on"})
    allowed = expected(role, Section.STAFF, Action.CHANGE)
    assert response.status_code in ((302,) if allowed else (403,))
    with schema_context(utility_a.schema_name):
        created = User.objects.filter(username="new.dispatcher@alpha.test").first()
        assert (created is not None) is allowed
        if allowed:
            assert created.kind == "staff" and created.staff_role == "dispatcher"
            assert created.must_change_password
            assert StaffAuditEvent.objects.filter(action="staff_created",
                                                  target=created.username).exists()


def test_read_only_sees_branding_form_disabled(utility_a, staff_of):
    body = staff_of(utility_a, StaffRole.READONLY).get("/staff/branding/").content.decode()
    assert 'name="primary_color"' in body and "disabled" in body
    form = body.split('id="console-form"', 1)[1].split("</form>")[0]
    assert 'type="submit"' not in form


def test_menu_lists_only_allowed_sections(utility_a, staff_of):
    dispatcher = staff_of(utility_a, StaffRole.DISPATCHER).get("/staff/").content.decode()
    admin = staff_of(utility_a, StaffRole.ADMIN, "boss").get("/staff/").content.decode()
    assert "/staff/branding/" in admin and "/staff/branding/" not in dispatcher
    assert "/staff/staff/staffmember/" in admin
    assert "/staff/staff/staffmember/" not in dispatcher


def test_staff_cannot_lock_themselves_out(utility_a, staff_of):
    client = staff_of(utility_a, StaffRole.ADMIN, "boss")
    with schema_context(utility_a.schema_name):
        me = User.objects.get(username="boss@alpha.test")
    response = client.post(f"/staff/staff/staffmember/{me.pk}/change/",
                           {"staff_role": "readonly", "is_active": "on"})
    assert response.status_code == 200
    with schema_context(utility_a.schema_name):
        assert User.objects.get(pk=me.pk).staff_role == "admin"


def test_admin_changes_a_role_and_blocks_an_account(utility_a, staff_of):
    client = staff_of(utility_a, StaffRole.ADMIN, "boss")
    member = staff_user(utility_a, StaffRole.OPERATOR, "clerk")
    response = client.post(f"/staff/staff/staffmember/{member.pk}/change/",
                           {"staff_role": "dispatcher"})  # is_active unticked: blocked
    assert response.status_code == 302
    with schema_context(utility_a.schema_name):
        member.refresh_from_db()
        assert member.staff_role == "dispatcher" and not member.is_active
        event = StaffAuditEvent.objects.get(action="staff_updated", target=member.username)
        assert event.actor == "staff:boss@alpha.test"
        assert event.details["after"] == {"role": "dispatcher", "is_active": False}
    blocked = tenant_client(utility_a)
    assert not blocked.login(username=member.username, password="Staff-Password-2026")


def test_staff_list_shows_no_residents(utility_a, staff_of):
    with schema_context(utility_a.schema_name):
        User.objects.create_user(username="500000001", kind="resident", email="r@x.test")
    body = staff_of(utility_a, StaffRole.ADMIN).get("/staff/staff/staffmember/").content
    assert b"500000001" not in body
