"""What the utility's billing system computed: accounts, services, invoices, charge lines
and posted payments. The portal shows these; the billing system is the system of record.
Tables live in each utility's schema. Money is Decimal with two places; periods are months
stored as the first day of the month."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 16, "decimal_places": 4}


class AccountStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Account(models.Model):
    """A personal account (лицевой счёт)."""

    number = models.CharField(_("account number"), max_length=32, unique=True)
    address = models.CharField(_("address"), max_length=500)
    holder_name = models.CharField(_("holder"), max_length=300, blank=True)
    area_m2 = models.DecimalField(_("area, m²"), max_digits=10, decimal_places=2, null=True,
                                  blank=True)
    residents_count = models.PositiveSmallIntegerField(_("residents"), null=True, blank=True)
    email = models.CharField(_("e-mail (from billing)"), max_length=254, blank=True)
    phone = models.CharField(_("phone (from billing)"), max_length=32, blank=True)
    # HMAC-SHA256 of the normalised passport "SSSSNNNNNN" with IDENTITY_HASH_KEY; the plain
    # value is never stored.
    passport_hash = models.CharField(_("passport (keyed hash)"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=AccountStatus.choices,
                              default=AccountStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class Service(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Invoice(models.Model):
    """One account's bill for one period."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invoices")
    period = models.DateField(_("period"))  # first day of the month
    opening_balance = models.DecimalField(_("opening balance"), **MONEY)
    charged = models.DecimalField(_("charged"), **MONEY)
    recalculation = models.DecimalField(_("recalculation"), **MONEY)
    paid = models.DecimalField(_("paid"), **MONEY)
    penalty = models.DecimalField(_("penalty"), **MONEY)
    amount_due = models.DecimalField(_("amount due"), **MONEY)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["account", "-period"]
        constraints = [models.UniqueConstraint(fields=["account", "period"],
                                               name="invoice_account_period_uniq")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.period:%Y-%m}"


class ChargeLine(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="charges")
    period = models.DateField(_("period"))
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="charges")
    quantity = models.DecimalField(_("quantity"), null=True, blank=True, **QUANTITY)
    tariff = models.DecimalField(_("tariff"), max_digits=14, decimal_places=4, null=True,
                                 blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    recalculation = models.DecimalField(_("recalculation"), **MONEY)

    class Meta:
        verbose_name = _("charge line")
        verbose_name_plural = _("charge lines")
        constraints = [models.UniqueConstraint(fields=["account", "period", "service"],
                                               name="charge_account_period_service_uniq")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.period:%Y-%m} {self.service_id}"


class PaymentChannel(models.TextChoices):
    BANK = "bank", _("Bank")
    OFFICE = "office", _("Cashier's office")
    POST = "post", _("Post office")
    PORTAL = "portal", _("Personal account (card)")
    OTHER = "other", _("Other")


class Payment(models.Model):
    """A payment posted by the billing system."""

    external_id = models.CharField(_("payment id"), max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="payments")
    paid_on = models.DateField(_("paid on"))
    amount = models.DecimalField(_("amount"), **MONEY)
    channel = models.CharField(_("channel"), max_length=10, choices=PaymentChannel.choices)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on"]
        indexes = [models.Index(fields=["account", "-paid_on"])]

    def __str__(self) -> str:
        return self.external_id
