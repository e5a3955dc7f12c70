from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "lk_core.portal"
    label = "portal"
    verbose_name = _("Resident portal")
