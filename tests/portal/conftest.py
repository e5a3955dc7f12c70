"""Fixtures of the portal's tests."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.fixture
def committed_tenant(django_db_setup, django_db_blocker, monkeypatch):
    """A tenant created outside the test transaction: for real transactions in threads."""
    from tenants.services import utility_create, utility_delete

    # Playwright's sync API (browser tests earlier in the session) leaves its event loop
    # registered on the main thread, which Django's async guard takes for an async context.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with django_db_blocker.unblock():
        utility = utility_create(slug="portal-race", name="Race Water", actor="tests",
                                 send_staff_email=False).utility
        try:
            yield utility
        finally:
            connection.set_schema_to_public()
            utility_delete(utility=utility, actor="tests")
            connection.close()
