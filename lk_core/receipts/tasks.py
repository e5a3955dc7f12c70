"""Thin tasks: a period in, a service call, nothing else."""

from __future__ import annotations

import datetime as dt

from lk_core.receipts.bulk import receipt_run_execute
from lk_platform.tasks import task


@task(queue_name="periodic", time_limit=600)
def send_period_receipts(period: str = "") -> dict[str, int]:
    """E-mail the period's receipts (ISO date; empty: the latest period) to paperless
    residents who have not had them; safe to run any number of times."""
    run = receipt_run_execute(period=dt.date.fromisoformat(period) if period else None)
    if run is None:
        return {"eligible": 0, "queued": 0}
    return {"eligible": run.eligible, "queued": run.queued}
