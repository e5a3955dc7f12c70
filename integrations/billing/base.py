"""The one interface every billing adapter goes through.

An adapter turns what it received (a path, an upload, a request body, a downloaded file)
into an ImportRun with `import_run_create`, then hands the run to `import_run_dispatch`.
Dispatch runs the import in-process today; the task layer will wrap this one function
(enqueue on commit with the run id), and no adapter has to change."""

from __future__ import annotations

from lk_core.billing.importing.progress import ImportProgress
from lk_core.billing.models import ImportRun
from lk_core.billing.services import import_run_execute


def import_run_dispatch(*, run: ImportRun, package_path=None, wait_seconds: float = 0,
                        progress: ImportProgress | None = None) -> ImportRun:
    return import_run_execute(run=run, package_path=package_path, wait_seconds=wait_seconds,
                              progress=progress)
