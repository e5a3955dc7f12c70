"""`Authorization: Bearer <access token>` from lk_core.devices. The token is looked up in the
current tenant's schema only, so a token from another utility is simply unknown here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from lk_core.devices.selectors import device_session_for_access_token
from lk_core.devices.services import device_session_touch
from lk_core.users.models import UserKind


class DeviceTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Malformed Authorization header: use 'Bearer <token>'."))
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The token is invalid.")) from None
        session = device_session_for_access_token(token=token)
        if session is None or not self._may_use_api(session.user):
            raise exceptions.AuthenticationFailed(
                _("The access token is invalid or expired."), code="token_invalid")
        device_session_touch(session=session)
        return session.user, session

    @staticmethod
    def _may_use_api(user) -> bool:
        return user.is_active and user.kind == UserKind.RESIDENT

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = DeviceTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "Access token from POST /api/v1/auth/token/"}
