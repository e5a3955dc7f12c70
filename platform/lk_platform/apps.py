from django.apps import AppConfig


class LkPlatformConfig(AppConfig):
    name = "lk_platform"
    verbose_name = "LK platform"

    def ready(self):
        from lk_platform import checks  # noqa: F401 - registers the deploy checks
