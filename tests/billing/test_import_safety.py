"""Resident readings survive imports; the passport's plain value is stored nowhere; a
failure in the middle of applying leaves nothing behind."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from lk_core.billing.identity import passport_hash
from lk_core.billing.importing import apply
from lk_core.billing.models import Account, ImportStatus
from lk_core.billing.services import billing_package_import
from lk_core.meters.models import Meter, Reading, ReadingSource
from lk_core.users.models import User, UserKind
from tests.billing.conftest import ENSKVODA, set_field, table_counts


def _resident(username="alice"):
    return User.objects.create_user(username=username, password="x", kind=UserKind.RESIDENT)


def test_resident_readings_survive_an_import(in_tenant_a, enskvoda_copy):
    billing_package_import(package_path=ENSKVODA, source="test")
    alice = _resident()
    # The package carries a resident reading for M00000001 on 2025-11-20; pretend Alice
    # submitted that one in the portal with another value, and one more the next month.
    portal = Reading.objects.get(meter__meter_id="M00000001", taken_on="2025-11-20",
                                 source=ReadingSource.RESIDENT)
    portal.t1, portal.submitted_by, portal.submitted_at = Decimal("450.000"), alice, \
        timezone.now()
    portal.save()
    meter = Meter.objects.get(meter_id="M00000001")
    extra = Reading.objects.create(meter=meter, taken_on="2026-11-20", t1=Decimal("500"),
                                   source=ReadingSource.RESIDENT, submitted_by=alice,
                                   submitted_at=timezone.now(), channel="web")
    # The billing system's next package changes the same reading.
    set_field(enskvoda_copy / "readings.csv", 2, "t1", "447.999")

    run = billing_package_import(package_path=enskvoda_copy, source="test")

    assert run.status == ImportStatus.SUCCEEDED
    assert run.counts["readings.csv"]["kept_resident"] == 1
    assert run.counts["readings.csv"]["updated"] == 0
    portal.refresh_from_db()
    assert portal.t1 == Decimal("450.000") and portal.submitted_by == alice
    assert Reading.objects.filter(pk=extra.pk).exists()


def _text_columns(schema: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("""SELECT table_name, column_name FROM information_schema.columns
                          WHERE table_schema = %s AND data_type IN
                          ('text', 'character varying', 'jsonb', 'json', 'character')""",
                       [schema])
        return cursor.fetchall()


def _occurrences(schema: str, needles: list[str]) -> list[tuple[str, str]]:
    found = []
    with connection.cursor() as cursor:
        for table, column in _text_columns(schema):
            for needle in needles:
                cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}" '
                               f'WHERE "{column}"::text LIKE %s', [f"%{needle}%"])
                if cursor.fetchone()[0]:
                    found.append((table, column))
    return found


def test_passport_plain_value_appears_nowhere(in_tenant_a, enskvoda_copy):
    plain, compact = "4517 139317", "4517139317"  # account 100000001 in the sample
    run = billing_package_import(package_path=ENSKVODA, source="test")
    assert run.status == ImportStatus.SUCCEEDED
    # a rejected package with a malformed passport must not leak it into the report
    set_field(enskvoda_copy / "accounts.csv", 3, "passport", "6341 37196")
    rejected = billing_package_import(package_path=enskvoda_copy, source="test")
    assert rejected.status == ImportStatus.REJECTED
    schema = in_tenant_a.schema_name
    assert len(_text_columns(schema)) > 20  # the search really covers the schema
    assert _occurrences(schema, [plain, compact, "6341 37196", "634137196"]) == []
    assert _occurrences("public", [plain, compact]) == []
    account = Account.objects.get(number="100000001")
    assert account.passport_hash == passport_hash(plain) == passport_hash("45 17 139317")
    assert len(account.passport_hash) == 64


def test_failure_during_apply_leaves_nothing(in_tenant_a, monkeypatch):
    original = apply.upsert

    def upsert_then_fail(target):
        counts = original(target)
        if target.table == "meters_meter":  # services..charges are already written
            raise RuntimeError("power cut")
        return counts

    monkeypatch.setattr(apply, "upsert", upsert_then_fail)
    run = billing_package_import(package_path=ENSKVODA, source="test")
    assert run.status == ImportStatus.FAILED
    assert "RuntimeError" in run.report["message"]
    assert set(table_counts().values()) == {0}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'lk_stg_%%' "
                       "AND relpersistence = 't' AND pg_table_is_visible(oid)")
        leftovers = cursor.fetchone()[0]
    assert leftovers == 0


@pytest.mark.parametrize("bad", ["12345 678901", "ABCD 123456", "4517 13931", ""])
def test_passport_hash_refuses_malformed(bad):
    with pytest.raises(ValueError):
        passport_hash(bad)


def test_resident_reading_saved_during_the_import_is_kept(in_tenant_a, monkeypatch):
    """Residents do not take the import lock: a reading they save between the importer's
    check for existing rows and its INSERT must neither fail the import nor be replaced."""
    billing_package_import(package_path=ENSKVODA, source="test")
    alice = _resident()
    theirs = Reading.objects.get(meter__meter_id="M00000001", taken_on="2025-11-20",
                                 source=ReadingSource.RESIDENT)
    key = (theirs.meter_id, theirs.taken_on)
    Reading.objects.filter(meter__meter_id="M00000001").delete()  # the package re-creates
    real_update_sql = apply._update_sql

    def update_then_resident_saves(target):
        sql = real_update_sql(target)
        if target.table == "meters_reading":
            # Runs right after the UPDATE, before the INSERT, as a concurrent save would.
            sql += (f"; INSERT INTO meters_reading (meter_id, taken_on, source, t1, "
                    f"submitted_by_id, submitted_at, channel, created_at) VALUES "
                    f"({key[0]}, '{key[1]}', 'resident', 451, {alice.pk}, now(), 'web', "
                    f"now())")
        return sql

    monkeypatch.setattr(apply, "_update_sql", update_then_resident_saves)
    run = billing_package_import(package_path=ENSKVODA, source="test")

    assert run.status == ImportStatus.SUCCEEDED, run.report
    kept = Reading.objects.get(meter_id=key[0], taken_on=key[1],
                               source=ReadingSource.RESIDENT)
    assert kept.t1 == Decimal("451") and kept.submitted_by == alice
    assert Reading.objects.filter(meter__meter_id="M00000001").count() > 1
