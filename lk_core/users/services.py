"""Writes on users that are not resident-specific (staff, operators)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from lk_core.users.models import StaffRole, User, UserKind
from lk_core.users.passwords import password_generate
from tenants.urls import utility_url


def staff_user_create(*, email: str, role: str = StaffRole.ADMIN, utility=None,
                      send_email: bool = True) -> tuple[User, str]:
    """Create a staff user in the current tenant schema with a one-time password.

    The password is returned once (to be printed by the caller) and e-mailed; the user must
    replace it at first login. Administrators get every permission inside their own schema.
    """
    password = password_generate()
    email = email.strip().lower()
    user = User.objects.create_user(
        username=email, email=email, password=password, kind=UserKind.STAFF,
        staff_role=role, is_staff=True, is_superuser=role == StaffRole.ADMIN,
        must_change_password=True,
    )
    if send_email and utility is not None:
        context = {"utility": utility, "username": user.username, "password": password,
                   "url": utility_url(utility, "/staff/")}
        body = render_to_string("users/email/staff_welcome.txt", context)
        subject = _("Access to the staff console of %(name)s") % {"name": utility.name}
        transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL,
                                                [email]))
    return user, password


def operator_user_create(*, email: str, password: str) -> User:
    """A platform operator (public schema)."""
    email = email.strip().lower()
    return User.objects.create_user(username=email, email=email, password=password,
                                    kind=UserKind.OPERATOR, is_staff=True, is_superuser=True)


def user_password_change(*, user: User, new_password: str) -> User:
    """Set a password the user chose; a one-time password stops being required."""
    user.set_password(new_password)
    user.must_change_password = False
    user.password_expires_at = None
    user.save(update_fields=["password", "must_change_password", "password_expires_at"])
    return user
