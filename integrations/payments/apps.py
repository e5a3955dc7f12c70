from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentIntegrationsConfig(AppConfig):
    name = "integrations.payments"
    label = "acquirers"
    verbose_name = _("Payment acquirers")

    def ready(self) -> None:
        # Fill lk_core's registry: the tenant's configuration picks one at run time.
        from integrations.payments import (
            none_acquirer,
            sandbox_acquirer,
            stripe_acquirer,
            yookassa_acquirer,
        )
        from lk_core.payments.acquirers import acquirer_register

        acquirer_register("none", none_acquirer.NoneAcquirer)
        acquirer_register("sandbox", sandbox_acquirer.SandboxAcquirer)
        acquirer_register("stripe", stripe_acquirer.StripeAcquirer)
        acquirer_register("yookassa", yookassa_acquirer.YooKassaAcquirer)
