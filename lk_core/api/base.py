"""Base classes of the API views: who may call them and how."""

from __future__ import annotations

from django.http import Http404
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from lk_core.api.authentication import DeviceTokenAuthentication
from lk_core.api.exceptions import api_exception_handler
from lk_core.api.pagination import PagePagination
from lk_core.api.permissions import ResidentGate
from lk_core.api.throttling import TenantScopedThrottle
from lk_core.identity.http import client_ip
from lk_core.identity.models import Resident
from lk_core.identity.selectors import resident_for_user
from lk_core.portal.access import PortalResident, portal_resident

PAGE_PARAMS = frozenset({"page", "page_size"})

__all__ = ["PAGE_PARAMS", "AccountAPIView", "PublicAPIView", "ResidentAPIView", "client_ip",
           "valid_data"]

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


class AccountAPIView(ResidentAPIView, GenericAPIView):
    # The resident's data on their current account (identity's, the same one the web
    # portal shows; POST /accounts/switch/ changes it for both). Objects are reached only
    # through lk_core.portal.access helpers given `self.portal_resident` (404 for missing
    # and not-yours alike); lists that page run over `get_queryset()`, which is always
    # narrowed to the current account here. Subclasses name the model and the lookup from
    # it to the account, and filter further, never wider.

    scope_model = None  # e.g. Reading
    scope_account_lookup = "account"  # e.g. "meter__account"
    pagination_class = PagePagination
    query_params: frozenset[str] = frozenset()  # what the schema documents; others: 400

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        unknown = sorted(set(request.query_params) - self.query_params)
        if unknown:
            raise exceptions.ValidationError({name: [_("Unknown parameter.")]
                                              for name in unknown})

    @cached_property
    def portal_resident(self) -> PortalResident:
        # The resident the permission gate read for this request (resident_for_request).
        return portal_resident(self.request)

    @property
    def account(self):
        return self.portal_resident.account

    def get_queryset(self):
        manager = self.scope_model.objects
        if getattr(self, "swagger_fake_view", False) or self.account is None:
            return manager.none()
        return manager.filter(**{self.scope_account_lookup: self.account})

    def paged(self, items, serializer_class) -> Response:
        # A page of `items` (a scoped queryset or a selector's rows) in the list shape.
        page = self.paginate_queryset(items)
        return self.get_paginated_response(serializer_class(page, many=True).data)


def valid_data(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
