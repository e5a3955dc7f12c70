"""lk-export/1: each resident-created row goes out once; a range can be re-sent."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from lk_core.billing.models import ExportKind, ExportRun
from lk_core.billing.services import (
    billing_package_import,
    contact_change_record,
    export_run_create,
)
from lk_core.meters.models import Meter, Reading, ReadingSource
from lk_core.users.models import User, UserKind
from tests.billing.conftest import ENSKVODA


@pytest.fixture(autouse=True)
def _no_settle(settings):
    settings.BILLING_EXPORT_SETTLE_SECONDS = 0


def _read(path):
    with zipfile.ZipFile(path) as archive:
        files = {name: list(csv.DictReader(io.TextIOWrapper(archive.open(name), "utf-8")))
                 for name in archive.namelist() if name.endswith(".csv")}
        manifest = json.loads(archive.read("manifest.json"))
    return manifest, files


def _submit(meter, day, value, who, minutes_ago=1):
    return Reading.objects.create(
        meter=meter, taken_on=day, t1=Decimal(value), source=ReadingSource.RESIDENT,
        submitted_by=who, submitted_at=timezone.now() - timedelta(minutes=minutes_ago),
        channel="web")


def test_each_new_row_goes_out_exactly_once(in_tenant_a, tmp_path):
    billing_package_import(package_path=ENSKVODA, source="test")
    alice = User.objects.create_user(username="alice", password="x", kind=UserKind.RESIDENT)
    meter = Meter.objects.get(meter_id="M00000001")
    first_reading = _submit(meter, "2026-11-20", "470.5", alice)
    contact_change_record(account_number="100000001", email="alice@example.org",
                          paperless=True, consent_email=True)

    first = export_run_create(out=tmp_path / "1.zip", tenant_slug="alpha")
    manifest, files = _read(tmp_path / "1.zip")
    assert manifest["format"] == "lk-export/1" and manifest["tenant"] == "alpha"
    assert [r["reading_id"] for r in files["readings.csv"]] == [str(first_reading.pk)]
    row = files["readings.csv"][0]
    assert (row["meter_id"], row["account_number"], row["taken_on"], row["channel"]) == \
        ("M00000001", "100000001", "2026-11-20", "web")
    assert Decimal(row["t1"]) == Decimal("470.5")
    assert files["contacts.csv"][0]["paperless"] == "true"
    assert files["payments.csv"] == []
    # imported (billing-system) readings never go back
    assert Reading.objects.filter(submitted_at__isnull=True).count() > 1000

    second_reading = _submit(meter, "2026-12-20", "480", alice, minutes_ago=0)
    second = export_run_create(out=tmp_path / "2.zip", tenant_slug="alpha")
    _manifest, files = _read(tmp_path / "2.zip")
    assert [r["reading_id"] for r in files["readings.csv"]] == [str(second_reading.pk)]
    assert files["contacts.csv"] == []
    assert second.since == first.until

    export_run_create(out=tmp_path / "3.zip", tenant_slug="alpha")
    _manifest, files = _read(tmp_path / "3.zip")
    assert files["readings.csv"] == [] and files["contacts.csv"] == []


def test_export_works_with_the_debug_cursor(in_tenant_a, tmp_path):
    """DEBUG (the demo) wraps cursors in Django's debug wrapper, as capturing queries does."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    billing_package_import(package_path=ENSKVODA, source="test")
    alice = User.objects.create_user(username="alice", password="x", kind=UserKind.RESIDENT)
    reading = _submit(Meter.objects.get(meter_id="M00000001"), "2026-11-20", "470.5", alice)
    with CaptureQueriesContext(connection):
        export_run_create(out=tmp_path / "debug.zip", tenant_slug="alpha")
    _manifest, files = _read(tmp_path / "debug.zip")
    assert [r["reading_id"] for r in files["readings.csv"]] == [str(reading.pk)]


def test_command_out_may_be_a_new_directory_or_a_zip(in_tenant_a, tmp_path):
    """README: `export_billing enskvoda out/` with no out/ yet makes the directory."""
    from django.core.management.base import CommandError

    call_command("export_billing", "alpha", str(tmp_path / "out") + "/")
    (made,) = (tmp_path / "out").iterdir()
    assert made.name.startswith("lk-export-alpha-") and zipfile.is_zipfile(made)
    call_command("export_billing", "alpha", str(tmp_path / "nested" / "mine.zip"))
    assert zipfile.is_zipfile(tmp_path / "nested" / "mine.zip")
    (tmp_path / "plain").write_text("x")
    with pytest.raises(CommandError):
        call_command("export_billing", "alpha", str(tmp_path / "plain"))
    assert (tmp_path / "plain").read_text() == "x"


def test_range_reexport_does_not_move_the_watermark(in_tenant_a, tmp_path):
    billing_package_import(package_path=ENSKVODA, source="test")
    meter = Meter.objects.get(meter_id="M00000002")
    reading = _submit(meter, "2026-11-20", "700", None, minutes_ago=30)
    export_run_create(out=tmp_path / "inc.zip", tenant_slug="alpha")
    call_command("export_billing", "alpha", str(tmp_path),
                 since=(timezone.now() - timedelta(hours=1)).isoformat())
    (range_zip,) = [p for p in tmp_path.iterdir() if p.name.startswith("lk-export-alpha")]
    _manifest, files = _read(range_zip)
    assert [r["reading_id"] for r in files["readings.csv"]] == [str(reading.pk)]
    assert ExportRun.objects.filter(kind=ExportKind.RANGE).count() == 1
    export_run_create(out=tmp_path / "next.zip", tenant_slug="alpha")
    _manifest, files = _read(tmp_path / "next.zip")
    assert files["readings.csv"] == []


def test_other_tenant_rows_do_not_leak(in_tenant_a, utility_b, in_schema, tmp_path):
    contact_change_record(account_number="100000001", email="a@example.org")
    with in_schema(utility_b):
        run = export_run_create(out=tmp_path / "b.zip", tenant_slug="beta")
        assert run.counts == {"readings.csv": 0, "payments.csv": 0, "contacts.csv": 0}


def test_resident_contact_changes_from_the_settings_page_go_out_once(
        in_tenant_a, tmp_path, utility_b, in_schema):
    from lk_core.billing.models import ContactChange
    from lk_core.portal.services import preferences_update
    from tests.portal import data

    alice, alice_account = data.resident("700101")
    data.resident("700102")  # bob changes nothing: nothing of his goes out
    choices = {"contact_phone": "8 912 345-67-89", "paperless_receipt": True,
               "language": "ru", "email_reading_receipt": False, "email_enabled": True,
               "sms_enabled": False, "muted_kinds": []}
    preferences_update(user=alice, **choices)
    preferences_update(user=alice, **{**choices, "language": "en"})  # no contact change

    export_run_create(out=tmp_path / "1.zip", tenant_slug="alpha")
    _manifest, files = _read(tmp_path / "1.zip")
    assert [(r["account_number"], r["email"], r["phone"], r["paperless"],
             r["consent_email"], r["consent_sms"]) for r in files["contacts.csv"]] == [
        (alice_account.number, "700101@example.org", "+79123456789", "true", "true",
         "false")]

    preferences_update(user=alice, **{**choices, "sms_enabled": True})
    export_run_create(out=tmp_path / "2.zip", tenant_slug="alpha")
    _manifest, files = _read(tmp_path / "2.zip")
    assert [r["consent_sms"] for r in files["contacts.csv"]] == ["true"]
    with in_schema(utility_b):
        assert not ContactChange.objects.exists()
