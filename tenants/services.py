"""Writes on utilities: onboarding and lifecycle. Callers: CLI, operator console, tests."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_context

from tenants import provisioning
from tenants.branding import branding_image_check, validate_hex_color, validate_primary_color
from tenants.models import SLUG_VALIDATOR, Domain, Utility, UtilityAuditEvent, UtilityState

RESERVED_SLUGS = {"www", "api", "admin", "static", "media", "public", "console", "mail",
                  "utility-template", "pg", "information-schema"}


@dataclass(frozen=True)
class OnboardingResult:
    utility: Utility
    staff_username: str | None
    staff_password: str | None


def public_schema():
    return schema_context(get_public_schema_name())


def schema_name_for_slug(slug: str) -> str:
    return "u_" + re.sub(r"[^a-z0-9]", "_", slug)


def default_domain_for_slug(slug: str) -> str:
    return f"{slug}.{settings.PLATFORM_DOMAIN}"


def _validate_new_utility(*, slug: str, domains: list[str], primary_color: str,
                          accent_color: str) -> None:
    errors: dict[str, list[str]] = {}
    try:
        SLUG_VALIDATOR(slug)
    except ValidationError as exc:
        errors.setdefault("slug", []).extend(exc.messages)
    if slug in RESERVED_SLUGS:
        errors.setdefault("slug", []).append(_("This slug is reserved."))
    if Utility.objects.filter(slug=slug).exists():
        errors.setdefault("slug", []).append(_("A utility with this slug already exists."))
    taken = list(Domain.objects.filter(domain__in=domains).values_list("domain", flat=True))
    if taken or settings.PLATFORM_DOMAIN in domains:
        errors.setdefault("domains", []).append(
            _("Domain already in use: %(domains)s") % {"domains": ", ".join(
                taken or [settings.PLATFORM_DOMAIN])})
    for field, value, check in (("primary_color", primary_color, validate_primary_color),
                                ("accent_color", accent_color, validate_hex_color)):
        try:
            check(value)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)


def utility_create(*, slug: str, name: str, actor: str, domains: list[str] | None = None,
                   timezone_name: str = "Europe/Moscow", kind: str = "water",
                   staff_email: str | None = None, send_staff_email: bool = True,
                   **branding: str) -> OnboardingResult:
    """Onboard a utility: schema (cloned from the template), domains, first staff user.

    All or nothing: a failure anywhere leaves no row, no schema and no user behind.
    """
    slug = slug.strip().lower()
    domains = [d.strip().lower() for d in (domains or [])] or [default_domain_for_slug(slug)]
    branding.setdefault("primary_color", Utility._meta.get_field("primary_color").default)
    branding.setdefault("accent_color", Utility._meta.get_field("accent_color").default)
    _validate_new_utility(slug=slug, domains=domains, primary_color=branding["primary_color"],
                          accent_color=branding["accent_color"])
    with public_schema():
        return _utility_provision(slug=slug, name=name, actor=actor, domains=domains,
                                  timezone_name=timezone_name, kind=kind,
                                  staff_email=staff_email, send_staff_email=send_staff_email,
                                  branding=branding)


def _utility_provision(*, slug, name, actor, domains, timezone_name, kind, staff_email,
                       send_staff_email, branding) -> OnboardingResult:
    provisioning.template_ensure()
    utility = Utility(schema_name=schema_name_for_slug(slug), slug=slug, name=name,
                      kind=kind, timezone=timezone_name, **branding)
    utility.full_clean(exclude=["schema_name"])
    with transaction.atomic():
        utility.save()
        for index, domain in enumerate(domains):
            Domain.objects.create(domain=domain, tenant=utility, is_primary=index == 0)
        provisioning.schema_clone_from_template(utility.schema_name)
        username = password = None
        if staff_email:
            username, password = _first_staff_user_create(utility, staff_email, send_staff_email)
        UtilityAuditEvent.objects.create(
            utility=utility, action="onboarded", actor=actor,
            details={"domains": domains, "staff": username or ""})
    return OnboardingResult(utility=utility, staff_username=username, staff_password=password)


def _first_staff_user_create(utility: Utility, email: str, send_email: bool) -> tuple[str, str]:
    from lk_core.users.services import staff_user_create

    with schema_context(utility.schema_name):
        user, password = staff_user_create(email=email, role="admin", utility=utility,
                                           send_email=send_email)
    return user.username, password


def utility_set_state(*, utility: Utility, state: str, actor: str, message: str = "") -> Utility:
    if state not in UtilityState.values:
        raise ValidationError({"state": [_("Unknown state: %(state)s") % {"state": state}]})
    if utility.is_public:
        raise ValidationError({"state": [_("The platform itself has no state to change.")]})
    previous = utility.state
    utility.state = state
    utility.state_message = message
    utility.state_changed_at = timezone.now()
    with public_schema(), transaction.atomic():
        utility.save(update_fields=["state", "state_message", "state_changed_at"])
        UtilityAuditEvent.objects.create(
            utility=utility, action="state_changed", actor=actor,
            details={"from": previous, "to": state, "message": message})
    return utility


def utility_delete(*, utility: Utility, actor: str) -> None:
    """Remove a utility with its schema (operators only; used by tests and offboarding)."""
    schema = utility.schema_name
    with public_schema(), transaction.atomic():
        utility.delete()
        provisioning.schema_drop(schema)


def public_utility_get() -> Utility:
    """The platform's own tenant row (public schema), created on first use."""
    utility, _created = Utility.objects.get_or_create(
        schema_name="public",
        defaults={"slug": "platform", "name": settings.PLATFORM_NAME, "kind": "platform"},
    )
    return utility


