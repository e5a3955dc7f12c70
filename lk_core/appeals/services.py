"""Writes on appeals. The portal, the API and the staff console call these."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lk_core.appeals.models import (
    Appeal,
    AppealAttachment,
    AppealCategory,
    AppealEvent,
    AppealStatus,
    EventKind,
)
from lk_core.billing.models import Account
from lk_core.billing.versions import account_data_changed

MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_TEXT = 4000
# Magic numbers: the type comes from the content, never from the name or the browser.
SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def sniff_image_type(head: bytes) -> str | None:
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _check_text(text: str, field: str = "text") -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: [_("Write what happened.")]})
    if len(text) > MAX_TEXT:
        raise ValidationError({field: [_("At most %(count)d characters, please.")
                                       % {"count": MAX_TEXT}]})
    return text


def _check_photos(photos: Sequence[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": [_("Attach at most %(count)d photos.")
                                          % {"count": MAX_PHOTOS}]})
    checked, errors = [], []
    for photo in photos:
        if photo.size > MAX_PHOTO_BYTES:
            errors.append(_("%(name)s is larger than %(mb)d MB.")
                          % {"name": photo.name, "mb": MAX_PHOTO_BYTES // (1024 * 1024)})
            continue
        photo.seek(0)
        content_type = sniff_image_type(photo.read(16))
        photo.seek(0)
        if content_type is None:
            errors.append(_("%(name)s is not a JPEG, PNG or WebP photo.") % {"name": photo.name})
            continue
        checked.append((photo, content_type))
    if errors:
        raise ValidationError({"photos": errors})
    return checked


def _attachment_save(appeal: Appeal, photo: UploadedFile, content_type: str) -> None:
    attachment = AppealAttachment(appeal=appeal, token=secrets.token_hex(16),
                                  content_type=content_type, size=photo.size,
                                  original_name=(photo.name or "photo")[-200:])
    # The storage is tenant-aware: files land under media/<schema>/appeals/...
    attachment.file.save("photo", photo, save=False)
    attachment.save()


def appeal_create(*, user, account: Account, category_id: int | None, text: str,
                  photos: Sequence[UploadedFile] = ()) -> Appeal:
    """A resident's new appeal, routed as the category says at this moment."""
    category = AppealCategory.objects.filter(pk=category_id, is_active=True).first() \
        if category_id else None
    errors = {}
    if category is None:
        errors["category"] = [_("Choose a topic.")]
    try:
        text = _check_text(text)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        checked = _check_photos(photos)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        appeal = Appeal.objects.create(
            account=account, author=user, category=category, destination=category.destination,
            department=category.department, is_emergency=category.is_emergency, text=text)
        AppealEvent.objects.create(appeal=appeal, kind=EventKind.CREATED, author=user,
                                   text=text, status=AppealStatus.NEW)
        for photo, content_type in checked:
            _attachment_save(appeal, photo, content_type)
        account_data_changed(account_id=account.pk)
    return appeal


def _event(appeal: Appeal, *, kind: str, author, text: str, status: str) -> AppealEvent:
    appeal.status = status
    appeal.closed_at = timezone.now() if status == AppealStatus.CLOSED else None
    appeal.save(update_fields=["status", "closed_at", "updated_at"])
    account_data_changed(account_id=appeal.account_id)
    return AppealEvent.objects.create(appeal=appeal, kind=kind, author=author, text=text,
                                      status=status)


def _locked(appeal: Appeal) -> Appeal:
    return Appeal.objects.select_for_update().get(pk=appeal.pk)


def appeal_reply_by_resident(*, appeal: Appeal, user, text: str) -> AppealEvent:
    text = _check_text(text)
    with transaction.atomic():
        appeal = _locked(appeal)
        if appeal.status == AppealStatus.CLOSED:
            raise ValidationError(_("The appeal is closed; write a new one."), code="closed")
        return _event(appeal, kind=EventKind.RESIDENT_REPLY, author=user, text=text,
                      status=AppealStatus.IN_PROGRESS if appeal.status != AppealStatus.NEW
                      else AppealStatus.NEW)


def appeal_close(*, appeal: Appeal, user) -> AppealEvent:
    with transaction.atomic():
        appeal = _locked(appeal)
        if appeal.status == AppealStatus.CLOSED:
            raise ValidationError(_("The appeal is already closed."), code="closed")
        return _event(appeal, kind=EventKind.CLOSED, author=user, text="",
                      status=AppealStatus.CLOSED)


def appeal_reply_by_staff(*, appeal: Appeal, staff_user, text: str,
                          status: str = AppealStatus.ANSWERED) -> AppealEvent:
    text = _check_text(text)
    if status not in AppealStatus.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    with transaction.atomic():
        return _event(_locked(appeal), kind=EventKind.STAFF_REPLY, author=staff_user, text=text,
                      status=status)


def appeal_set_status(*, appeal: Appeal, staff_user, status: str) -> AppealEvent:
    if status not in AppealStatus.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    with transaction.atomic():
        return _event(_locked(appeal), kind=EventKind.STATUS, author=staff_user, text="",
                      status=status)
