"""What an acceptable appeal webhook URL is, in one place: the model field's validator, so
the staff console form, `appeal_category_save` and any `full_clean` give the same
translated error for the same input."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from lk_platform.outbound import outbound_url_validator

_well_formed = URLValidator(schemes=["http", "https"])


def webhook_url_validator(value: str) -> None:
    """Required (a route that delivers by webhook calls this with an empty URL too),
    https:// (http:// only with settings.APPEAL_WEBHOOK_ALLOW_HTTP, for a local receiver in
    development and tests), a well-formed URL, and not into the platform's own network."""
    if not value:
        raise ValidationError(_("Enter the webhook URL."), code="required")
    schemes = ("https://", "http://") if settings.APPEAL_WEBHOOK_ALLOW_HTTP else ("https://",)
    if not value.lower().startswith(schemes):
        raise ValidationError(_("The webhook URL must start with https://."), code="scheme")
    try:
        _well_formed(value)
    except ValidationError as exc:
        raise ValidationError(
            _("Enter a valid webhook URL, for example https://crm.utility.example/appeals."),
            code="invalid") from exc
    outbound_url_validator(value)
