"""Writes from the portal's settings page, which the API's /settings/ calls too."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lk_core.billing.services import contact_change_record
from lk_core.identity.models import Resident, ResidentAccount
from lk_core.identity.services import resident_notices_set
from lk_core.notifications.models import Kind
from lk_core.notifications.services import preference_update
from lk_core.portal.models import ResidentPreferences
from lk_core.portal.selectors import resident_settings
from lk_core.users.models import User

PHONE = re.compile(r"^\+7\d{10}$")
LANGUAGE_UNKNOWN = gettext_lazy("Choose a language from the list.")


def phone_normalise(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    if len(digits) == 11 and digits[0] in "78":
        return "+7" + digits[1:]
    if len(digits) == 10:
        return "+7" + digits
    return value.strip()


def preferences_update(*, user, contact_phone: str, paperless_receipt: bool, language: str,
                       email_reading_receipt: bool, email_enabled: bool, sms_enabled: bool,
                       muted_kinds: Iterable[str], ip: str | None = None) -> ResidentPreferences:
    """Save the resident's choices (the settings page and the API's /settings/): the
    portal's own, consent per channel and kind through the notifications app, and a change
    of consent recorded by identity with time and IP. Changes nothing when a value is
    invalid."""
    errors: dict[str, list[str]] = {}
    phone = phone_normalise(contact_phone) if contact_phone.strip() else ""
    if phone and not PHONE.match(phone):
        errors["contact_phone"] = [_("Enter a Russian mobile number, for example "
                                     "+7 912 345-67-89.")]
    if language not in dict(settings.LANGUAGES):
        errors["language"] = [str(LANGUAGE_UNKNOWN)]
    muted = set(muted_kinds)
    if muted - set(Kind.values):
        errors["muted_kinds"] = [_("Unknown notification choice.")]
    # SMS go to this number, else to the account's number from billing (notifications'
    # recipients_for_accounts): without either there is nowhere to send them.
    if sms_enabled and not phone and not ResidentAccount.objects.filter(
            resident__user=user).exclude(account__phone="").exists():
        errors.setdefault("contact_phone", []).append(
            _("Enter a phone number to get SMS notifications."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        before = _contact_state(user)
        preferences, _created = ResidentPreferences.objects.update_or_create(
            user=user, defaults={"contact_phone": phone, "paperless_receipt": paperless_receipt,
                                 "language": language,
                                 "email_reading_receipt": email_reading_receipt})
        preference_update(user=user, email_enabled=email_enabled, sms_enabled=sms_enabled,
                          muted_kinds=sorted(muted))
        _resident_record(user, email_enabled=email_enabled, sms_enabled=sms_enabled,
                         language=language, ip=ip)
        after = (phone, paperless_receipt, email_enabled, sms_enabled)
        if after != before:
            _contact_change_queue(user, after)
    return preferences


def _resident_record(user, *, email_enabled: bool, sms_enabled: bool, language: str,
                     ip: str | None) -> None:
    """Identity's record of the resident: their language, and their consent, which only a
    change rewrites (time, IP and the audit event of the decision, not of every save)."""
    resident = Resident.objects.select_for_update().filter(user=user).first()
    if resident is None:
        return
    if (resident.email_notices, resident.sms_notices) != (email_enabled, sms_enabled):
        resident_notices_set(resident=resident, email_notices=email_enabled,
                             sms_notices=sms_enabled, ip=ip)
    if resident.language != language:
        resident.language = language
        resident.save(update_fields=["language"])


def preferences_change(*, user, ip: str | None = None, **changes) -> ResidentPreferences:
    """Change some of the resident's settings (the app's PATCH and PUT; names as
    `preferences_update` takes them), the others keeping their saved values. The user's row
    is locked while the saved values are read and the whole set written back, so two
    changes sent at once (two devices) both land instead of the later undoing the other."""
    with transaction.atomic():
        list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        saved = resident_settings(user=user)
        values = {"contact_phone": saved.contact_phone,
                  "paperless_receipt": saved.paperless_receipt,
                  "email_reading_receipt": saved.email_reading_receipt,
                  "language": saved.language, "email_enabled": saved.email_enabled,
                  "sms_enabled": saved.sms_enabled, "muted_kinds": saved.muted_kinds,
                  **changes}
        return preferences_update(user=user, ip=ip, **values)


def preferences_language_set(*, user, language: str) -> bool:
    """The language the resident picked with the header's switch becomes their language:
    the saved one of the settings page when they saved settings, and the one recorded on
    the identity Resident (registration's) either way, so notifications follow it. No
    preferences row is created (that would be a contact change for the billing export).
    An unknown language changes nothing."""
    if language not in dict(settings.LANGUAGES) or not getattr(user, "is_authenticated", False):
        return False
    saved = ResidentPreferences.objects.filter(user=user).exclude(language=language).update(
        language=language, updated_at=timezone.now())
    recorded = Resident.objects.filter(user=user).exclude(language=language).update(
        language=language)
    return bool(saved or recorded)


def email_receipt_stop(*, user, kind: str) -> None:
    """The unsubscribe link of a receipt e-mail turns the resident's choice off: the
    reading receipt's, or paperless (receipts go back to paper, rather than leave the
    resident with neither)."""
    if kind == Kind.READING_RECEIPT:
        ResidentPreferences.objects.filter(user=user).update(email_reading_receipt=False,
                                                             updated_at=timezone.now())
    elif kind == Kind.RECEIPT:
        paperless_receipt_stop(user=user)


def paperless_receipt_stop(*, user) -> None:
    """Receipts go back to paper; the billing system learns it from the contacts export."""
    with transaction.atomic():
        before = _contact_state(user)
        preferences = ResidentPreferences.objects.select_for_update().filter(user=user).first()
        if preferences is None or not preferences.paperless_receipt:
            return
        preferences.paperless_receipt = False
        preferences.save(update_fields=["paperless_receipt", "updated_at"])
        if before is not None:
            _contact_change_queue(user, (before[0], False, before[2], before[3]))


def _contact_state(user) -> tuple | None:
    """What the billing system knows of the resident's contacts, as last saved here."""
    preferences = ResidentPreferences.objects.filter(user=user).first()
    resident = Resident.objects.filter(user=user).first()
    if preferences is None or resident is None:
        return None
    return (preferences.contact_phone, preferences.paperless_receipt,
            resident.email_notices, resident.sms_notices)


def _contact_change_queue(user, state: tuple) -> None:
    """One row per linked account for the lk-export/1 contacts.csv, in this transaction."""
    phone, paperless, consent_email, consent_sms = state
    numbers = ResidentAccount.objects.filter(resident__user=user).values_list(
        "account__number", flat=True)
    for number in numbers:
        contact_change_record(account_number=number, email=user.email or "", phone=phone,
                              paperless=paperless, consent_email=consent_email,
                              consent_sms=consent_sms)
