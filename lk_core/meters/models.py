"""Meters and their readings (per tenant schema)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lk_core.billing.models import IMPORTED_FK, QUANTITY, Account, Service


class Meter(models.Model):
    meter_id = models.CharField(_("meter id"), max_length=64, unique=True)  # the utility's
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="meters")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="meters")
    serial_number = models.CharField(_("serial number"), max_length=64)
    zones = models.PositiveSmallIntegerField(_("tariff zones"), default=1)  # 1..3
    digits = models.PositiveSmallIntegerField(_("integer digits"), default=5)
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    verified_until = models.DateField(_("verified until"), null=True, blank=True)
    removed_on = models.DateField(_("removed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        ordering = ["account", "service", "meter_id"]
        constraints = [models.CheckConstraint(condition=models.Q(zones__gte=1, zones__lte=3),
                                              name="meter_zones_1_3")]

    def __str__(self) -> str:
        return f"{self.meter_id} ({self.serial_number})"


class ReadingSource(models.TextChoices):
    UTILITY = "utility", _("Utility")
    RESIDENT = "resident", _("Resident")
    INSPECTOR = "inspector", _("Inspector")
    ESTIMATE = "estimate", _("Estimate")


class Reading(models.Model):
    # The unique (meter, taken_on, source) index serves per-meter history both ways.
    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="readings",
                              **IMPORTED_FK)
    taken_on = models.DateField(_("taken on"))
    t1 = models.DecimalField(_("zone 1"), **QUANTITY)
    t2 = models.DecimalField(_("zone 2"), null=True, blank=True, **QUANTITY)
    t3 = models.DecimalField(_("zone 3"), null=True, blank=True, **QUANTITY)
    source = models.CharField(_("source"), max_length=10, choices=ReadingSource.choices)
    # Set when a resident submitted it in the portal or the app; such readings are never
    # overwritten by an import.
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+", db_index=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=10, blank=True)  # web / api
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        ordering = ["meter", "-taken_on"]
        constraints = [models.UniqueConstraint(fields=["meter", "taken_on", "source"],
                                               name="reading_meter_day_source_uniq")]
        # Imported readings have no submitter: a partial index skips them.
        indexes = [models.Index(fields=["submitted_by"], name="reading_submitted_by_idx",
                                condition=models.Q(submitted_by__isnull=False))]

    def __str__(self) -> str:
        return f"{self.meter_id} {self.taken_on}"
