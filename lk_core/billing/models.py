"""What the utility's billing system computed: accounts, services, invoices, charge lines
and posted payments. The portal shows these; the billing system is the system of record.
Tables live in each utility's schema. Money is Decimal with two places; periods are months
stored as the first day of the month."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lk_platform.outbound import outbound_url_validator

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
    residents_count = models.PositiveSmallIntegerField(_("number of residents"), null=True,
                                                       blank=True)
    email = models.CharField(_("e-mail (from billing)"), max_length=254, blank=True)
    phone = models.CharField(_("phone (from billing)"), max_length=32, blank=True)
    # HMAC-SHA256 of the normalised passport "SSSSNNNNNN" with IDENTITY_HASH_KEY; the plain
    # value is never stored.
    passport_hash = models.CharField(_("passport (keyed hash)"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=AccountStatus.choices,
                              default=AccountStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped by every writer of what the portal shows for this account (payments,
    # readings, appeals): cached portal reads are keyed by it (lk_core.billing.versions).
    # A database default, so the import's INSERT ... ON CONFLICT needs no change.
    data_version = models.BigIntegerField(default=0, db_default=0, editable=False)

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


# The bulk tables the importer writes (invoices, charge lines, payments; readings in
# lk_core.meters) keep their foreign keys in Django but not in PostgreSQL: the importer
# checks every reference set-based under its lock, and PostgreSQL's per-row deferred
# checks were a third of a first import. Why and what guards integrity instead:
# docs/adr/0005-import-foreign-keys.md. Their account index is the unique key's prefix.
IMPORTED_FK = {"db_constraint": False, "db_index": False}


class Invoice(models.Model):
    """One account's bill for one period."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invoices",
                                **IMPORTED_FK)
    period = models.DateField(_("period"))  # first day of the month
    opening_balance = models.DecimalField(_("opening balance"), **MONEY)
    charged = models.DecimalField(_("charged"), **MONEY)
    recalculation = models.DecimalField(_("recalculation"), **MONEY)
    paid = models.DecimalField(_("paid"), **MONEY)
    penalty = models.DecimalField(_("penalty"), **MONEY)
    amount_due = models.DecimalField(_("amount due"), **MONEY)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    # A digest of the invoice's set of charge lines as the last import wrote it
    # (importing.apply): an import rewrites only the sets whose digest changed.
    # Empty: not written by an import, so the next import replaces the set.
    lines_digest = models.CharField(max_length=64, blank=True, default="", editable=False)
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
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="charges",
                                **IMPORTED_FK)
    period = models.DateField(_("period"))
    # No index on service alone: deleting a service (PROTECT) is a rare staff action.
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="charges",
                                **IMPORTED_FK)
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

    @property
    def total(self):
        """Charged plus recalculated: the line's figure to pay."""
        return self.amount + self.recalculation


class PaymentChannel(models.TextChoices):
    BANK = "bank", _("Bank")
    OFFICE = "office", _("Cashier's office")
    POST = "post", _("Post office")
    PORTAL = "portal", _("Personal account (card)")
    OTHER = "other", _("Other")


class Payment(models.Model):
    """A payment posted by the billing system."""

    external_id = models.CharField(_("payment id"), max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="payments",
                                **IMPORTED_FK)
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


# --- exchange with the billing system ---------------------------------------------------

class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Applied")
    DRY_RUN = "dry_run", _("Checked (dry run)")
    REJECTED = "rejected", _("Rejected: problems in the package")
    REFUSED = "refused", _("Refused: another import is running")
    FAILED = "failed", _("Failed")


class ImportRun(models.Model):
    """One attempt to import a billing package, whatever adapter brought it in."""

    source = models.CharField(_("source"), max_length=20)  # cli / upload / push / pull
    source_detail = models.CharField(_("source detail"), max_length=500, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    started_by_label = models.CharField(_("started by"), max_length=200, blank=True)
    package = models.FileField(_("package"), upload_to="billing/packages/", blank=True)
    checksum = models.CharField(_("checksum (SHA-256)"), max_length=64, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices,
                              default=ImportStatus.QUEUED)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    counts = models.JSONField(_("counts per file"), default=dict, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)

    class Meta:
        verbose_name = _("billing import")
        verbose_name_plural = _("billing imports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["checksum", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.source} {self.status}"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class ExportKind(models.TextChoices):
    INCREMENTAL = "incremental", _("New rows since the last export")
    RANGE = "range", _("Re-export of a range")


class ExportRun(models.Model):
    """An lk-export/1 package. Incremental runs chain: each starts at the previous one's
    `until` (the watermark), so every row goes out exactly once; range runs re-send an
    interval on request and do not move the watermark."""

    kind = models.CharField(_("kind"), max_length=12, choices=ExportKind.choices)
    since = models.DateTimeField(_("from (exclusive)"), null=True, blank=True)
    until = models.DateTimeField(_("to (inclusive)"))
    started_by_label = models.CharField(_("started by"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    counts = models.JSONField(_("counts per file"), default=dict, blank=True)
    checksum = models.CharField(_("checksum (SHA-256)"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("billing export")
        verbose_name_plural = _("billing exports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.until:%Y-%m-%d %H:%M}"


class ContactChange(models.Model):
    """A contact or consent change a resident made in the portal, queued for the billing
    system. The resident settings feature writes these rows; the export reads them."""

    account_number = models.CharField(_("account number"), max_length=32)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    paperless = models.BooleanField(_("paperless receipts"), default=False)
    consent_email = models.BooleanField(_("consent to e-mail"), default=False)
    consent_sms = models.BooleanField(_("consent to SMS"), default=False)
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("contact change")
        verbose_name_plural = _("contact changes")
        ordering = ["-changed_at"]
        indexes = [models.Index(fields=["changed_at"])]

    def __str__(self) -> str:
        return f"{self.account_number} {self.changed_at:%Y-%m-%d %H:%M}"


class IntegrationKey(models.Model):
    """The tenant's key for the integration API. Only a SHA-256 of the key is stored; the
    short prefix lets staff tell keys apart and lets the API find the row."""

    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    key_hash = models.CharField(_("key hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("integration key")
        verbose_name_plural = _("integration keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}…"


class PullSource(models.Model):
    """Where the scheduled pull fetches this tenant's billing package from."""

    url = models.URLField(_("package URL"), max_length=1000,
                          validators=[outbound_url_validator])
    enabled = models.BooleanField(_("enabled"), default=True)
    auth_header = models.CharField(_("Authorization header"), max_length=500, blank=True)
    last_etag = models.CharField(max_length=200, blank=True)
    last_checksum = models.CharField(max_length=64, blank=True)
    last_checked_at = models.DateTimeField(_("last checked at"), null=True, blank=True)
    last_run = models.ForeignKey(ImportRun, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")

    class Meta:
        verbose_name = _("billing pull source")
        verbose_name_plural = _("billing pull sources")

    def __str__(self) -> str:
        return self.url


class DataVersion(models.Model):
    """One row per utility: bumped by writers that change what many residents see at once
    (a billing import, notices, appeal categories). Cached portal reads
    are keyed by it together with Account.data_version (lk_core.billing.versions)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("data version")
        verbose_name_plural = _("data versions")

    def __str__(self) -> str:
        return str(self.version)
