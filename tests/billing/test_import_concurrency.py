"""Imports against committed data in real concurrent transactions: two imports of one
tenant serialize on the advisory lock, and a process killed mid-import leaves nothing.

These tests need data other connections can see, so they use their own committed tenant
(created for the module and dropped afterwards) instead of the per-test transaction."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from django.db import connection
from django_tenants.utils import schema_context

from lk_core.billing.importing.progress import ImportProgress
from lk_core.billing.models import Account, ImportStatus
from lk_core.billing.services import billing_package_import
from tests.bench.generator import package_generate
from tests.billing.conftest import ENSKVODA, table_counts
from tests.conftest import ROOT, _test_database_url


class HoldBeforeApply(ImportProgress):
    """Keeps the import (and its lock) open just before applying, until released."""

    def __init__(self):
        self.holding, self.release = threading.Event(), threading.Event()

    def phase(self, name: str) -> None:
        if name == "apply":
            self.holding.set()
            self.release.wait(30)


def _in_thread(results, name, schema, **kwargs):
    def target():
        try:
            with schema_context(schema):
                results[name] = billing_package_import(package_path=ENSKVODA, source="test",
                                                       **kwargs)
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    return thread


def test_concurrent_imports_of_one_tenant_serialize(committed_tenant, django_db_blocker):
    schema, results, holder = committed_tenant.schema_name, {}, HoldBeforeApply()
    with django_db_blocker.unblock():
        first = _in_thread(results, "first", schema, wait_seconds=30, progress=holder)
        assert holder.holding.wait(60)
        _in_thread(results, "refused", schema, wait_seconds=0).join()
        _in_thread(results, "impatient", schema, wait_seconds=0.5).join()
        second = _in_thread(results, "second", schema, wait_seconds=60)
        time.sleep(1)
        assert second.is_alive()  # waiting for the lock, not importing alongside
        holder.release.set()
        first.join(60)
        second.join(60)
    assert results["first"].status == ImportStatus.SUCCEEDED
    assert results["first"].report["changes"] > 0
    for name in ("refused", "impatient"):
        assert results[name].status == ImportStatus.REFUSED
        assert "Another billing import" in results[name].report["message"] or \
            "импорт" in results[name].report["message"]
    # The second ran only after the first committed, so it found everything in place.
    assert results["second"].status == ImportStatus.SUCCEEDED
    assert results["second"].report["changes"] == 0
    assert results["second"].finished_at > results["first"].finished_at


def _backends_running(marker: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE %s "
                       "AND pid <> pg_backend_pid()", [f"%{marker}%"])
        return cursor.fetchone()[0]


def test_import_killed_halfway_leaves_nothing(committed_tenant, django_db_blocker, tmp_path):
    package = package_generate(tmp_path / "big", accounts=3000, months=12)
    with django_db_blocker.unblock():
        env = {**os.environ, "DATABASE_URL": _test_database_url(), "LK_TESTING": "1",
               "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}"}
        with schema_context(committed_tenant.schema_name):
            before = table_counts()
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "import_billing", "gamma", str(package),
             "--no-progress"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while not _backends_running("lk_stg_charges") and time.monotonic() < deadline:
            assert process.poll() is None, "the import finished before it could be killed"
            time.sleep(0.05)
        process.kill()
        process.wait(10)
        deadline = time.monotonic() + 120
        while _backends_running("lk_stg_") and time.monotonic() < deadline:
            time.sleep(0.2)  # the server notices the dead client and rolls back
        with schema_context(committed_tenant.schema_name):
            assert table_counts() == before
            assert not Account.objects.filter(number__startswith="5000").exists()
            # the lock died with the transaction: the next import runs at once
            run = billing_package_import(package_path=ENSKVODA, source="test", wait_seconds=0)
            assert run.status == ImportStatus.SUCCEEDED
        connection.close()

