"""The one interface every billing adapter goes through.

An adapter turns what it received (a path, an upload, a request body, a downloaded file)
into an ImportRun with `import_run_create`, then either runs it here and now with
`import_run_dispatch` (the CLI's progress bar, the staff upload's answer page) or queues it
with `import_run_enqueue` (the push API: the stored package is imported by a worker, and
the caller follows the run's status URL)."""

from __future__ import annotations

from lk_core.billing.importing.progress import ImportProgress
from lk_core.billing.models import ImportRun
from lk_core.billing.services import import_run_execute
from lk_core.billing.tasks import billing_import_run


def import_run_dispatch(*, run: ImportRun, package_path=None, wait_seconds: float = 0,
                        progress: ImportProgress | None = None) -> ImportRun:
    return import_run_execute(run=run, package_path=package_path, wait_seconds=wait_seconds,
                              progress=progress)


def import_run_enqueue(*, run: ImportRun) -> ImportRun:
    """Queue a run whose package is stored with it; the task starts after commit."""
    billing_import_run.enqueue(run.pk)
    return run
