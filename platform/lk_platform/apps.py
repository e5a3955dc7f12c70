from django.apps import AppConfig


class LkPlatformConfig(AppConfig):
    name = "lk_platform"
    verbose_name = "LK platform"
