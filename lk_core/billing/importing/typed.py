"""Turn each raw staging table into a typed one in a single pass, so the checks and the
upserts read numbers and dates instead of re-parsing text every time.

Typed values are NULL when the text is malformed; non-text columns keep their trimmed text
as `<name>__raw` so the format check can tell "empty" from "malformed" and quote the value.

Two ways to get there with the same result. The careful expressions test every decimal and
date with pg_input_is_valid before casting, which costs more than the cast itself. So a
table is first built with plain casts (a valid file, the usual case, casts cleanly); if
any cast raises, that attempt is rolled back to its savepoint and the careful expressions
run, turning each malformed value into NULL for the format check to report."""

from __future__ import annotations

from django.db import DataError, connection, transaction

from lk_core.billing.importing.spec import Column, FileSpec

PERIOD_RE = r"^\d{4}-(0[1-9]|1[0-2])$"


def trimmed(name: str, alias: str = "s") -> str:
    return f"NULLIF(btrim({alias}.{name}), '')"


def typed_expression(column: Column, *, careful: bool = True) -> str:
    """The typed value; with careful=False a malformed decimal or date raises instead."""
    value = trimmed("passport_hash" if column.kind == "passport" else column.name)
    if column.kind == "decimal":
        dotted = f"replace({value}, ',', '.')"
        if not careful:
            return f"{dotted}::numeric"
        return f"(CASE WHEN pg_input_is_valid({dotted}, 'numeric') THEN {dotted}::numeric END)"
    if column.kind == "int":
        return rf"(CASE WHEN {value} ~ '^\d{{1,6}}$' THEN {value}::int END)"
    if column.kind == "date":
        if not careful:
            return f"{value}::date"
        return f"(CASE WHEN pg_input_is_valid({value}, 'date') THEN {value}::date END)"
    if column.kind == "period":
        return f"p_{column.name}.period"
    if column.kind == "choice":
        return f"lower({value})"
    return value


def has_raw(column: Column, *, careful: bool = True) -> bool:
    """Whether the typed table keeps the trimmed text too: where a malformed value would
    otherwise look like an empty one. A plain decimal cast either worked or raised, so
    after it NULL means empty and the number itself is what the report quotes."""
    if column.kind == "decimal":
        return careful
    return column.kind in ("int", "date", "period")


def typed_name(column: Column) -> str:
    return "passport_hash" if column.kind == "passport" else column.name


def _period_join(spec: FileSpec, column: Column) -> str:
    """A package holds a handful of distinct periods in a million rows: test each distinct
    text once (a regular expression per row costs more than the rest of the row) and join.
    pg_input_is_valid: "0000-01" has the shape but no such date."""
    value = trimmed(column.name, "r")
    return (f"LEFT JOIN (SELECT text, CASE WHEN text ~ '{PERIOD_RE}' AND pg_input_is_valid("
            f"text || '-01', 'date') THEN (text || '-01')::date END AS period FROM (SELECT "
            f"DISTINCT {value} AS text FROM {spec.table} r) d) p_{column.name} "
            f"ON p_{column.name}.text = {trimmed(column.name)}")


def _select(spec: FileSpec, *, careful: bool) -> str:
    select, joins = ["s.line"], []
    for column in spec.columns:
        select.append(f"{typed_expression(column, careful=careful)} AS {typed_name(column)}")
        if has_raw(column, careful=careful):
            select.append(f"{trimmed(column.name)} AS {column.name}__raw")
        if column.kind == "period":
            joins.append(_period_join(spec, column))
    return f"SELECT {', '.join(select)} FROM {spec.table} s {' '.join(joins)}"


def typed_build(spec: FileSpec) -> bool:
    """Build the typed table; returns whether the careful expressions were needed."""
    careful = False
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{spec.typed_table}")
        create = f"CREATE TEMP TABLE {spec.typed_table} AS "
        try:
            with transaction.atomic():
                cursor.execute(create + _select(spec, careful=False))
        except DataError:  # a malformed number or date: find them all the careful way
            careful = True
            cursor.execute(create + _select(spec, careful=True))
        cursor.execute(f"ANALYZE {spec.typed_table}")
    return careful
