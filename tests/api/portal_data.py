"""Residents with billing history for the API's read endpoints, signed in on a device (the
portal tests' data builders, so the API and the web pages are tested on the same data)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from lk_core.billing.models import Account
from lk_core.devices.services import device_session_create
from lk_core.identity.models import Resident
from lk_core.identity.selectors import rules_current
from lk_core.identity.services import rules_accept
from lk_core.users.models import User
from tests.api.conftest import api_client
from tests.portal import data

# Alpha (Moscow) and beta (Vladivostok) accept readings from the 15th to the 25th.
IN_WINDOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
OUT_OF_WINDOW = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)


@dataclass
class Someone:
    user: User
    account: Account
    stuff: dict
    token: str

    def client(self, utility, **headers):
        return api_client(utility, self.token, **headers)

    def sign_in_again(self) -> None:
        self.token = device_session_create(user=self.user, device_name="again").access

    @property
    def meter(self):
        return self.stuff["meters"][0]


def someone(number: str, *, months: int = 24, meters: int = 2, meter_digits: int = 5,
            device: str = "Pixel 8") -> Someone:
    """In the current tenant's schema: a resident with `months` of invoices, charges,
    payments and meters with monthly readings, and an access token."""
    user, account = data.resident(number)
    stuff = data.history(account, months=months, meters=meters, meter_digits=meter_digits)
    rules = rules_current()
    if rules is not None:
        rules_accept(resident=Resident.objects.get(user=user), version=rules, ip="198.51.100.7")
    return Someone(user, account, stuff, device_session_create(user=user,
                                                               device_name=device).access)


def freeze(monkeypatch, moment: dt.datetime) -> None:
    """'Now' for the views and the services (the window is counted in the tenant's zone)."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.fixture
def in_window(monkeypatch):
    freeze(monkeypatch, IN_WINDOW)
