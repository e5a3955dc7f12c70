from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetersConfig(AppConfig):
    name = "lk_core.meters"
    label = "meters"
    verbose_name = _("Meters and readings")
