from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingIntegrationConfig(AppConfig):
    name = "integrations.billing"
    label = "billing_integration"  # "billing" is lk_core.billing's
    verbose_name = _("Billing system exchange")
