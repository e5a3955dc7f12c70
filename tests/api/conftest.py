"""API test helpers: residents in both tenants, token-carrying clients."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"


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


def sign_in(utility, username: str, device: str = "Pixel 8", password: str = PASSWORD) -> dict:
    response = api_client(utility).post(
        "/api/v1/auth/token/",
        {"account_number": username, "password": password, "device_name": device},
        format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def alice(in_schema, utility_a):
    with in_schema(utility_a):
        return UserFactory(username="100000001", first_name="Alice")


@pytest.fixture
def bob(in_schema, utility_a):
    with in_schema(utility_a):
        return UserFactory(username="100000002", first_name="Bob")


@pytest.fixture
def charlie_b(in_schema, utility_b):
    """A resident of the other utility, with the same account number as Alice."""
    with in_schema(utility_b):
        return UserFactory(username="100000001", first_name="Charlie")
