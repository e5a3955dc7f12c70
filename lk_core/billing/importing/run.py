"""The import of one opened package inside one transaction: stage, check, apply."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.db import connection, transaction

from lk_core.billing.importing import apply, checks, notify, staging, typed
from lk_core.billing.importing.lock import import_lock_acquire
from lk_core.billing.importing.package import MANIFEST, Package
from lk_core.billing.importing.problems import Problems
from lk_core.billing.importing.progress import ImportProgress
from lk_core.billing.importing.spec import FILES
from lk_core.billing.versions import tenant_data_changed


@dataclass
class Outcome:
    problems: Problems = field(default_factory=Problems)
    counts: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    ignored_files: list = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return self.problems.total > 0


class _Rollback(Exception):
    """Leave the transaction without applying anything (rejected package or dry run)."""


def package_import(*, package: Package, dry_run: bool, wait_seconds: float,
                   progress: ImportProgress, batch_key: str = "import") -> Outcome:
    outcome = Outcome()
    present = {spec.name for spec in FILES if spec.name in package.names}
    outcome.ignored_files = sorted(package.names - present - {MANIFEST})
    progress.start(total_bytes=sum(package.size(name) for name in present))
    try:
        with transaction.atomic():
            _timed(outcome, "lock", lambda: import_lock_acquire(wait_seconds=wait_seconds))
            _session_tune()
            _timed(outcome, "stage", lambda: _stage(package, present, outcome, progress))
            progress.phase("check")
            _timed(outcome, "check", lambda: _check(outcome.problems))
            if outcome.rejected:
                raise _Rollback
            progress.phase("apply")
            watermark = notify.invoice_id_watermark()
            outcome.counts = _timed(outcome, "apply", lambda: apply.package_apply(present))
            if not dry_run:  # "new invoice" notices, in this transaction: all or nothing
                _timed(outcome, "notify", lambda: notify.new_invoices_notify(
                    after_id=watermark, batch_key=batch_key))
            tenant_data_changed()  # cached portal reads of every account are now stale
            _drop_temporary()
            if dry_run:
                raise _Rollback
            committing = time.monotonic()
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: PostgreSQL would check
        # them row by row here; the bulk tables have none (docs/adr/0005).
        outcome.timings["commit"] = round(time.monotonic() - committing, 3)
    except _Rollback:
        pass
    progress.finish()
    return outcome


def _session_tune() -> None:
    """For this transaction only: room for the set-based joins and sorts (hash joins and
    the key-order sort of a few million rows stay in memory), a small ANALYZE sample on
    staging tables (enough for join planning, much cheaper), and no wait for the WAL
    flush at commit: a crash right after COMMIT may lose the import, never half of it,
    and the run is then not recorded as succeeded, so it is simply run again."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL default_statistics_target = 10")
        cursor.execute("SET LOCAL synchronous_commit = off")


def _timed(outcome: Outcome, name: str, step):
    started = time.monotonic()
    result = step()
    outcome.timings[name] = round(time.monotonic() - started, 3)
    return result


def _stage(package: Package, present: set[str], outcome: Outcome,
           progress: ImportProgress) -> None:
    for spec in FILES:
        if spec.name in present:
            progress.phase(spec.name)
            outcome.rows[spec.name] = staging.staging_load(
                package=package, spec=spec, problems=outcome.problems,
                progress=progress.advance)
        else:
            staging.staging_create(spec)


def _check(problems: Problems) -> None:
    checks.problems_table_create()
    careful = {spec: typed.typed_build(spec) for spec in FILES}
    for spec in FILES:
        checks.check_formats(spec, careful=careful[spec])
        checks.check_duplicates(spec)
        checks.check_references(spec)
    checks.charge_sets_build()
    checks.check_identities()
    checks.problems_collect(problems)


def _drop_temporary() -> None:
    with connection.cursor() as cursor:
        for table in [*(spec.table for spec in FILES),
                      *(spec.typed_table for spec in FILES),
                      checks.PROBLEMS_TABLE, checks.CHARGE_SETS_TABLE,
                      *apply.TEMPORARY_TABLES]:
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")
