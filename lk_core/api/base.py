"""Base classes of the API views: who may call them and how."""

from __future__ import annotations

from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.views import APIView

from lk_core.api.authentication import DeviceTokenAuthentication

# (Comments, not docstrings: drf-spectacular would copy a docstring into every operation.)

class PublicAPIView(APIView):
    # No token needed (branding, sign-in, registration, password reset).

    authentication_classes: list = []
    permission_classes = [AllowAny]


class ResidentAPIView(APIView):
    # A signed-in resident's device. Subclasses reach data only through selectors and
    # services that take `request.user` and answer 404 for what is not theirs.

    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @property
    def device_session(self):
        return self.request.auth
