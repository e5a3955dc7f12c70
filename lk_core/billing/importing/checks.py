"""Whole-package checks in SQL over the typed staging tables. Every check inserts its
findings into one temporary table (kind, file, line, column, value, expected), so thousands
of problems cost no Python memory; the report takes counts per kind and the first N."""

from __future__ import annotations

from django.db import connection

from lk_core.billing.importing.problems import Problems
from lk_core.billing.importing.spec import (
    CHARGES,
    FILES,
    INVOICES,
    REFERENCE_TARGETS,
    Column,
    FileSpec,
)
from lk_core.billing.importing.typed import has_raw

PROBLEMS_TABLE = "lk_stg_problems"
CHARGE_SETS_TABLE = "lk_stg_charge_sets"
DIGEST_VERSION = "v1"
EMPTY_SET_DIGEST = f"{DIGEST_VERSION}:0"  # an invoice the package lists without lines
DATE_RE = r"^\d{4}-\d{2}-\d{2}$"


def _kind_expression(column: Column, careful: bool) -> str | None:
    """The problem kind of one value in typed table `s`, or NULL when it is fine."""
    name = column.name
    raw = f"s.{name}__raw" if has_raw(column, careful=careful) else f"s.{name}"
    when_empty = "'required'" if column.required else "NULL"
    if column.kind == "passport":
        return None  # checked in Python before hashing
    bad = {
        "text": f"length(s.{name}) > {column.max_length or 10**6}",
        "decimal": (f"s.{name} IS NULL OR s.{name} = 'NaN' OR abs(s.{name}) >= "
                    f"1e{column.digits} OR scale(s.{name}) > {column.places}"),
        "int": f"s.{name} IS NULL OR s.{name} NOT BETWEEN {column.low} AND {column.high}",
        "date": f"s.{name} IS NULL OR {raw} !~ '{DATE_RE}'",
        "period": f"s.{name} IS NULL",
        "choice": f"s.{name} <> ALL(ARRAY[{', '.join(repr(c) for c in column.choices)}])",
    }[column.kind]
    kind = {"text": "too_long", "decimal": "number", "int": "integer", "date": "date",
            "period": "period", "choice": "choice"}[column.kind]
    return f"CASE WHEN {raw} IS NULL THEN {when_empty} WHEN {bad} THEN '{kind}' END"


def problems_table_create() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{PROBLEMS_TABLE}")
        cursor.execute(f"CREATE TEMP TABLE {PROBLEMS_TABLE} (kind text, file text, "
                       "file_order int, line bigint, col text, value text, expected text)")


def _insert(spec: FileSpec, select_sql: str) -> None:
    """select_sql yields (kind, line, col, value, expected)."""
    order = FILES.index(spec)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {PROBLEMS_TABLE} SELECT p.kind, %s, %s, p.line, p.col, "
                       f"p.value, p.expected FROM ({select_sql}) p(kind, line, col, value, "
                       f"expected)", [spec.name, order])


def check_formats(spec: FileSpec, *, careful: bool) -> None:
    """One cheap pass finds the bad rows; only those are taken apart column by column.
    `careful`: the typed table was built the careful way (typed.typed_build)."""
    parts = [(c, _kind_expression(c, careful)) for c in spec.columns]
    parts = [(c, expr) for c, expr in parts if expr]
    any_bad = " OR ".join(f"({expr}) IS NOT NULL" for _c, expr in parts)
    values = ", ".join(
        f"('{c.name}', s.{c.name}{'__raw' if has_raw(c, careful=careful) else ''}::text, "
        f"{expr})"
        for c, expr in parts)
    _insert(spec, f"""
        WITH bad AS MATERIALIZED (SELECT * FROM {spec.typed_table} s WHERE {any_bad})
        SELECT x.kind, s.line, x.col, x.val, NULL
        FROM bad s, LATERAL (VALUES {values}) x(col, val, kind)
        WHERE x.kind IS NOT NULL""")


def check_duplicates(spec: FileSpec) -> None:
    keys = ", ".join(spec.key)
    shown = " || ' / ' || ".join(f"coalesce(s.{k}::text, '')" for k in spec.key)
    _insert(spec, f"""
        WITH dup AS (SELECT {keys} FROM {spec.typed_table}
                     WHERE {" AND ".join(f"{k} IS NOT NULL" for k in spec.key)}
                     GROUP BY {keys} HAVING count(*) > 1)
        SELECT 'duplicate', s.line, '{"+".join(spec.key)}', {shown}, NULL
        FROM {spec.typed_table} s JOIN dup USING ({keys})""")


