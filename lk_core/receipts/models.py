"""The bulk receipt run: one record per period, so staff can see how far the e-mailing of
that period's receipts to paperless residents got (lk_core.receipts.bulk)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReceiptRun(models.Model):
    period = models.DateField(_("period"), unique=True)
    batch_key = models.CharField(_("batch"), max_length=100)  # the outbox rows' batch_key
    started_at = models.DateTimeField(_("first run at"), auto_now_add=True)
    last_run_at = models.DateTimeField(_("last run at"))
    runs = models.PositiveIntegerField(_("runs"), default=0)
    eligible = models.PositiveIntegerField(
        _("paperless accounts"), default=0,
        help_text=_("Accounts with an invoice for the period whose resident chose paperless "
                    "receipts, at the last run."))
    queued = models.PositiveIntegerField(
        _("receipts queued"), default=0,
        help_text=_("E-mails with the receipt written to the outbox, over all runs."))
    finished_at = models.DateTimeField(_("last run finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("receipt run")
        verbose_name_plural = _("receipt runs")
        ordering = ["-period"]

    def __str__(self) -> str:
        return f"{self.period:%m.%Y}"
