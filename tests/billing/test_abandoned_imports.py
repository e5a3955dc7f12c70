"""A run left `running` by a worker that died is marked failed by the periodic job, with a
translated reason staff read in the console; a live import (it holds the tenant's advisory
lock) is left alone however long it runs."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from django.utils import timezone, translation
from django_tenants.utils import schema_context

from lk_core.billing import periodic  # noqa: F401  (registers the job)
from lk_core.billing.importing.lock import LOCK_NAMESPACE, _schema_key
from lk_core.billing.models import ImportRun, ImportStatus
from lk_core.billing.tasks import billing_fail_abandoned_imports
from lk_platform.scheduler import registered_jobs
from tests.conftest import _test_database_url
from tests.consoles.conftest import staff_client


def _running(minutes_ago: int) -> ImportRun:
    return ImportRun.objects.create(
        source="push", status=ImportStatus.RUNNING,
        started_at=timezone.now() - timedelta(minutes=minutes_ago))


@pytest.fixture(autouse=True)
def _stale_after(settings):
    settings.BILLING_IMPORT_STALE_SECONDS = 1800


def test_the_job_is_scheduled():
    assert "billing.abandoned_imports" in {job.name for job in registered_jobs()}


def test_a_run_without_a_lock_holder_is_failed_with_a_translated_reason(
        in_tenant_a, utility_b):
    stale, fresh = _running(minutes_ago=31), _running(minutes_ago=5)
    with translation.override("ru"):
        assert billing_fail_abandoned_imports.call() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == ImportStatus.FAILED and stale.finished_at is not None
    assert "Импорт остановился" in stale.report["message"]
    assert fresh.status == ImportStatus.RUNNING
    page = staff_client(in_tenant_a, "admin").get(
        f"/staff/billing/importrun/{stale.pk}/change/").content.decode()
    assert stale.report["message"] in page
    with schema_context(utility_b.schema_name):  # the other tenant has no such run
        assert not ImportRun.objects.filter(status=ImportStatus.FAILED).exists()


def test_the_other_tenants_runs_are_not_touched(in_tenant_a, utility_b):
    with schema_context(utility_b.schema_name):
        theirs = _running(minutes_ago=60)
    assert billing_fail_abandoned_imports.call() == 0
    with schema_context(utility_b.schema_name):
        theirs.refresh_from_db()
        assert theirs.status == ImportStatus.RUNNING


def test_a_live_import_holding_the_lock_is_left_running(in_tenant_a, django_db_blocker):
    run = _running(minutes_ago=120)
    with psycopg.connect(_test_database_url()) as other:  # another live session
        other.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, _schema_key()])
        assert billing_fail_abandoned_imports.call() == 0
    run.refresh_from_db()
    assert run.status == ImportStatus.RUNNING
