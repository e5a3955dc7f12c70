"""Staff of each role on tenants A and B, logged in through the tenant's own host."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from lk_core.users.models import StaffRole, User, UserKind
from tests.conftest import tenant_client

ROLES = [role.value for role in StaffRole]


def staff_user(utility, role: str, name: str | None = None, **extra) -> User:
    username = f"{name or 'role-' + role}@{utility.slug}.test"
    with schema_context(utility.schema_name):
        return User.objects.create_user(
            username=username, email=username, password="Staff-Password-2026",
            kind=UserKind.STAFF, staff_role=role, is_staff=True,
            is_superuser=role == StaffRole.ADMIN, **extra)


def staff_client(utility, role: str, name: str | None = None, **extra):
    user = staff_user(utility, role, name, **extra)
    client = tenant_client(utility)
    with schema_context(utility.schema_name):
        client.force_login(user)
    return client


@pytest.fixture
def staff_of(db):
    """`staff_of(utility, role)` -> a test client logged in as such a staff member."""
    return staff_client
