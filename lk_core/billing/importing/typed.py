"""Turn each raw staging table into a typed one in a single pass, so the checks and the
upserts read numbers and dates instead of re-parsing text every time.

Typed values are NULL when the text is malformed (the casts never raise); non-text columns
keep their trimmed text as `<name>__raw` so the format check can tell "empty" from
"malformed" and quote the value."""

from __future__ import annotations

from django.db import connection

from lk_core.billing.importing.spec import Column, FileSpec

PERIOD_RE = r"^\d{4}-(0[1-9]|1[0-2])$"


def trimmed(name: str, alias: str = "s") -> str:
    return f"NULLIF(btrim({alias}.{name}), '')"


def typed_expression(column: Column) -> str:
    value = trimmed("passport_hash" if column.kind == "passport" else column.name)
    if column.kind == "decimal":
        dotted = f"replace({value}, ',', '.')"
        return f"(CASE WHEN pg_input_is_valid({dotted}, 'numeric') THEN {dotted}::numeric END)"
    if column.kind == "int":
        return rf"(CASE WHEN {value} ~ '^\d{{1,6}}$' THEN {value}::int END)"
    if column.kind == "date":
        return f"(CASE WHEN pg_input_is_valid({value}, 'date') THEN {value}::date END)"
    if column.kind == "period":
        return f"(CASE WHEN {value} ~ '{PERIOD_RE}' THEN ({value} || '-01')::date END)"
    if column.kind == "choice":
        return f"lower({value})"
    return value


def has_raw(column: Column) -> bool:
    return column.kind in ("decimal", "int", "date", "period")


def typed_name(column: Column) -> str:
    return "passport_hash" if column.kind == "passport" else column.name


def typed_build(spec: FileSpec) -> None:
    select = ["s.line"]
    for column in spec.columns:
        select.append(f"{typed_expression(column)} AS {typed_name(column)}")
        if has_raw(column):
            select.append(f"{trimmed(column.name)} AS {column.name}__raw")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{spec.typed_table}")
        cursor.execute(f"CREATE TEMP TABLE {spec.typed_table} AS SELECT {', '.join(select)} "
                       f"FROM {spec.table} s")
        cursor.execute(f"ANALYZE {spec.typed_table}")
