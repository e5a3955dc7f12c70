from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevicesConfig(AppConfig):
    name = "lk_core.devices"
    label = "devices"
    verbose_name = _("Mobile app sessions")
