"""Staff of tenant A cannot log in or act on tenant B; one-time passwords are replaced first."""

from __future__ import annotations

from django_tenants.utils import schema_context

from lk_core.users.models import StaffRole, User
from tenants.models import Utility
from tests.conftest import tenant_client
from tests.consoles.conftest import staff_user


def test_staff_of_a_cannot_log_in_on_b(utility_a, utility_b):
    staff_user(utility_a, StaffRole.ADMIN, "boss")
    on_b = tenant_client(utility_b)
    response = on_b.post("/staff/login/", {"username": "boss@alpha.test",
                                           "password": "Staff-Password-2026"})
    assert response.status_code == 200  # the login form again, with an error
    assert on_b.get("/staff/").status_code == 302
    on_a = tenant_client(utility_a)
    assert on_a.post("/staff/login/", {"username": "boss@alpha.test",
                                       "password": "Staff-Password-2026"}).status_code == 302


def test_a_session_of_a_is_worthless_on_b(utility_a, utility_b, staff_of):
    client_a = staff_of(utility_a, StaffRole.ADMIN, "boss")
    session = client_a.cookies["lk_session"].value
    on_b = tenant_client(utility_b)
    on_b.cookies["lk_session"] = session
    assert on_b.get("/staff/").status_code == 302  # to B's login
    response = on_b.post("/staff/settings/", {"timezone": "Asia/Omsk"})
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    assert Utility.objects.get(pk=utility_b.pk).timezone == utility_b.timezone


def test_residents_cannot_enter_the_staff_console(utility_a):
    with schema_context(utility_a.schema_name):
        User.objects.create_user(username="500000002", password="Resident-Pass-2026",
                                 kind="resident", is_staff=True)
    client = tenant_client(utility_a)
    client.post("/staff/login/", {"username": "500000002", "password": "Resident-Pass-2026"})
    assert client.get("/staff/").status_code == 302


def test_one_time_password_must_be_changed_first(utility_a, staff_of):
    """identity's gate sends staff with a one-time password to the change page first."""
    client = staff_of(utility_a, StaffRole.DISPATCHER, "fresh", must_change_password=True)
    response = client.get("/staff/branding/")
    assert response.status_code == 302
    assert response["Location"].startswith("/password/change/")
    assert client.get("/staff/settings/").status_code == 302


def test_password_change_in_the_console(utility_a, staff_of):
    client = staff_of(utility_a, StaffRole.DISPATCHER, "fresh")
    assert client.get("/staff/password_change/").status_code == 200
    response = client.post("/staff/password_change/", {
        "old_password": "Staff-Password-2026", "new_password1": "Brand-New-Secret-77",
        "new_password2": "Brand-New-Secret-77"})
    assert response.status_code == 302
    with schema_context(utility_a.schema_name):
        user = User.objects.get(username="fresh@alpha.test")
        assert not user.must_change_password and user.check_password("Brand-New-Secret-77")
    assert client.get("/staff/").status_code == 200


def test_a_weak_new_password_is_refused(utility_a, staff_of):
    client = staff_of(utility_a, StaffRole.ADMIN, "fresh")
    response = client.post("/staff/password_change/", {
        "old_password": "Staff-Password-2026", "new_password1": "123",
        "new_password2": "123"})
    assert response.status_code == 200
    with schema_context(utility_a.schema_name):
        assert User.objects.get(username="fresh@alpha.test").check_password(
            "Staff-Password-2026")
