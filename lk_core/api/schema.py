"""OpenAPI: every operation documents the error shape for each failure it can answer."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    code = serializers.CharField(help_text="Machine-readable reason: invalid, not_found, "
                                           "not_authenticated, token_invalid, throttled, "
                                           "maintenance, suspended...")
    message = serializers.CharField(help_text="Human-readable, in the request's language.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Input field -> its error messages; empty when not about input.")
    utility_message = serializers.CharField(
        required=False, help_text="maintenance/suspended only: the utility's own message.")


ERROR_DESCRIPTIONS = {
    "400": "Invalid input (see `fields`).",
    "401": "Missing, invalid or expired access token.",
    "403": "Not allowed.",
    "404": "Not found (or not yours).",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "415": "Unsupported media type.",
    "429": "Too many requests; retry after the `Retry-After` seconds.",
    "503": "The utility's personal account is in maintenance or suspended.",
}


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in self._error_statuses():
            if status not in responses:
                response = self._get_response_for_code(ErrorSerializer, status,
                                                       ["application/json"], direction)
                response["description"] = ERROR_DESCRIPTIONS[status]
                responses[status] = response
        return responses

    def _error_statuses(self) -> list[str]:
        statuses = ["400", "404", "405", "406", "415", "429", "503"]
        if getattr(self.view, "authentication_classes", None):
            statuses += ["401", "403"]
        return statuses


def resident_api_only(endpoints):
    """The schema documents the resident API; the billing systems' integration API under
    /api/v1/integration/ has its own callers and authentication."""
    return [endpoint for endpoint in endpoints
            if not endpoint[0].startswith("/api/v1/integration/")]
