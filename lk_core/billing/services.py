"""Writes of the billing app: importing lk-billing/1 packages and recording the runs.

Every adapter (CLI, staff upload, push API, scheduled pull) calls `import_run_create` and
then `import_run_execute`; the latter is the one call a background task will wrap."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from lk_core.billing.exporting import export_package_write
from lk_core.billing.importing.lock import ImportBusy, import_lock_free
from lk_core.billing.importing.package import Package, PackageError, package_checksum
from lk_core.billing.importing.progress import ImportProgress
from lk_core.billing.importing.run import Outcome, package_import
from lk_core.billing.interfaces import PackageFetcher
from lk_core.billing.models import (
    ContactChange,
    ExportKind,
    ExportRun,
    ImportRun,
    ImportStatus,
    IntegrationKey,
    PullSource,
)

logger = logging.getLogger(__name__)


def import_run_create(*, source: str, package_path: Path | str | None = None,
                      package_file=None, source_detail: str = "", started_by=None,
                      started_by_label: str = "", dry_run: bool = False) -> ImportRun:
    """Record a queued import. `package_file` (an uploaded file) is stored with the run,
    so a worker can run it later; `package_path` is a directory or zip on this machine."""
    run = ImportRun(source=source, source_detail=(source_detail or str(package_path or ""))
                    [:500], started_by=started_by, dry_run=dry_run,
                    started_by_label=started_by_label[:200])
    if package_file is not None:
        run.package.save(f"{timezone.now():%Y%m%d-%H%M%S}.zip", package_file, save=False)
    run.checksum = package_checksum(package_path or run.package.path)
    run.save()
    return run


def import_run_execute(*, run: ImportRun, package_path: Path | str | None = None,
                       wait_seconds: float = 60, progress: ImportProgress | None = None
                       ) -> ImportRun:
    """Import the run's package in one transaction and record the outcome on the run."""
    path = package_path or run.package.path
    run.started_at = timezone.now()
    run.status = ImportStatus.RUNNING
    run.save(update_fields=["started_at", "status"])
    try:
        with Package(path) as package:
            outcome = package_import(package=package, dry_run=run.dry_run,
                                     wait_seconds=wait_seconds,
                                     progress=progress or ImportProgress(),
                                     batch_key=f"import:{run.pk}")
        _run_record_outcome(run, package, outcome)
    except PackageError as exc:
        _run_finish(run, ImportStatus.REJECTED, report={
            "message": str(exc), "problems": {"total": 1, "by_kind": {"manifest": 1},
                                              "first": [], "shown": 0}})
    except ImportBusy as exc:
        _run_finish(run, ImportStatus.REFUSED, report={"message": str(exc)})
    except Exception as exc:  # the run must record any failure; the data is rolled back
        logger.exception("billing import %s failed", run.pk)
        _run_finish(run, ImportStatus.FAILED, report={
            "message": _("The import failed and changed nothing: %(error)s")
            % {"error": type(exc).__name__}})
    return run


def import_run_execute_queued(*, run_id: int, wait_seconds: float) -> str:
    """Run a queued import (the background task's body). Safe to run twice: only the
    caller that moves the run from queued to running imports it."""
    claimed = ImportRun.objects.filter(pk=run_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now())
    run = ImportRun.objects.filter(pk=run_id).first()
    if not claimed or run is None:
        return run.status if run else "missing"
    return import_run_execute(run=run, wait_seconds=wait_seconds).status


def import_runs_fail_abandoned() -> int:
    """Mark as failed the runs `running` for longer than BILLING_IMPORT_STALE_SECONDS while
    nobody holds the tenant's import lock: their worker died and PostgreSQL rolled the
    import back. A live import holds the lock, so it is left alone however long it takes."""
    cutoff = timezone.now() - timedelta(seconds=settings.BILLING_IMPORT_STALE_SECONDS)
    stale = ImportRun.objects.filter(status=ImportStatus.RUNNING, started_at__lt=cutoff)
    if not stale.exists():
        return 0
    with transaction.atomic():
        if not import_lock_free():
            return 0
        runs = list(stale.select_for_update(skip_locked=True))
        for run in runs:
            _run_finish(run, ImportStatus.FAILED, report={**run.report, "message": _(
                "The import stopped without finishing (its worker ended); nothing was "
                "changed. Import the package again.")})
    return len(runs)


