"""An invoice's charge lines are replaced as a set, and only the sets that changed are
rewritten: counts per line, the database afterwards, and sets written outside an import."""

from __future__ import annotations

import csv
from decimal import Decimal

from lk_core.billing.models import ChargeLine, ImportStatus, Invoice
from lk_core.billing.services import billing_package_import
from tests.billing.conftest import ENSKVODA, set_field


def _import(path):
    run = billing_package_import(package_path=path, source="test")
    assert run.status == ImportStatus.SUCCEEDED, run.report
    return run


def _drop_line(path, line_number: int) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    del lines[line_number - 1]
    path.write_text("".join(lines), encoding="utf-8")


def _lines(number: str, period: str) -> dict[str, tuple]:
    return {c.service.code: (c.quantity, c.amount)
            for c in ChargeLine.objects.filter(account__number=number, period=period)
            .select_related("service")}


def test_changed_sets_are_replaced_and_counted_per_line(in_tenant_a, enskvoda_copy):
    _import(ENSKVODA)
    before = _lines("100000001", "2025-11-01")
    assert before["HVS"] == (Decimal("3.5160"), Decimal("219.64")) and "GVS" in before
    untouched = {c.pk for c in ChargeLine.objects.exclude(account__number="100000001",
                                                          period="2025-11-01")}
    charges, invoices = enskvoda_copy / "charges.csv", enskvoda_copy / "invoices.csv"
    set_field(charges, 2, "quantity", "3.600")  # HVS: same amount, another quantity
    _drop_line(charges, 3)  # GVS 462.21 leaves the set; the invoice follows
    set_field(invoices, 2, "charged", "9679.23")
    set_field(invoices, 2, "amount_due", "9679.23")

    run = _import(enskvoda_copy)
    assert run.counts["charges.csv"] == {"rows": 5459, "created": 0, "updated": 1,
                                         "unchanged": 5458, "deleted": 1}
    assert run.counts["invoices.csv"]["updated"] == 1
    after = _lines("100000001", "2025-11-01")
    assert after["HVS"] == (Decimal("3.6000"), Decimal("219.64")) and "GVS" not in after
    assert set(after) == set(before) - {"GVS"}
    # The other sets were not rewritten: the very same rows are still there.
    assert untouched <= {c.pk for c in ChargeLine.objects.all()}
    assert _import(enskvoda_copy).report["changes"] == 0


def test_a_set_not_written_by_an_import_is_replaced(in_tenant_a):
    _import(ENSKVODA)
    invoice = Invoice.objects.get(account__number="100000002", period="2026-01-01")
    ChargeLine.objects.filter(account=invoice.account, period=invoice.period,
                              service__code="HVS").update(amount=Decimal("1.00"))
    ChargeLine.objects.filter(account=invoice.account, period=invoice.period,
                              service__code="GVS").delete()
    Invoice.objects.filter(pk=invoice.pk).update(lines_digest="")  # e.g. a hand edit

    run = _import(ENSKVODA)
    assert run.counts["charges.csv"]["created"] == 1
    assert run.counts["charges.csv"]["updated"] == 1
    with (ENSKVODA / "charges.csv").open(encoding="utf-8") as stream:
        expected = {r["service_code"]: Decimal(r["amount"]) for r in csv.DictReader(stream)
                    if r["account_number"] == "100000002" and r["period"] == "2026-01"}
    assert {code: amount for code, (_q, amount) in
            _lines("100000002", "2026-01-01").items()} == expected
    assert _import(ENSKVODA).report["changes"] == 0
