"""Residents made through the real registration service (not the web form)."""

from __future__ import annotations

from django.core import mail

from lk_core.identity.services import resident_register, rules_default_ensure
from lk_core.users.models import User
from tests.identity.conftest import account_with_invoices, mailed_password

PASSWORD = "Moy-parol-ot-kvartiry-7"


def resident_make(number: str, email: str, capture, *, own_password: str | None = PASSWORD,
                  amount_due: str = "1234.56") -> User:
    """Register `number` and, unless own_password is None, replace the initial password
    the way a resident would (so the login is ready to use)."""
    account_with_invoices(number, amount_due=amount_due)
    with capture(execute=True):
        outcome = resident_register(account_number=number, email=email, proof=amount_due,
                                    rules_version=rules_default_ensure(), email_notices=True,
                                    sms_notices=False, ip="198.51.100.1")
    assert outcome.ok
    user = outcome.user
    if own_password is not None:
        user.set_password(own_password)
        user.must_change_password = False
        user.password_expires_at = None
        user.save()
    else:
        user.initial_password = mailed_password(
            [m for m in mail.outbox if email in m.to][-1])
    return user


def log_in(client, number: str, password: str = PASSWORD, **extra):
    return client.post("/login/", {"account_number": number, "password": password}, **extra)