def check_references(spec: FileSpec) -> None:
    for column, target in spec.references:
        staged, staged_column, table, table_column = REFERENCE_TARGETS[target]
        _insert(spec, f"""
            SELECT 'unknown_{target}', s.line, '{column}', s.{column}, NULL
            FROM {spec.typed_table} s
            WHERE s.{column} IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM {staged.typed_table} t
                              WHERE t.{staged_column} = s.{column})
              AND NOT EXISTS (SELECT 1 FROM {table} x WHERE x.{table_column} = s.{column})""")


def charge_sets_build() -> None:
    """One pass over the charge lines: per invoice, the sums the identities compare and
    the digest of its set of lines (apply.py rewrites only the sets whose digest changed).
    The digest hashes each line as the database will store it (numbers at the model's
    scale) and XORs the hashes, so it does not depend on the order of the lines; two
    64-bit hashes and the line count make a collision of two different sets negligible."""
    line = ("format('%s|%s|%s|%s|%s', service_code, quantity::numeric(16, 4), "
            "tariff::numeric(14, 4), amount::numeric(14, 2), recalculation::numeric(14, 2))")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{CHARGE_SETS_TABLE}")
        cursor.execute(f"""
            CREATE TEMP TABLE {CHARGE_SETS_TABLE} AS
            SELECT account_number, period, sum(amount) AS amount,
                   sum(recalculation) AS recalc,
                   '{DIGEST_VERSION}:' || count(*) || ':'
                   || bit_xor(hashtextextended({line}, 1)) || ':'
                   || bit_xor(hashtextextended({line}, 2)) AS digest
            FROM {CHARGES.typed_table} GROUP BY account_number, period""")
        cursor.execute(f"ANALYZE {CHARGE_SETS_TABLE}")


def check_identities() -> None:
    _insert(INVOICES, f"""
        WITH cmp AS (SELECT i.*, coalesce(ch.amount, 0) AS lines_amount,
                            coalesce(ch.recalc, 0) AS lines_recalc
                     FROM {INVOICES.typed_table} i
                     LEFT JOIN {CHARGE_SETS_TABLE} ch USING (account_number, period))
        SELECT x.kind, cmp.line, x.col, x.value::text, x.expected::text
        FROM cmp, LATERAL (VALUES
            ('charged_mismatch', 'charged', cmp.charged, cmp.lines_amount),
            ('recalculation_mismatch', 'recalculation', cmp.recalculation, cmp.lines_recalc),
            ('amount_due_mismatch', 'amount_due', cmp.amount_due,
             cmp.opening_balance + cmp.charged + cmp.recalculation + cmp.penalty - cmp.paid)
        ) x(kind, col, value, expected)
        WHERE x.value <> x.expected""")
    # Sets first (a few hundred thousand), lines only of the sets without an invoice.
    _insert(CHARGES, f"""
        SELECT 'charge_without_invoice', s.line, 'period',
               s.account_number || ' ' || to_char(s.period, 'YYYY-MM'), NULL
        FROM {CHARGES.typed_table} s
        JOIN (SELECT g.account_number, g.period FROM {CHARGE_SETS_TABLE} g
              WHERE NOT EXISTS (SELECT 1 FROM {INVOICES.typed_table} i
                                WHERE i.account_number = g.account_number
                                  AND i.period = g.period)) orphan
          ON orphan.account_number = s.account_number AND orphan.period = s.period""")


def problems_collect(problems: Problems) -> None:
    """Move the SQL findings into the report: counts per kind, the first N with context."""
    columns = {(spec.name, c.name): c for spec in FILES for c in spec.columns}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT kind, count(*) FROM {PROBLEMS_TABLE} GROUP BY kind")
        for kind, count in cursor.fetchall():
            problems.by_kind[kind] = problems.by_kind.get(kind, 0) + count
        cursor.execute(f"SELECT kind, file, line, col, value, expected FROM {PROBLEMS_TABLE} "
                       "ORDER BY file_order, line, col LIMIT %s", [problems.first_n])
        for kind, file, line, col, value, expected in cursor.fetchall():
            column = columns.get((file, col))
            problems.keep(kind=kind, file=file, line=line, column=col, value=value,
                          expected=expected or "", places=getattr(column, "places", ""),
                          low=getattr(column, "low", ""), high=getattr(column, "high", ""),
                          choices=", ".join(getattr(column, "choices", ())))
