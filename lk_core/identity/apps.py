from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "lk_core.identity"
    label = "identity"
    verbose_name = _("Residents and access")
