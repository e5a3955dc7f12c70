"""Writes of the staff console's own data: the audit log and staff accounts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lk_core.staff.models import StaffAuditEvent
from lk_core.users.models import StaffRole, User, UserKind
from lk_core.users.services import staff_user_create


def actor_label(user) -> str:
    """How a person is named in audit rows: their login, which is unique per schema."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "system"
    return f"{user.kind}:{user.username}"


def staff_audit_record(*, actor, section: str, action: str, target: str = "",
                       details: dict | None = None) -> StaffAuditEvent:
    """Append one row to the current tenant's audit log. `actor` is a user or a label."""
    label = actor if isinstance(actor, str) else actor_label(actor)
    return StaffAuditEvent.objects.create(section=section, action=action, actor=label,
                                          target=str(target)[:200], details=details or {})


def staff_member_create_check(*, email: str, role: str) -> None:
    if role not in StaffRole.values:
        raise ValidationError({"staff_role": [_("Choose a role.")]})
    if User.objects.filter(username=email.strip().lower()).exists():
        raise ValidationError({"email": [_("A user with this e-mail already exists.")]})


def staff_member_update_check(*, actor, member: User, role: str, is_active: bool) -> None:
    if member.kind != UserKind.STAFF:
        raise ValidationError(_("Only staff accounts are managed here."))
    if role not in StaffRole.values:
        raise ValidationError({"staff_role": [_("Choose a role.")]})
    if member.pk == getattr(actor, "pk", None) and (role != member.staff_role or not is_active):
        raise ValidationError(_("You cannot change your own role or block yourself."))


def staff_member_create(*, actor, email: str, role: str, utility) -> tuple[User, str]:
    """A new staff account in the current tenant; returns it with its one-time password."""
    staff_member_create_check(email=email, role=role)
    with transaction.atomic():
        user, password = staff_user_create(email=email, role=role, utility=utility)
        staff_audit_record(actor=actor, section="staff", action="staff_created",
                           target=user.username, details={"role": role})
    return user, password


def staff_member_update(*, actor, member: User, role: str, is_active: bool) -> User:
    """`member` as stored (not already modified by a form)."""
    staff_member_update_check(actor=actor, member=member, role=role, is_active=is_active)
    before = {"role": member.staff_role, "is_active": member.is_active}
    member.staff_role, member.is_active = role, is_active
    # Administrators also pass Django's own permission checks on plain ModelAdmins that
    # other apps register; everyone else is governed by lk_core/staff/roles.py alone.
    member.is_superuser = role == StaffRole.ADMIN
    with transaction.atomic():
        member.save(update_fields=["staff_role", "is_active", "is_superuser"])
        staff_audit_record(actor=actor, section="staff", action="staff_updated",
                           target=member.username,
                           details={"before": before,
                                    "after": {"role": role, "is_active": is_active}})
    return member


SECRET_MARKERS = ("secret", "password", "key", "credential", "token")


def audit_value(name: str, value, secret_fields=()) -> object:
    """What the audit log keeps of a value: secrets never, only that they changed."""
    if name in secret_fields or any(marker in name for marker in SECRET_MARKERS):
        return "••••" if value else ""
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def config_row_save(*, actor, obj, fields: list[str], section: str,
                    secret_fields: tuple[str, ...] = ()) -> object:
    """Save a plain configuration row of another app (texts, settings) and audit what
    changed. For rows with rules of their own, the owning app's service is used instead."""
    model = type(obj)
    stored = model.objects.filter(pk=obj.pk).first() if obj.pk else None
    changes = {name: {"from": audit_value(name, getattr(stored, name, None), secret_fields),
                      "to": audit_value(name, getattr(obj, name), secret_fields)}
               for name in fields
               if stored is None or getattr(stored, name) != getattr(obj, name)}
    with transaction.atomic():
        obj.save()
        if changes:
            staff_audit_record(actor=actor, section=section,
                               action=f"{model._meta.model_name}_changed", target=str(obj),
                               details=changes)
    return obj


def config_row_delete(*, actor, obj, section: str) -> None:
    """Delete a plain configuration row (a help page, a notice) and audit it."""
    model = type(obj)
    with transaction.atomic():
        target = str(obj)
        obj.delete()
        staff_audit_record(actor=actor, section=section,
                           action=f"{model._meta.model_name}_deleted", target=target)
