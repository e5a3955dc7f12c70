"""One error shape for every API failure:

    {"status": 400, "code": "invalid", "message": "...", "fields": {"field": ["..."]}}

`code` is stable and machine-readable, `message` is translated to the request's language,
`fields` maps input fields to their messages (empty when the error is not about input)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from lk_core.identity.http import wait_message

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


class TooManyAttempts(exceptions.APIException):
    """Identity's own limits (login, registration, reset): 429 with a Retry-After."""

    status_code = 429
    default_code = "too_many_attempts"

    def __init__(self, *, wait: int):
        self.wait = wait
        super().__init__(wait_message(wait))


class InputRefused(exceptions.ValidationError):
    """400 with field errors and a machine code of its own: InputRefused({...}, "invalid_link")."""

    def __init__(self, detail, api_code: str):
        super().__init__(detail, code=api_code)
        self.api_code = api_code


def error_body(*, status: int, code: str, message: str, fields: dict | None = None) -> dict:
    return {"status": status, "code": code, "message": message, "fields": fields or {}}


def api_exception_handler(exc, context):
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django's 500 handler answers (server_error below)
    response.data = _body_for(exc, response.status_code)
    return response


def _as_api_exception(exc):
    """Django's own exceptions raised by services and access helpers become DRF ones."""
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    return exc


def _body_for(exc: exceptions.APIException, status: int) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        return _validation_body(exc, status)
    detail = exc.detail
    code = detail.code if hasattr(detail, "code") and detail.code else exc.default_code
    return error_body(status=status, code=str(code), message=str(detail))


def _validation_body(exc: exceptions.ValidationError, status: int) -> dict:
    fields = _flatten(exc.detail)
    general = fields.pop(NON_FIELD, None) or fields.pop("", None)
    codes = exc.get_codes()
    code = getattr(exc, "api_code", "invalid")
    if isinstance(codes, dict) and codes.get(NON_FIELD):
        code = str(codes[NON_FIELD][0])
    elif isinstance(codes, list) and codes:
        code = str(codes[0])
    message = general[0] if general else _("Please correct the errors in the fields.")
    if general and fields:
        fields[NON_FIELD] = general
    return error_body(status=status, code=code, message=message, fields=fields)


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors become dotted keys: {"photos.0": ["..."]}."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix: [str(item) for item in detail]} if detail else {}
        out = {}
        for index, item in enumerate(detail):
            out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return out
    return {prefix: [str(detail)]}


def server_error(request: HttpRequest, *args, **kwargs):
    """handler500: under /api/ even a bug answers in the error shape; pages get 500.html."""
    if not request.path.startswith("/api/"):
        return defaults.server_error(request, *args, **kwargs)
    body = error_body(status=500, code="server_error",
                      message=_("Something went wrong on our side. Please try again later."))
    return JsonResponse(body, status=500)
