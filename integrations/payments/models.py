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

    class Meta:
        verbose_name = _("sandbox charge")
        verbose_name_plural = _("sandbox charges")

    def __str__(self) -> str:
        return self.id
