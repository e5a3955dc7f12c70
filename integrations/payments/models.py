"""The sandbox acquirer's own side: what a real acquirer would keep about a payment."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from lk_core.billing.models import MONEY


class SandboxCharge(models.Model):
    id = models.CharField(primary_key=True, max_length=40)  # "sbx_" + random, unguessable
    portal_payment_id = models.CharField(max_length=40, db_index=True)
    account_number = models.CharField(max_length=32)
    tenant_schema = models.CharField(max_length=63)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=300)
    return_url = models.URLField(max_length=2000)
    status = models.CharField(max_length=20, default="pending")  # a PaymentStatus value
    refunded_amount = models.DecimalField(default=0, **MONEY)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Autopay: the tester's approval also saves the "card" as a SandboxSavedMethod.
    save_method = models.BooleanField(default=False)
    saved_method = models.ForeignKey("SandboxSavedMethod", on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="charges")

    class Meta:
        verbose_name = _("sandbox charge")
        verbose_name_plural = _("sandbox charges")

    def __str__(self) -> str:
        return self.id


class SandboxSavedMethod(models.Model):
    """A "card" the sandbox keeps for off-session charges. `declines` makes every later
    charge fail, so failed autopay can be tried in the demo."""

    id = models.CharField(primary_key=True, max_length=40)  # "sbxpm_" + random
    tenant_schema = models.CharField(max_length=63)
    title = models.CharField(max_length=100)
    declines = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    detached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sandbox saved method")
        verbose_name_plural = _("sandbox saved methods")

    def __str__(self) -> str:
        return self.id
