"""The OpenAPI schema and its docs page, with Swagger UI's assets served by the platform."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions
from rest_framework.permissions import AllowAny

from lk_core.api.base import PublicAPIView

# Swagger UI's page carries one inline <style>; scripts stay same-origin only, and no
# third-party origin is allowed anywhere.
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'; object-src 'none'"
)


@extend_schema(exclude=True)
class SchemaView(SpectacularAPIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


@extend_schema(exclude=True)
class DocsView(SpectacularSwaggerSplitView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    url_name = "api-schema"

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response.csp_override = DOCS_CSP
        return response


@extend_schema(exclude=True)
class NotFoundView(PublicAPIView):
    """Any other path under /api/: a 404 in the error shape, whatever the method."""

    throttle_classes: list = []

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise exceptions.NotFound()
