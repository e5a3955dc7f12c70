"""A bad package is rejected as a whole: every identity, reference and format violation is
reported with file, line and column, and the database is left exactly as it was."""

from __future__ import annotations

import csv
from decimal import Decimal

from lk_core.billing.importing.problems import Problems
from lk_core.billing.models import Account, ImportStatus, Invoice
from lk_core.billing.services import billing_package_import
from tests.billing.conftest import ENSKVODA, set_field, table_counts


def _rows(path):
    with path.open(encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def _problem_places(run):
    return {(p["kind"], p["file"], p["line"], p["column"]) for p in
            run.report["problems"]["first"]}


def _break_package(pkg):
    """Each change makes exactly one known problem; returns the expected (kind, file, line,
    column) set."""
    invoices, charges = _rows(pkg / "invoices.csv"), _rows(pkg / "charges.csv")
    inv2 = invoices[0]  # line 2: charged and amount_due both +1 -> only charged_mismatch
    set_field(pkg / "invoices.csv", 2, "charged", str(Decimal(inv2["charged"]) + 1))
    set_field(pkg / "invoices.csv", 2, "amount_due", str(Decimal(inv2["amount_due"]) + 1))
    set_field(pkg / "invoices.csv", 4, "amount_due",
              str(Decimal(invoices[2]["amount_due"]) + Decimal("0.01")))
    # a recalculation on a charge line of the invoice at line 6, without updating it
    inv6 = invoices[4]
    charge_line = next(i + 2 for i, c in enumerate(charges)
                       if (c["account_number"], c["period"]) ==
                       (inv6["account_number"], inv6["period"]))
    set_field(pkg / "charges.csv", charge_line, "recalculation", "5.00")
    set_field(pkg / "charges.csv", 40, "service_code", "NOPE")
    set_field(pkg / "payments.csv", 3, "account_number", "999999999")
    set_field(pkg / "readings.csv", 7, "meter_id", "M-NOPE")
    set_field(pkg / "meters.csv", 5, "account_number", "888888888")
    set_field(pkg / "accounts.csv", 9, "passport", "12 34")
    set_field(pkg / "invoices.csv", 30, "due_date", "2026-02-30")
    set_field(pkg / "payments.csv", 10, "amount", "12.345")
    set_field(pkg / "readings.csv", 12, "source", "neighbour")
    set_field(pkg / "meters.csv", 8, "zones", "4")
    return {
        ("charged_mismatch", "invoices.csv", 2, "charged"),
        ("amount_due_mismatch", "invoices.csv", 4, "amount_due"),
        ("recalculation_mismatch", "invoices.csv", 6, "recalculation"),
        ("unknown_service", "charges.csv", 40, "service_code"),
        ("unknown_account", "payments.csv", 3, "account_number"),
        ("unknown_meter", "readings.csv", 7, "meter_id"),
        ("unknown_account", "meters.csv", 5, "account_number"),
        ("passport", "accounts.csv", 9, "passport"),
        ("date", "invoices.csv", 30, "due_date"),
        ("number", "payments.csv", 10, "amount"),
        ("choice", "readings.csv", 12, "source"),
        ("integer", "meters.csv", 8, "zones"),
    }


def test_every_violation_reported_with_its_line_and_nothing_changes(in_tenant_a,
                                                                    enskvoda_copy):
    first = billing_package_import(package_path=ENSKVODA, source="test")
    assert first.status == ImportStatus.SUCCEEDED
    before = table_counts()
    account = Account.objects.get(number="100000001")
    expected = _break_package(enskvoda_copy)
    set_field(enskvoda_copy / "accounts.csv", 2, "holder_name", "Changed Name")

    run = billing_package_import(package_path=enskvoda_copy, source="test")

    assert run.status == ImportStatus.REJECTED
    assert _problem_places(run) == expected
    assert run.report["problems"]["total"] == len(expected)
    assert run.report["problems"]["by_kind"]["unknown_account"] == 2
    assert all(p["message"] for p in run.report["problems"]["first"])
    assert table_counts() == before
    account.refresh_from_db()
    assert account.holder_name != "Changed Name"
    assert not run.counts


def test_problem_values_and_expected_sums_in_messages(in_tenant_a, enskvoda_copy):
    invoices = _rows(enskvoda_copy / "invoices.csv")
    set_field(enskvoda_copy / "invoices.csv", 3, "amount_due", "1.00")
    run = billing_package_import(package_path=enskvoda_copy, source="test")
    (problem,) = run.report["problems"]["first"]
    i = invoices[1]
    expected = (Decimal(i["opening_balance"]) + Decimal(i["charged"]) +
                Decimal(i["recalculation"]) + Decimal(i["penalty"]) - Decimal(i["paid"]))
    assert problem["value"] == "1.00"
    assert str(expected) in problem["message"]
    assert Invoice.objects.count() == 0


def test_thousands_of_problems_stay_readable(in_tenant_a, enskvoda_copy):
    path = enskvoda_copy / "charges.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0]] + [line.replace(",HVS,", ",XXX,")
                                             .replace(",GVS,", ",YYY,")
                                             for line in lines[1:]]) + "\n", encoding="utf-8")
    run = billing_package_import(package_path=enskvoda_copy, source="test")
    problems = run.report["problems"]
    assert problems["by_kind"]["unknown_service"] == 1440
    assert problems["total"] == 1440
    assert len(problems["first"]) == problems["shown"] == Problems.first_n