def _run_record_outcome(run: ImportRun, package: Package, outcome: Outcome) -> None:
    report = {"manifest": vars(package.manifest), "rows": outcome.rows,
              "timings": outcome.timings, "ignored_files": outcome.ignored_files,
              "problems": outcome.problems.as_report()}
    if outcome.rejected:
        report["message"] = _("The package was rejected; nothing was changed.")
        _run_finish(run, ImportStatus.REJECTED, report=report)
        return
    changes = sum(c["created"] + c["updated"] + c.get("deleted", 0)
                  for c in outcome.counts.values())
    report["changes"] = changes
    report["message"] = (_("Dry run: the package is valid; nothing was changed.")
                         if run.dry_run else
                         _("Applied: %(changes)s rows created, updated or deleted.")
                         % {"changes": changes})
    status = ImportStatus.DRY_RUN if run.dry_run else ImportStatus.SUCCEEDED
    _run_finish(run, status, report=report, counts=outcome.counts)
    if status == ImportStatus.SUCCEEDED:
        _receipts_after_import()


def _receipts_after_import() -> None:
    """New invoices may have arrived: e-mail paperless residents their receipts (the run
    finds what is new itself; its hourly schedule catches up if this enqueue fails)."""
    from lk_core.receipts.tasks import send_period_receipts

    try:
        send_period_receipts.enqueue()
    except Exception:
        logger.warning("could not enqueue the receipt run after import", exc_info=True)


def _run_finish(run: ImportRun, status: str, *, report: dict, counts: dict | None = None
                ) -> None:
    run.status = status
    run.report = report
    run.counts = counts or {}
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "report", "counts", "finished_at"])


def billing_package_import(*, package_path: Path | str, source: str, started_by=None,
                           started_by_label: str = "", dry_run: bool = False,
                           wait_seconds: float = 60,
                           progress: ImportProgress | None = None) -> ImportRun:
    """Import a package from this machine (CLI, demo, tests)."""
    run = import_run_create(source=source, package_path=package_path, started_by=started_by,
                            started_by_label=started_by_label, dry_run=dry_run)
    return import_run_execute(run=run, package_path=package_path, wait_seconds=wait_seconds,
                              progress=progress)


# --- export -----------------------------------------------------------------------------

EXPORT_LOCK = 0x4C4B4245  # "LKBE": one export at a time per tenant keeps windows disjoint


def export_run_create(*, out: Path, tenant_slug: str, since=None, until=None,
                      started_by_label: str = "") -> ExportRun:
    """Write an lk-export/1 zip to `out` and record it.

    Without `since`: the next incremental export, from the watermark (the last incremental
    run's `until`) to now minus the settle time. With `since`: a re-export of that range,
    which leaves the watermark where it is."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))",
                           [EXPORT_LOCK])
        if since is None:
            kind = ExportKind.INCREMENTAL
            last = ExportRun.objects.filter(kind=ExportKind.INCREMENTAL).order_by(
                "-until").first()
            since = last.until if last else None
            until = timezone.now() - timedelta(seconds=settings.BILLING_EXPORT_SETTLE_SECONDS)
            if since and until < since:
                until = since
        else:
            kind = ExportKind.RANGE
            until = until or timezone.now()
        counts, checksum = export_package_write(out=Path(out), tenant_slug=tenant_slug,
                                                since=since, until=until)
        return ExportRun.objects.create(kind=kind, since=since, until=until, counts=counts,
                                        checksum=checksum,
                                        started_by_label=started_by_label[:200])


def export_run_rewrite(*, run: ExportRun, out: Path, tenant_slug: str) -> ExportRun:
    """Write an earlier export's window again (a lost download)."""
    export_package_write(out=Path(out), tenant_slug=tenant_slug, since=run.since,
                         until=run.until)
    return run


