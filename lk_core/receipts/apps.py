from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceiptsConfig(AppConfig):
    name = "lk_core.receipts"
    label = "receipts"
    verbose_name = _("Receipts")
