"""Sign-in for the mobile app: account number + password -> a token pair per device."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from lk_core.api.base import PublicAPIView, ResidentAPIView, client_ip, valid_data
from lk_core.api.exceptions import TooManyAttempts
from lk_core.api.permissions import rules_ok
from lk_core.devices import selectors, services
from lk_core.identity import services as identity


class TokenRequestSerializer(serializers.Serializer):
    account_number = serializers.CharField(max_length=32, label=gettext_lazy("account number"))
    password = serializers.CharField(max_length=128, trim_whitespace=False,
                                     label=gettext_lazy("password"))
    device_name = serializers.CharField(max_length=100, label=gettext_lazy("device"),
                                        help_text="Shown to the resident in the device list.")


class RefreshRequestSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=200)


class TokenPairSerializer(serializers.Serializer):
    session_id = serializers.IntegerField()
    token_type = serializers.CharField(default="Bearer")
    access = serializers.CharField()
    access_expires_at = serializers.DateTimeField()
    refresh = serializers.CharField()
    refresh_expires_at = serializers.DateTimeField()
    must_change_password = serializers.BooleanField(
        help_text="Until the password is changed, only the password, rules and sign-out "
                  "endpoints answer (403 password_change_required).")
    rules_acceptance_required = serializers.BooleanField(
        help_text="The current service rules must be accepted first "
                  "(403 rules_acceptance_required elsewhere).")


class DeviceSessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    device_name = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    current = serializers.BooleanField()


def token_pair(issued: services.IssuedTokens) -> dict:
    session = issued.session
    user = session.user
    return {"session_id": session.pk, "token_type": "Bearer", "access": issued.access,
            "access_expires_at": session.access_expires_at, "refresh": issued.refresh,
            "refresh_expires_at": session.refresh_expires_at,
            "must_change_password": user.must_change_password,
            "rules_acceptance_required": not rules_ok(user)}


def _resident_authenticate(request, *, account_number: str, password: str):
    """identity's login check, with its limits and audit log, as the login page uses it."""
    outcome = identity.resident_authenticate(
        request=request._request, account_number=account_number, password=password,
        ip=client_ip(request))
    if outcome.retry_after:
        raise TooManyAttempts(wait=outcome.retry_after)
    if not outcome.ok:
        raise ValidationError(_("The account number or password is not correct."),
                              code="invalid_credentials")
    return outcome.user


class TokenView(PublicAPIView):
    throttle_scope = "auth"

    @extend_schema(tags=["auth"], request=TokenRequestSerializer,
                   responses={201: TokenPairSerializer},
                   summary="Sign in a device: account number + password -> token pair")
    def post(self, request):
        data = valid_data(TokenRequestSerializer, request)
        user = _resident_authenticate(request, account_number=data["account_number"],
                                      password=data["password"])
        issued = services.device_session_create(user=user, device_name=data["device_name"])
        return Response(TokenPairSerializer(token_pair(issued)).data,
                        status=status.HTTP_201_CREATED)


class RefreshView(PublicAPIView):
    throttle_scope = "auth"

    @extend_schema(tags=["auth"], request=RefreshRequestSerializer,
                   responses={200: TokenPairSerializer},
                   summary="Rotate: a refresh token -> a new token pair")
    def post(self, request):
        data = valid_data(RefreshRequestSerializer, request)
        issued = services.device_session_refresh(refresh=data["refresh"])
        return Response(TokenPairSerializer(token_pair(issued)).data)


class LogoutView(ResidentAPIView):
    gate_exempt = True
    @extend_schema(tags=["auth"], request=None,
                   responses={204: OpenApiResponse(description="Signed out")},
                   summary="Sign this device out (revokes its tokens)")
    def post(self, request):
        services.device_session_revoke(session=self.device_session,
                                       reason=services.RevokeReason.LOGOUT)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeviceSessionListView(ResidentAPIView):
    gate_exempt = True

    @extend_schema(tags=["auth"], responses={200: DeviceSessionSerializer(many=True)},
                   summary="Devices signed in to this account")
    def get(self, request):
        current = self.device_session.pk
        rows = [{"id": s.pk, "device_name": s.device_name, "created_at": s.created_at,
                 "last_used_at": s.last_used_at, "current": s.pk == current}
                for s in selectors.device_sessions_for_user(user=request.user)]
        return Response(DeviceSessionSerializer(rows, many=True).data)


class DeviceSessionDetailView(ResidentAPIView):
    gate_exempt = True
    @extend_schema(tags=["auth"], responses={204: OpenApiResponse(description="Revoked")},
                   summary="Sign a device out")
    def delete(self, request, session_id: int):
        session = selectors.device_session_get_for_user(user=request.user,
                                                        session_id=session_id)
        services.device_session_revoke(session=session)
        return Response(status=status.HTTP_204_NO_CONTENT)

