"""Billing import benchmark: the project's importer against a plain COPY of the same rows
(the floor) and django-import-export (what a Django developer would reach for), with peak
memory at two package sizes and the re-import of an unchanged package.

    make bench                                   # 20,000 accounts x 12 months (~2M lines)
    LK_BENCH_ACCOUNTS=2000 make bench            # a quick run

Writes the "Billing import" section of docs/performance.md."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tests.bench.generator import package_generate
from tests.bench.report import write_section
from tests.conftest import ROOT, _test_database_url

ACCOUNTS = int(os.environ.get("LK_BENCH_ACCOUNTS", "20000"))
MONTHS = int(os.environ.get("LK_BENCH_MONTHS", "12"))
DIE_ROWS = int(os.environ.get("LK_BENCH_DIE_ROWS", "10000"))
CSV_FILES = ["services.csv", "accounts.csv", "invoices.csv", "charges.csv", "meters.csv",
             "readings.csv", "payments.csv"]


def _data_rows(package: Path) -> int:
    total = 0
    for name in CSV_FILES:
        with (package / name).open("rb") as stream:
            total += sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20),
                                                              b"")) - 1
    return total


# Runs manage.py and, at exit, prints the process's own peak RSS (VmHWM of its memory since
# exec). Not the rusage of the child: Linux counts into a child's ru_maxrss the RSS of the
# parent's memory it ran in until exec (this pytest process, a few hundred MB), which hid
# the import's own peak behind the benchmark's.
PEAK_RSS_WRAPPER = """
import atexit, runpy, sys
def peak():
    with open("/proc/self/status") as status:
        kb = next(line for line in status if line.startswith("VmHWM:")).split()[1]
    print(f"peak-rss-kb {kb}", file=sys.stderr)
