"""Which notification kinds the resident turned off (the notifications app's service). The
channels themselves are consent, recorded with time and IP by identity: PUT /settings/."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from lk_core.api.base import ResidentAPIView, valid_data
from lk_core.notifications.models import (
    EMAIL_RECEIPT_KINDS,
    ESSENTIAL_KINDS,
    Kind,
    NotificationPreference,
)
from lk_core.notifications.selectors import preferences_for
from lk_core.notifications.services import preference_update

# Receipts by e-mail are not kinds to mute: they are the resident's choices in the
# portal's settings (paperless off means paper receipts); their e-mails' unsubscribe
# links turn those choices off.
MUTABLE_KINDS = [(value, label) for value, label in Kind.choices
                 if value not in ESSENTIAL_KINDS and value not in EMAIL_RECEIPT_KINDS]


class KindSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    muted = serializers.BooleanField()


class PreferenceSerializer(serializers.Serializer):
    muted_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=MUTABLE_KINDS), max_length=len(MUTABLE_KINDS),
        help_text="Kinds the resident turned off (essential security messages always go).")


class PreferenceOutSerializer(PreferenceSerializer):
    email_enabled = serializers.BooleanField(help_text="Change with PUT /settings/.")
    sms_enabled = serializers.BooleanField(help_text="Change with PUT /settings/.")
    kinds = KindSerializer(many=True, help_text="Every kind that can be turned off.")


def _preference(user) -> NotificationPreference:
    # No row yet means the model's defaults, exactly what the notifier assumes.
    return preferences_for({user.pk}).get(user.pk) or NotificationPreference(user=user)


def _out(preference: NotificationPreference) -> dict:
    muted = set(preference.muted_kinds) & {value for value, _label in MUTABLE_KINDS}
    return {"email_enabled": preference.email_enabled, "sms_enabled": preference.sms_enabled,
            "muted_kinds": sorted(muted),
            "kinds": [{"kind": value, "label": label, "muted": value in muted}
                      for value, label in MUTABLE_KINDS]}


class NotificationPreferenceView(ResidentAPIView):
    @extend_schema(tags=["settings"], responses={200: PreferenceOutSerializer},
                   summary="Notification channels (as consented) and kinds")
    def get(self, request):
        return Response(PreferenceOutSerializer(_out(_preference(request.user))).data)

    @extend_schema(tags=["settings"], request=PreferenceSerializer,
                   responses={200: PreferenceOutSerializer},
                   summary="Turn notification kinds off or on")
    def put(self, request):
        data = valid_data(PreferenceSerializer, request)
        current = _preference(request.user)  # channels stay as consented
        preference = preference_update(user=request.user, email_enabled=current.email_enabled,
                                       sms_enabled=current.sms_enabled,
                                       muted_kinds=list(data["muted_kinds"]))
        return Response(PreferenceOutSerializer(_out(preference)).data)
