"""Login with any linked account number + password. The User table is per tenant schema,
so an account number means something only at its own utility."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

from lk_core.identity.models import ResidentAccount
from lk_core.users.models import User, UserKind


class AccountNumberBackend(ModelBackend):
    def authenticate(self, request, account_number=None, password=None, **kwargs):
        if not account_number or password is None:
            return None
        link = (ResidentAccount.objects.select_related("resident__user")
                .filter(account__number=account_number).first())
        user = link.resident.user if link else None
        if user is None or user.kind != UserKind.RESIDENT:
            User().set_password(password)  # same hashing work as a real check (timing)
            return None
        password_ok = user.check_password(password)
        if password_ok and self.user_can_authenticate(user) and not _initial_expired(user):
            return user
        return None


def _initial_expired(user: User) -> bool:
    """An initial (generated) password not replaced in time no longer opens the door."""
    return bool(user.password_expires_at and user.password_expires_at < timezone.now())