def test_duplicate_keys(in_tenant_a, enskvoda_copy):
    payments = enskvoda_copy / "payments.csv"
    lines = payments.read_text(encoding="utf-8").splitlines()
    payments.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    run = billing_package_import(package_path=enskvoda_copy, source="test")
    assert _problem_places(run) == {
        ("duplicate", "payments.csv", 2, "payment_id"),
        ("duplicate", "payments.csv", len(lines) + 1, "payment_id")}


def test_bad_header_and_malformed_row(in_tenant_a, enskvoda_copy):
    meters = enskvoda_copy / "meters.csv"
    meters.write_text(meters.read_text(encoding="utf-8").replace("zones,", "zonez,", 1),
                      encoding="utf-8")
    payments = enskvoda_copy / "payments.csv"
    lines = payments.read_text(encoding="utf-8").splitlines()
    lines[4] += ",extra"
    payments.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = billing_package_import(package_path=enskvoda_copy, source="test")
    places = _problem_places(run)
    assert ("header", "meters.csv", 1, "") in places
    assert ("malformed", "payments.csv", 5, "") in places
    assert run.status == ImportStatus.REJECTED
    assert table_counts()["Account"] == 0


def test_not_a_package_is_refused_clearly(in_tenant_a, tmp_path):
    bogus = tmp_path / "bogus.zip"
    bogus.write_bytes(b"not a zip")
    run = billing_package_import(package_path=bogus, source="test")
    assert run.status == ImportStatus.REJECTED
    assert "zip" in run.report["message"]
    empty = tmp_path / "empty"
    empty.mkdir()
    run = billing_package_import(package_path=empty, source="test")
    assert "manifest.json" in run.report["message"]


def test_problem_messages_are_translated(in_tenant_a, enskvoda_copy):
    from django.utils import translation

    set_field(enskvoda_copy / "payments.csv", 2, "account_number", "999999999")
    with translation.override("ru"):
        ru = billing_package_import(package_path=enskvoda_copy, source="test")
    with translation.override("en"):
        en = billing_package_import(package_path=enskvoda_copy, source="test")
    assert ru.report["problems"]["first"][0]["message"] == \
        "Лицевого счёта 999999999 нет ни в пакете, ни в портале."
    assert en.report["problems"]["first"][0]["message"] == \
        "Account 999999999 is neither in the package nor in the portal."
    assert ru.report["message"] == "Пакет отклонён; ничего не изменено."


def test_malformed_values_found_when_the_plain_casts_fail(in_tenant_a, enskvoda_copy):
    """A value no cast accepts sends the file down the careful path, which still reports
    every problem of the file, not just the first that broke the cast."""
    set_field(enskvoda_copy / "charges.csv", 5, "amount", "12,3,4")
    set_field(enskvoda_copy / "charges.csv", 9, "tariff", "1.23456")  # casts; too precise
    set_field(enskvoda_copy / "charges.csv", 11, "period", "0000-01")  # no such month
    set_field(enskvoda_copy / "invoices.csv", 7, "period", "2026-1")
    run = billing_package_import(package_path=enskvoda_copy, source="test")
    assert run.status == ImportStatus.REJECTED
    places = _problem_places(run)
    assert {("number", "charges.csv", 5, "amount"), ("number", "charges.csv", 9, "tariff"),
            ("period", "charges.csv", 11, "period"),
            ("period", "invoices.csv", 7, "period")} <= places
    assert Invoice.objects.count() == 0