# What a utility's administrator may change about its own portal from the staff console.
BRANDING_FIELDS = ("theme", "primary_color", "accent_color", "tagline", "support_phone",
                   "dispatch_phone", "support_email", "postal_address", "office_hours")
SETTINGS_FIELDS = ("timezone", "reading_window_start_day", "reading_window_end_day")
IDENTITY_FIELDS = ("name", "kind")  # operators only


def utility_update_branding(*, utility: Utility, actor, logo=None, favicon=None,
                            remove_logo: bool = False, remove_favicon: bool = False,
                            **fields) -> Utility:
    """Change the portal's look and contacts; audited in the utility's staff audit log.

    Uploaded images are stored in the utility's own media folder under a content-derived
    name, so a new logo gets a new URL and browsers never show a stale one.
    """
    _check_fields(fields, BRANDING_FIELDS)
    _validate_utility_fields(utility, fields)
    files = {"logo": logo, "favicon": favicon}
    extensions = _validate_images(files)
    for kind, remove in (("logo", remove_logo), ("favicon", remove_favicon)):
        if remove and not files[kind]:
            fields[kind] = ""
    for kind, upload in files.items():
        if upload:
            fields[kind] = _branding_image_store(utility, kind, upload, extensions[kind])
    return _utility_update(utility=utility, actor=actor, fields=fields, section="branding",
                           action="branding_changed")


def utility_update_settings(*, utility: Utility, actor, **fields) -> Utility:
    """Tenant-wide settings kept on the utility row (time zone, reading window)."""
    _check_fields(fields, SETTINGS_FIELDS)
    _validate_utility_fields(utility, fields)
    return _utility_update(utility=utility, actor=actor, fields=fields, section="settings",
                           action="settings_changed")


def utility_update_identity(*, utility: Utility, actor, **fields) -> Utility:
    """The utility's name and kind: changed by platform operators."""
    _check_fields(fields, IDENTITY_FIELDS)
    _validate_utility_fields(utility, fields)
    return _utility_update(utility=utility, actor=actor, fields=fields, section="settings",
                           action="identity_changed")


def _check_fields(fields: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"not changeable here: {sorted(unknown)}")


def _validate_utility_fields(utility: Utility, fields: dict) -> None:
    errors: dict[str, list[str]] = {}
    for name, value in fields.items():
        field = Utility._meta.get_field(name)
        try:
            field.clean(value, utility)
            if name == "primary_color":
                validate_primary_color(value)
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)


def _validate_images(files: dict) -> dict[str, str]:
    errors, extensions = {}, {}
    for kind, upload in files.items():
        if upload:
            try:
                extensions[kind] = branding_image_check(upload)
            except ValidationError as exc:
                errors[kind] = exc.messages
    if errors:
        raise ValidationError(errors)
    return extensions


def _branding_image_store(utility: Utility, kind: str, upload, extension: str) -> str:
    import hashlib

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    content = upload.read()
    name = f"branding/{kind}-{hashlib.sha256(content).hexdigest()[:16]}.{extension}"
    with schema_context(utility.schema_name):  # the storage picks the folder by schema
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(content))
    return name


def _utility_update(*, utility: Utility, actor, fields: dict, section: str,
                    action: str) -> Utility:
    from lk_core.staff.services import staff_audit_record

    changes = {name: {"from": getattr(utility, name), "to": value}
               for name, value in fields.items() if getattr(utility, name) != value}
    if not changes:
        return utility
    for name, value in fields.items():
        setattr(utility, name, value)
    # django-tenants saves a tenant row only from its own schema or public: do it in public,
    # then write the audit row in the utility's schema, both in one transaction.
    with transaction.atomic():
        with public_schema():
            utility.save(update_fields=list(changes))
        with schema_context(utility.schema_name):
            staff_audit_record(actor=actor, section=section, action=action,
                               target=utility.name, details=changes)
        if _is_operator(actor):
            with public_schema():
                UtilityAuditEvent.objects.create(utility=utility, action=action,
                                                 actor=_label(actor), details=changes)
    return utility


def _label(actor) -> str:
    if isinstance(actor, str):
        return actor
    return f"{actor.kind}:{actor.username}"


def _is_operator(actor) -> bool:
    return _label(actor).startswith("operator:")