atexit.register(peak)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _idle_peak_rss_mb() -> float:
    """The same process with nothing to import (`manage.py check`): Django, the project's
    apps and their libraries loaded; the import's baseline."""
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "LK_TESTING": "1"}
    process = subprocess.run([sys.executable, "-c", PEAK_RSS_WRAPPER, str(ROOT / "manage.py"),
                              "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                             check=True)
    return int(re.search(r"peak-rss-kb (\d+)", process.stderr).group(1)) / 1024


def _import_subprocess(utility, package: Path) -> dict:
    """manage.py import_billing in its own process: the run's duration and the peak RSS."""
    from lk_core.billing.models import ImportRun

    slug = utility.slug
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "LK_TESTING": "1",
           "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}"}
    process = subprocess.run([sys.executable, "-c", PEAK_RSS_WRAPPER, str(ROOT / "manage.py"),
                              "import_billing", slug, str(package), "--no-progress"],
                             cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert process.returncode == 0, process.stdout + process.stderr
    peak_kb = int(re.search(r"peak-rss-kb (\d+)", process.stderr).group(1))
    with schema_context(utility.schema_name):
        run = ImportRun.objects.latest("pk")
    return {"seconds": run.duration_seconds, "max_rss_mb": peak_kb / 1024,
            "changes": run.report["changes"], "timings": run.report["timings"]}


# The column types of the typed floor: what each CSV value is stored as in the model.
# A period ("2026-10") is not a PostgreSQL date literal, so it stays text there.
FLOOR_TYPES = {"decimal": "numeric", "int": "integer", "date": "date"}


def _floor_type(name: str, column: str, typed: bool) -> str:
    from lk_core.billing.importing.spec import FILES_BY_NAME

    if not typed:
        return "text"
    kind = {c.name: c.kind for c in FILES_BY_NAME[name].columns}[column]
    return FLOOR_TYPES.get(kind, "text")


def _plain_copy(package: Path, *, typed: bool, keyed: bool = False) -> float:
    """COPY every CSV file as it is into bare tables, no keys, no indexes: text columns,
    or (typed) the column types the values have in the model; `keyed` adds the unique
    index on each file's natural key that the import keeps up too (written once: no
    staging, no check, no reference resolved)."""
    from lk_core.billing.importing.spec import FILES_BY_NAME

    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA IF EXISTS bench_floor CASCADE; CREATE SCHEMA bench_floor")
        started = time.monotonic()
        for name in CSV_FILES:
            with (package / name).open("rb") as stream:
                header = stream.readline().decode().strip().split(",")
                table = f"bench_floor.{name.removesuffix('.csv')}"
                columns = ", ".join(f"{c} {_floor_type(name, c, typed)}" for c in header)
                cursor.execute(f"CREATE TABLE {table} ({columns})")
                if keyed:
                    cursor.execute(f"CREATE UNIQUE INDEX ON {table} "
                                   f"({', '.join(FILES_BY_NAME[name].key)})")
                with cursor.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv)") as copy:
                    while chunk := stream.read(1 << 20):
                        copy.write(chunk)
        seconds = time.monotonic() - started
        cursor.execute("DROP SCHEMA bench_floor CASCADE")
    return seconds


def _django_import_export(package: Path, rows: int) -> float:
    """django-import-export (bulk mode) importing the first `rows` charge lines."""
    from import_export import fields, resources, widgets

    from lk_core.billing.models import Account, ChargeLine, Service

    class PeriodWidget(widgets.DateWidget):
        def clean(self, value, row=None, **kwargs):
            return super().clean(f"{value}-01", row, **kwargs)

    class ChargeLineResource(resources.ModelResource):
        account = fields.Field("account", "account_number",
                               widgets.ForeignKeyWidget(Account, "number"))
        service = fields.Field("service", "service_code",
                               widgets.ForeignKeyWidget(Service, "code"))
        period = fields.Field("period", "period", PeriodWidget("%Y-%m-%d"))

        class Meta:
            model = ChargeLine
            fields = ("account", "period", "service", "quantity", "tariff", "amount",
                      "recalculation")
            import_id_fields = ("account", "period", "service")
            use_bulk = True
            batch_size = 1000
            skip_diff = True

    import tablib

    with (package / "charges.csv").open(encoding="utf-8") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        for _n, row in zip(range(rows), reader, strict=False):
            writer.writerow(row)
    dataset = tablib.Dataset().load(out.getvalue(), format="csv")
    with connection.cursor() as cursor:  # not timed; Django's delete() would load every row
        cursor.execute("TRUNCATE billing_chargeline")
    started = time.monotonic()
    result = ChargeLineResource().import_data(dataset, raise_errors=True)
    seconds = time.monotonic() - started
    assert not result.has_errors() and ChargeLine.objects.count() == rows
    return seconds


def _performance_section(lines: list[str]) -> None:
    write_section("billing-import", "Billing import", "\n".join(lines))


@pytest.fixture
def bench_tenants(django_db_setup, django_db_blocker):
    from tenants.services import utility_create, utility_delete

    made = []
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        for slug in ("bench-big", "bench-small"):
            made.append(utility_create(slug=slug, name=slug, actor="bench", kind="water",
                                       staff_email=f"admin@{slug}.test",
                                       send_staff_email=False).utility)
    yield made
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        for utility in made:
            utility_delete(utility=utility, actor="bench")


@pytest.mark.bench
def test_billing_import_benchmark(bench_tenants, django_db_blocker, tmp_path):
    big_tenant, small_tenant = bench_tenants
    big = package_generate(tmp_path / "big", accounts=ACCOUNTS, months=MONTHS)
    small = package_generate(tmp_path / "small", accounts=max(ACCOUNTS // 4, 50),
                             months=MONTHS, seed=2)
    rows_big, rows_small = _data_rows(big), _data_rows(small)
    load_before = os.getloadavg()[0]
    with django_db_blocker.unblock():
        first = _import_subprocess(big_tenant, big)
        again = _import_subprocess(big_tenant, big)
        assert first["changes"] >= rows_big and again["changes"] == 0
        small_run = _import_subprocess(small_tenant, small)
        copy_seconds = _plain_copy(big, typed=False)
        typed_seconds = _plain_copy(big, typed=True)
        keyed_seconds = _plain_copy(big, typed=True, keyed=True)
        with schema_context(big_tenant.schema_name):
            die_seconds = _django_import_export(big, DIE_ROWS)
        connection.close()

    project_rate = rows_big / first["seconds"]
    copy_rate = rows_big / copy_seconds
    typed_rate = rows_big / typed_seconds
    keyed_rate = rows_big / keyed_seconds
    die_rate = DIE_ROWS / die_seconds
    reimport_rate = rows_big / again["seconds"]
    results = {
        "copy_ratio": project_rate / copy_rate, "typed_ratio": project_rate / typed_rate,
        "keyed_vs_copy": keyed_rate / copy_rate,
        # The least any import with staging can take: its own COPY into staging, then
        # the keyed floor's single write; checks, references and the rest for free.
        "bound": copy_seconds / (first["timings"]["stage"] + keyed_seconds),
        "die_ratio": project_rate / die_rate,
        "peak_big": first["max_rss_mb"], "peak_small": small_run["max_rss_mb"],
        "peak_idle": _idle_peak_rss_mb(),
        "reimport_vs_first": again["seconds"] / first["seconds"]}
    load_after = os.getloadavg()[0]
    lines = [
        f"Measured by `make bench` (tests/bench/test_import_bench.py) with "
        f"LK_BENCH_ACCOUNTS={ACCOUNTS}, LK_BENCH_MONTHS={MONTHS}, "
        f"LK_BENCH_DIE_ROWS={DIE_ROWS}, on {time.strftime('%Y-%m-%d', time.gmtime())}, "
        f"{os.cpu_count()} cores shared with other work (1-minute load average "
        f"{load_before:.1f} before the run, {load_after:.1f} after). "
        f"The package: {rows_big:,} data rows ({ACCOUNTS:,} accounts x {MONTHS} months, "
        f"8 charge lines per invoice).",
        "",
        "| measure | value | target |",
        "| --- | --- | --- |",
        f"| project import vs plain COPY of the same rows into bare text tables (row rate) "
        f"| **{results['copy_ratio']:.2f}x** ({project_rate:,.0f} vs {copy_rate:,.0f} "
        f"rows/s) | >= 0.3x (aim 0.5x) |",
        f"| project import vs plain COPY of the same rows into bare typed tables (row rate) "
        f"| **{results['typed_ratio']:.2f}x** (vs {typed_rate:,.0f} rows/s) | (see below) |",
        f"| typed COPY into tables with a unique index on each file's natural key vs plain "
        f"COPY (row rate; no import can beat this one write) | "
        f"**{results['keyed_vs_copy']:.2f}x** ({keyed_rate:,.0f} rows/s) | (see below) |",
        f"| bound for an import that stages: the import's staging COPY "
        f"({first['timings']['stage']:.1f} s) plus the keyed floor's write "
        f"({keyed_seconds:.1f} s), nothing else, vs plain COPY ({copy_seconds:.1f} s) | "
        f"**{results['bound']:.2f}x** | (see below) |",
        f"| project import vs django-import-export bulk (charges, {DIE_ROWS:,} rows) | "
        f"**{results['die_ratio']:.0f}x** ({die_rate:,.0f} rows/s) | >= 50x |",
        f"| peak RSS of the same process importing nothing (`manage.py check`: Django, the "
        f"apps and their libraries) | {results['peak_idle']:.0f} MB | (baseline) |",
        f"| peak RSS of the import process, {rows_big:,} rows | "
        f"**{results['peak_big']:.0f} MB** | < 300 MB |",
        f"| peak RSS of the import process, {rows_small:,} rows | "
        f"**{results['peak_small']:.0f} MB** | flat |",
        f"| re-import of the unchanged package / first import (time) | "
        f"**{results['reimport_vs_first']:.2f}x** ({reimport_rate:,.0f} rows/s) | <= 1x |",
        "",
        f"Phases of the first import (s): {first['timings']}; of the re-import: "
        f"{again['timings']}.",
        "",
        "Import time is the ImportRun's own duration (lock, COPY into staging, checks, "
        "apply, commit), without process start-up. The floors stream the same files with "
        "COPY: the text floor into text columns of tables without keys (the issue's "
        "\"plain COPY\"), the typed floor into the column types the model stores (numeric, "
        "integer, date; periods stay text, \"2026-10\" is not a date literal), the keyed "
        "floor into typed tables that each have a unique index on the file's natural key. "
        "django-import-export runs in bulk mode with diffs off.",
        "",
        "The target is stated against the text floor, and that is the ratio the first row "
        "reports. The keyed floor bounds what any import with upsert-by-natural-key can "
        "reach: it writes each row once, typed, into a table with the one index an upsert "
        "needs, and does nothing else. The import has to do that write (into the model's "
        "tables, which also carry the primary key and the indexes the portal reads by) "
        "after staging and checking the whole package, so its ratio to the text floor "
        "stays below the keyed floor's, and below the bound row, which counts only the "
        "staging COPY and that one write. Where the bound is under 0.3x, the issue's "
        "target is out of reach for any importer that validates the whole package "
        "before writing it, however fast its checks.",
        "",
        "Where the time goes: `stage` is the COPY into temporary text tables (the text "
        "floor's work, plus the passport hash of accounts.csv in Python); `check` builds "
        "the typed staging tables (plain casts; the careful per-value tests only when a "
        "cast fails), one aggregate of the charge lines per invoice (the identity sums and "
        "a digest of the set) and every other check of the whole package in SQL; `apply` "
        "updates the rows that differ and inserts the new ones in key order into tables "
        "with their unique indexes, and rewrites the charge lines only of the invoices "
        "whose digest changed; `commit` is left with no per-row foreign-key checks on the "
        "bulk tables (docs/adr/0005-import-foreign-keys.md). A re-import of an unchanged "
        "package stages, types and checks every row like the first import but writes "
        "nothing, and the 1.9 million charge lines are not even read.",
    ]
    _performance_section(lines)
    print("\n".join(lines))
    assert results["peak_big"] < 300
