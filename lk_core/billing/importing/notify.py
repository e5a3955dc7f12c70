"""The "new invoice" notice of an import: written in the import's transaction, one call
for the whole package (delivered in chunks after commit, lk_core.notifications)."""

from __future__ import annotations

from django.db.models import Max

from lk_core.billing.models import Invoice
from lk_core.notifications.services import invoices_available_notify


def invoice_id_watermark() -> int:
    """The highest invoice id before the apply step. Invoices are created by imports
    only, and one import at a time per utility (the import lock), so every invoice above
    it after the apply is one this package created."""
    return Invoice.objects.aggregate(top=Max("pk"))["top"] or 0


def new_invoices_notify(*, after_id: int, batch_key: str) -> int:
    """Notify the resident of each account about the newest invoice this import created
    for it: a package that carries a year of history sends one notice, not twelve, and
    an invoice corrected by a later package (updated, not created) sends none. Accounts
    without a registered resident are skipped in SQL (a first import has none)."""
    ids = list(Invoice.objects.filter(pk__gt=after_id,
                                      account__resident_link__resident__user__is_active=True)
               .order_by("account_id", "-period").distinct("account_id")
               .values_list("pk", flat=True))
    return invoices_available_notify(invoice_ids=ids, batch_key=batch_key) if ids else 0
