"""Whole-package checks in SQL over the staging tables. Every check inserts its findings
into one temporary table (kind, file, line, column, value, expected), so thousands of
problems cost no Python memory; the report takes counts per kind and the first N."""

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

PROBLEMS_TABLE = "lk_stg_problems"


def v(column: str, alias: str = "s") -> str:
    """The trimmed value of a staging column, NULL when empty."""
    return f"NULLIF(btrim({alias}.{column}), '')"


def decimal_pattern(column: Column) -> str:
    return rf"^[-+]?\d{{1,{column.digits}}}([.,]\d{{1,{column.places}}})?$"


def num(column: Column, alias: str = "s") -> str:
    """A decimal column as numeric, NULL when empty or malformed (so checks never raise).
    The format check reports malformed values; this only has to be safe and fast."""
    value = f"replace({v(column.name, alias)}, ',', '.')"
    return f"(CASE WHEN pg_input_is_valid({value}, 'numeric') THEN {value}::numeric END)"


def _kind_expression(column: Column) -> str | None:
    value = v(column.name)
    when_empty = "'required'" if column.required else "NULL"
    if column.kind == "passport":
        return None  # checked in Python before hashing
    tests = {
        "text": f"length({value}) > {column.max_length or 10**6}",
        "decimal": f"{value} !~ '{decimal_pattern(column)}'",
        "date": rf"NOT ({value} ~ '^\d{{4}}-\d{{2}}-\d{{2}}$' AND "
                f"pg_input_is_valid({value}, 'date'))",
        "period": rf"{value} !~ '^\d{{4}}-(0[1-9]|1[0-2])$'",
        "choice": f"lower({value}) <> ALL(ARRAY[{', '.join(repr(c) for c in column.choices)}])",
    }
    kind = {"text": "too_long", "decimal": "number", "int": "integer", "date": "date",
            "period": "period", "choice": "choice"}[column.kind]
    if column.kind == "int":
        # CASE keeps the cast from running on a non-number.
        return (f"CASE WHEN {value} IS NULL THEN {when_empty} WHEN {value} !~ '^\\d{{1,6}}$' "
                f"THEN 'integer' WHEN {value}::int NOT BETWEEN {column.low} AND "
                f"{column.high} THEN 'integer' END")
    return f"CASE WHEN {value} IS NULL THEN {when_empty} WHEN {tests[column.kind]} " \
           f"THEN '{kind}' END"


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


def check_formats(spec: FileSpec) -> None:
    """One cheap pass finds the bad rows; only those are taken apart column by column."""
    parts = [(c, _kind_expression(c)) for c in spec.columns]
    parts = [(c, expr) for c, expr in parts if expr]
    any_bad = " OR ".join(f"({expr}) IS NOT NULL" for _c, expr in parts)
    values = ", ".join(f"('{c.name}', s.{c.name}, {expr})" for c, expr in parts)
    _insert(spec, f"""
        WITH bad AS MATERIALIZED (SELECT * FROM {spec.table} s WHERE {any_bad})
        SELECT x.kind, s.line, x.col, x.val, NULL
        FROM bad s, LATERAL (VALUES {values}) x(col, val, kind)
        WHERE x.kind IS NOT NULL""")


def check_duplicates(spec: FileSpec) -> None:
    aliases = ", ".join(f"k{i}" for i in range(len(spec.key)))
    shown = " || ' / ' || ".join(f"coalesce(k{i}, '')" for i in range(len(spec.key)))
    _insert(spec, f"""
        WITH keyed AS (SELECT s.line, {", ".join(f"{v(k)} AS k{i}"
                                                for i, k in enumerate(spec.key))}
                       FROM {spec.table} s),
             dup AS (SELECT {aliases} FROM keyed GROUP BY {aliases} HAVING count(*) > 1)
        SELECT 'duplicate', keyed.line, '{"+".join(spec.key)}', {shown}, NULL
        FROM keyed JOIN dup USING ({aliases})""")


def check_references(spec: FileSpec) -> None:
    for column, target in spec.references:
        staged, staged_column, table, table_column = REFERENCE_TARGETS[target]
        _insert(spec, f"""
            SELECT 'unknown_{target}', s.line, '{column}', {v(column)}, NULL
            FROM {spec.table} s
            WHERE {v(column)} IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM {staged.table} t
                              WHERE btrim(t.{staged_column}) = {v(column)})
              AND NOT EXISTS (SELECT 1 FROM {table} x WHERE x.{table_column} = {v(column)})""")


def check_identities() -> None:
    cols = {c.name: c for c in INVOICES.columns}
    ccols = {c.name: c for c in CHARGES.columns}
    amount, recalc = num(ccols["amount"]), num(ccols["recalculation"])
    ob, charged, rc, paid, penalty, due = (num(cols[n], "s") for n in (
        "opening_balance", "charged", "recalculation", "paid", "penalty", "amount_due"))
    _insert(INVOICES, f"""
        WITH ch AS (SELECT {v("account_number")} AS a, {v("period")} AS p,
                           sum({amount}) AS amount, sum({recalc}) AS recalc
                    FROM {CHARGES.table} s GROUP BY 1, 2),
             inv AS (SELECT s.line, {v("account_number")} AS a, {v("period")} AS p,
                            {ob} AS ob, {charged} AS charged, {rc} AS rc, {paid} AS paid,
                            {penalty} AS penalty, {due} AS due
                     FROM {INVOICES.table} s),
             cmp AS (SELECT inv.*, coalesce(ch.amount, 0) AS lines_amount,
                            coalesce(ch.recalc, 0) AS lines_recalc
                     FROM inv LEFT JOIN ch USING (a, p))
        SELECT x.kind, cmp.line, x.col, x.value::text, x.expected::text
        FROM cmp, LATERAL (VALUES
            ('charged_mismatch', 'charged', cmp.charged, cmp.lines_amount),
            ('recalculation_mismatch', 'recalculation', cmp.rc, cmp.lines_recalc),
            ('amount_due_mismatch', 'amount_due', cmp.due,
             cmp.ob + cmp.charged + cmp.rc + cmp.penalty - cmp.paid)
        ) x(kind, col, value, expected)
        WHERE x.value <> x.expected""")
    _insert(CHARGES, f"""
        SELECT 'charge_without_invoice', s.line, 'period',
               {v("account_number")} || ' ' || {v("period")}, NULL
        FROM {CHARGES.table} s
        WHERE NOT EXISTS (SELECT 1 FROM {INVOICES.table} i
                          WHERE {v("account_number", "i")} = {v("account_number")}
                            AND {v("period", "i")} = {v("period")})""")


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
