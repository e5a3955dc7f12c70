from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceiptsConfig(AppConfig):
    name = "lk_core.receipts"
    label = "receipts"
    verbose_name = _("Receipts")

    def ready(self) -> None:
        from lk_core.notifications.attachments import attachment_builder_register
        from lk_core.notifications.models import Kind
        from lk_core.receipts.bulk import receipt_attachments

        attachment_builder_register(Kind.RECEIPT, receipt_attachments)
