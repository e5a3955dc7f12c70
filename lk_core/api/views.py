"""Resident-facing REST API (mobile app). Views validate and call services/selectors."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from lk_core.api.base import PublicAPIView
from lk_core.identity.models import RegistrationMethod
from lk_core.identity.selectors import identity_settings_get
from lk_core.meters.windows import ReadingWindow, utility_window_state
from lk_core.payments.selectors import payment_capabilities
from themes.context_processors import branding_version


class WindowDatesSerializer(serializers.Serializer):
    opens_on = serializers.DateField()
    closes_on = serializers.DateField(help_text="The last day readings are accepted.")


class ReadingWindowSerializer(serializers.Serializer):
    start_day = serializers.IntegerField(help_text="Day of the month the window opens.")
    end_day = serializers.IntegerField(
        help_text="Last day of the month readings are accepted (a window may wrap over the "
                  "month end; day 31 means the month's last day).")
    timezone = serializers.CharField(help_text="The days are counted in this time zone.")
    today = serializers.DateField(help_text="Today in that time zone.")
    is_open = serializers.BooleanField()
    current = WindowDatesSerializer(allow_null=True, help_text="The open window, when open.")
    next = WindowDatesSerializer(help_text="The next window to open.")


class PaymentCapabilitiesSerializer(serializers.Serializer):
    card = serializers.BooleanField(help_text="Card payments are taken (POST /payments/).")
    sbp = serializers.BooleanField(help_text="SBP is offered as a payment method.")
    currency = serializers.CharField()


class LanguageSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Send it as Accept-Language.")
    name = serializers.CharField(help_text="In the request's language.")


class UtilityBrandingSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField()
    kind = serializers.CharField()
    state = serializers.CharField()
    state_message = serializers.CharField()
    timezone = serializers.CharField()
    theme = serializers.CharField()
    primary_color = serializers.CharField()
    accent_color = serializers.CharField()
    tagline = serializers.CharField()
    logo_url = serializers.URLField(allow_null=True, help_text="Absolute; null without a logo. "
                                    "The URL changes when the image does.")
    favicon_url = serializers.URLField(allow_null=True, help_text="Absolute; null without one.")
    dispatch_phone = serializers.CharField()
    support_phone = serializers.CharField()
    support_email = serializers.CharField()
    postal_address = serializers.CharField()
    office_hours = serializers.CharField()
    reading_window = ReadingWindowSerializer()
    registration_method = serializers.ChoiceField(choices=RegistrationMethod.choices,
                                                  help_text="Details: GET /register/.")
    self_registration = serializers.BooleanField(
        help_text="False when residents are registered in the office only.")
    payments = PaymentCapabilitiesSerializer()
    languages = LanguageSerializer(many=True)
    default_language = serializers.CharField()


def _asset_url(request, utility, kind: str) -> str | None:
    if not getattr(utility, kind):
        return None
    path = reverse("branding_asset", args=[kind])
    return request.build_absolute_uri(f"{path}?v={branding_version(utility)}")


def _window(window: ReadingWindow | None) -> dict | None:
    return None if window is None else {"opens_on": window.opens_on,
                                        "closes_on": window.closes_on}


def _reading_window(utility, now: dt.datetime) -> dict:
    state = utility_window_state(utility, now=now)
    return {"start_day": utility.reading_window_start_day,
            "end_day": utility.reading_window_end_day, "timezone": utility.timezone,
            "today": timezone.localtime(now, utility.tzinfo).date(), "is_open": state.is_open,
            "current": _window(state.current), "next": _window(state.next)}


class UtilityBrandingView(PublicAPIView):
    """The utility's public branding and settings, for theming the mobile app."""

    @extend_schema(tags=["utility"], responses={200: UtilityBrandingSerializer},
                   summary="The utility's branding, contacts and what it offers (no token "
                           "needed)")
    def get(self, request):
        utility = request.tenant
        method = identity_settings_get().registration_method
        capabilities = payment_capabilities()
        data = {field: getattr(utility, field) for field in (
            "name", "slug", "kind", "state", "state_message", "timezone", "theme",
            "primary_color", "accent_color", "tagline", "dispatch_phone", "support_phone",
            "support_email", "postal_address", "office_hours")}
        data.update(
            logo_url=_asset_url(request, utility, "logo"),
            favicon_url=_asset_url(request, utility, "favicon"),
            reading_window=_reading_window(utility, timezone.now()),
            registration_method=method,
            self_registration=method != RegistrationMethod.OFFICE,
            payments={"card": capabilities.card, "sbp": capabilities.sbp,
                      "currency": capabilities.currency},
            languages=[{"code": code, "name": str(name)} for code, name in settings.LANGUAGES],
            default_language=settings.LANGUAGE_CODE)
        return Response(UtilityBrandingSerializer(data).data)
