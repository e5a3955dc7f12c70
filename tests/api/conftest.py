"""API test helpers: residents in both tenants, token-carrying clients."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.identity.helpers import PASSWORD, resident_make

__all__ = ["PASSWORD", "api_client", "sign_in"]


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def api_client(utility, token: str | None = None, **headers) -> APIClient:
    client = APIClient(HTTP_HOST=utility.get_primary_domain().domain, **headers)
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def sign_in(utility, number: str, device: str = "Pixel 8", password: str = PASSWORD) -> dict:
    response = api_client(utility).post(
        "/api/v1/auth/token/",
        {"account_number": number, "password": password, "device_name": device},
        format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def alice(in_schema, utility_a, django_capture_on_commit_callbacks):
    """A registered resident of utility A (account 100000001), rules accepted."""
    with in_schema(utility_a):
        return resident_make("100000001", "alice@example.test",
                             django_capture_on_commit_callbacks)


@pytest.fixture
def bob(in_schema, utility_a, django_capture_on_commit_callbacks):
    with in_schema(utility_a):
        return resident_make("100000002", "bob@example.test",
                             django_capture_on_commit_callbacks)


@pytest.fixture
def charlie_b(in_schema, utility_b, django_capture_on_commit_callbacks):
    """A resident of the other utility, with the same account number as Alice."""
    with in_schema(utility_b):
        return resident_make("100000001", "charlie@example.test",
                             django_capture_on_commit_callbacks)
