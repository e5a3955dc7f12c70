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


# Logo and favicon: raster formats only (an SVG can carry script), small enough for a header.
IMAGE_FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"),
                 "WEBP": ("webp", "image/webp"), "ICO": ("ico", "image/x-icon")}
IMAGE_MAX_BYTES = 512 * 1024
CONTENT_TYPES = dict(IMAGE_FORMATS.values())  # extension -> content type


def branding_image_check(upload) -> str:
    """The file extension for an uploaded logo or favicon, or a ValidationError."""
    from PIL import Image, UnidentifiedImageError

    if upload.size > IMAGE_MAX_BYTES:
        raise ValidationError(_("The image is larger than %(max)d KB.")
                              % {"max": IMAGE_MAX_BYTES // 1024}, code="too_large")
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValidationError(_("This file is not an image we can show."),
                              code="not_image") from exc
    finally:
        upload.seek(0)
    if image_format not in IMAGE_FORMATS:
        raise ValidationError(_("Upload a PNG, JPEG, WebP or ICO image."), code="format")
    return IMAGE_FORMATS[image_format][0]