def contact_change_record(*, account_number: str, email: str = "", phone: str = "",
                          paperless: bool = False, consent_email: bool = False,
                          consent_sms: bool = False) -> ContactChange:
    """Queue a resident's contact/consent change for the billing export (called by the
    resident settings feature in the same transaction as the change itself)."""
    return ContactChange.objects.create(
        account_number=account_number, email=email, phone=phone, paperless=paperless,
        consent_email=consent_email, consent_sms=consent_sms, changed_at=timezone.now())


# --- integration keys -------------------------------------------------------------------

INTEGRATION_KEY_PREFIX = "lki"


def _key_digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def integration_key_rotate() -> tuple[IntegrationKey, str]:
    """Revoke the tenant's keys and issue a new one; the plain key is returned only here."""
    prefix = secrets.token_hex(4)
    plain = f"{INTEGRATION_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        IntegrationKey.objects.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        key = IntegrationKey.objects.create(prefix=prefix, key_hash=_key_digest(plain))
    return key, plain


def integration_key_authenticate(*, plain: str) -> IntegrationKey | None:
    """The active key of this tenant matching `plain`, or None (another tenant's key is
    not in this schema, so it never matches)."""
    parts = plain.split("_", 2)
    if len(parts) != 3 or parts[0] != INTEGRATION_KEY_PREFIX:
        return None
    key = IntegrationKey.objects.filter(prefix=parts[1], revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.key_hash, _key_digest(plain)):
        return None
    IntegrationKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key


# --- scheduled pull ---------------------------------------------------------------------

def billing_pull_sources(*, fetcher: PackageFetcher | None = None) -> list[ImportRun | None]:
    """Pull every enabled source of the current tenant (the periodic job's body). A tenant
    without a pull URL costs one query; the fetcher is the configured adapter
    (settings.BILLING_PACKAGE_FETCHER) unless one is given."""
    sources = list(PullSource.objects.filter(enabled=True).exclude(url=""))
    if not sources:
        return []
    fetcher = fetcher or import_string(settings.BILLING_PACKAGE_FETCHER)()
    with tempfile.TemporaryDirectory() as workdir:
        return [billing_pull_run(source=source, fetcher=fetcher, workdir=Path(workdir))
                for source in sources]


# A package whose import did not run to a verdict is fetched and tried again next time.
_RETRY_PULL = (ImportStatus.REFUSED, ImportStatus.FAILED)


def billing_pull_run(*, source: PullSource, fetcher: PackageFetcher, workdir: Path
                     ) -> ImportRun | None:
    """Fetch the tenant's package and import it, unless it is unchanged (the server says
    304 for our ETag, or the bytes hash to the last package's checksum). The ETag and
    checksum are remembered only once the package was applied or rejected: a package
    refused because another import was running, or failed, is imported on the next pull."""
    fetched = fetcher.fetch(url=source.url, etag=source.last_etag,
                            auth_header=source.auth_header, into=Path(workdir) / "pull.zip")
    source.last_checked_at = timezone.now()
    fields = ["last_checked_at"]
    run = None
    if not fetched.not_modified:
        checksum = package_checksum(fetched.path)
        if checksum != source.last_checksum:
            with fetched.path.open("rb") as stream:
                run = import_run_create(source="pull", package_file=File(stream),
                                        source_detail=source.url, started_by_label="pull")
            run = import_run_execute(run=run)
            source.last_run = run
            fields.append("last_run")
        if run is None or run.status not in _RETRY_PULL:
            source.last_checksum, source.last_etag = checksum, fetched.etag
            fields += ["last_checksum", "last_etag"]
    source.save(update_fields=fields)
    return run
