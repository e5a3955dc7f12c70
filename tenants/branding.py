"""Colour checks for tenant branding (WCAG 2.1 contrast)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST_WITH_WHITE = 4.5  # WCAG AA for normal text: buttons carry white text


def validate_hex_color(value: str) -> None:
    if not HEX_COLOR.match(value or ""):
        raise ValidationError(_("Enter a colour as #RRGGBB."), code="invalid_color")


def relative_luminance(color: str) -> float:
    channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)),
                             reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def validate_primary_color(value: str) -> None:
    """The primary colour is the background of white button text: it must be readable."""
    validate_hex_color(value)
    ratio = contrast_ratio(value, "#ffffff")
    if ratio < MIN_CONTRAST_WITH_WHITE:
        raise ValidationError(
            _("White text on %(color)s has contrast %(ratio).1f:1; at least %(min).1f:1 is "
              "needed. Choose a darker colour."),
            code="low_contrast",
            params={"color": value, "ratio": ratio, "min": MIN_CONTRAST_WITH_WHITE},
        )
