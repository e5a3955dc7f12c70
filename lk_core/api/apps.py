from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API for the mobile app (no models; an app for its translations)."""

    name = "lk_core.api"
    label = "lk_api"
