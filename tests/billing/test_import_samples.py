"""Both sample packages import, and re-import with zero changes."""

from __future__ import annotations

from decimal import Decimal

from lk_core.billing.models import Account, ChargeLine, ImportRun, ImportStatus, Invoice
from lk_core.billing.services import billing_package_import
from lk_core.meters.models import Reading
from tests.billing.conftest import ENSKVODA, TEPLOSET, table_counts


def _import(path, **kwargs):
    return billing_package_import(package_path=path, source="test", **kwargs)


def test_enskvoda_directory_imports_then_reimports_unchanged(in_tenant_a):
    run = _import(ENSKVODA)
    assert run.status == ImportStatus.SUCCEEDED, run.report
    assert run.counts["accounts.csv"]["created"] == 60
    assert run.counts["charges.csv"]["created"] == 5460
    assert table_counts() == {"Account": 60, "Service": 8, "Invoice": 720,
                              "ChargeLine": 5460, "Payment": 572, "Meter": 180,
                              "Reading": 2160}
    invoice = Invoice.objects.get(account__number="100000001", period="2025-12-01")
    assert invoice.amount_due == Decimal("10375.70")
    again = _import(ENSKVODA)
    assert again.status == ImportStatus.SUCCEEDED
    assert again.report["changes"] == 0
    for name, counts in again.counts.items():
        assert counts["created"] == counts["updated"] == 0, name
        assert counts["unchanged"] == counts["rows"] > 0, name
    assert ImportRun.objects.count() == 2


def test_teploset_1c_zip_windows_1251_decimal_comma(in_tenant_a):
    run = _import(TEPLOSET)
    assert run.status == ImportStatus.SUCCEEDED, run.report
    account = Account.objects.get(number="770000001")
    assert account.address == "г. Энск, пр. Мира, д. 58, кв. 222"
    assert account.area_m2 == Decimal("85.30")
    invoice = Invoice.objects.get(account=account, period="2026-05-01")
    assert invoice.opening_balance == Decimal("-439.00")
    assert invoice.recalculation == Decimal("-244.31")
    line = ChargeLine.objects.get(account=account, period="2026-05-01", service__code="HVS")
    assert line.quantity == Decimal("4.723")
    assert Reading.objects.filter(meter__meter_id="M00000001").first().t1 > 0
    again = _import(TEPLOSET)
    assert again.report["changes"] == 0
    assert len(run.checksum) == 64 and again.checksum == run.checksum


def test_dry_run_changes_nothing(in_tenant_a):
    run = _import(ENSKVODA, dry_run=True)
    assert run.status == ImportStatus.DRY_RUN
    assert run.counts["accounts.csv"]["created"] == 60
    assert table_counts()["Account"] == 0


def test_other_tenant_untouched(in_tenant_a, utility_b, in_schema):
    _import(ENSKVODA)
    with in_schema(utility_b):
        assert set(table_counts().values()) == {0}
        assert not ImportRun.objects.exists()
