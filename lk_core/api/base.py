"""Base classes of the API views: who may call them and how."""

from __future__ import annotations

from django.http import Http404
from django.utils.functional import cached_property
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.views import APIView

from lk_core.api.authentication import DeviceTokenAuthentication
from lk_core.api.exceptions import api_exception_handler
from lk_core.api.permissions import ResidentGate
from lk_core.api.throttling import TenantScopedThrottle
from lk_core.identity.http import client_ip
from lk_core.identity.models import Resident
from lk_core.identity.selectors import resident_for_user

__all__ = ["PublicAPIView", "ResidentAPIView", "client_ip", "valid_data"]

# (Comments, not docstrings: drf-spectacular would copy a docstring into every operation.)

class ResidentApiBase(APIView):
    # What every view of the resident API shares: the error shape, throttling per tenant
    # and scope.
    throttle_classes = [TenantScopedThrottle]
    pagination_class = None  # list views that page set PagePagination themselves

    def get_exception_handler(self):
        return api_exception_handler


class PublicAPIView(ResidentApiBase):
    # No token needed (branding, sign-in, registration, password reset).

    authentication_classes: list = []
    permission_classes = [AllowAny]


class ResidentAPIView(ResidentApiBase):
    # A signed-in resident's device. Subclasses reach data only through selectors and
    # services that take `request.user` and answer 404 for what is not theirs.

    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [IsAuthenticated, ResidentGate]
    gate_exempt = False

    @property
    def device_session(self):
        return self.request.auth

    @cached_property
    def resident(self) -> Resident:
        resident = resident_for_user(self.request.user)
        if resident is None:
            raise Http404
        return resident


def valid_data(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
