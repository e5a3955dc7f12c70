"""Resident-facing REST API (mobile app). Views validate and call services/selectors."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from lk_core.api.base import PublicAPIView


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
    dispatch_phone = serializers.CharField()
    support_phone = serializers.CharField()
    support_email = serializers.CharField()
    postal_address = serializers.CharField()
    office_hours = serializers.CharField()


class UtilityBrandingView(PublicAPIView):
    """The utility's public branding and settings, for theming the mobile app."""

    @extend_schema(tags=["utility"], responses={200: UtilityBrandingSerializer},
                   summary="The utility's branding and contacts (no token needed)")
    def get(self, request):
        return Response(UtilityBrandingSerializer(request.tenant).data)
