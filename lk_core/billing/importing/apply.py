"""Apply a checked package with set-based SQL: one INSERT ... ON CONFLICT DO UPDATE per
file that touches only rows that are new or differ, so an unchanged package writes nothing.
Counts per file: created, updated, unchanged (and charge lines deleted from a replaced set,
readings kept because a resident submitted them in the portal)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from lk_core.billing.importing.spec import (
    ACCOUNTS,
    CHARGES,
    INVOICES,
    METERS,
    PAYMENTS,
    READINGS,
    SERVICES,
)

CHARGES_SOURCE = "lk_stg_charges_typed"


@dataclass(frozen=True)
class Target:
    table: str
    keys: tuple[str, ...]
    values: tuple[str, ...]
    source_sql: str  # yields keys + values under those names
    on_insert: tuple[tuple[str, str], ...] = ()  # extra columns set only when created
    on_update: tuple[tuple[str, str], ...] = ()  # extra columns set on every write
    protected: str = ""  # a condition on existing row `t` that forbids overwriting it


def upsert(target: Target) -> dict[str, int]:
    keys, values = target.keys, target.values
    join = " AND ".join(f"t.{k} = src.{k}" for k in keys)
    old = ", ".join(f"t.{c}" for c in values)
    new = ", ".join(f"src.{c}" for c in values)
    allowed = f"AND NOT ({target.protected})" if target.protected else ""
    extra = (*target.on_insert, *target.on_update)
    insert_columns = ", ".join((*keys, *values, *(c for c, _e in extra)))
    insert_values = ", ".join((*keys, *values, *(e for _c, e in extra)))
    sets = ", ".join([*(f"{c} = EXCLUDED.{c}" for c in values),
                      *(f"{c} = {e}" for c, e in target.on_update)])
    excluded = ", ".join(f"EXCLUDED.{c}" for c in values)
    current = ", ".join(f"{target.table}.{c}" for c in values)
    guard = (f"AND NOT ({target.protected.replace('t.', f'{target.table}.')})"
             if target.protected else "")
    protected_count = (f"(SELECT count(*) FROM src JOIN {target.table} t ON {join} "
                       f"WHERE {target.protected})" if target.protected else "0")
    sql = f"""
        WITH src AS ({target.source_sql}),
        changed AS (
            SELECT src.* FROM src LEFT JOIN {target.table} t ON {join}
            WHERE t.id IS NULL OR (({old}) IS DISTINCT FROM ({new}) {allowed})),
        up AS (
            INSERT INTO {target.table} ({insert_columns})
            SELECT {insert_values} FROM changed
            ON CONFLICT ({", ".join(keys)}) DO UPDATE SET {sets}
            WHERE ({current}) IS DISTINCT FROM ({excluded}) {guard}
            RETURNING (xmax = 0) AS created)
        SELECT (SELECT count(*) FROM src), count(*) FILTER (WHERE created),
               count(*) FILTER (WHERE NOT created), {protected_count}
        FROM up"""
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows, created, updated, protected = cursor.fetchone()
    counts = {"rows": rows, "created": created, "updated": updated,
              "unchanged": rows - created - updated - protected}
    if target.protected:
        counts["kept_resident"] = protected
    return counts


def _account_join(alias: str = "a") -> str:
    return f"JOIN billing_account {alias} ON {alias}.number = s.account_number"


def _service_join(alias: str = "sv") -> str:
    return f"JOIN billing_service {alias} ON {alias}.code = s.service_code"


def services_target() -> Target:
    return Target("billing_service", ("code",), ("name", "unit"), f"""
        SELECT s.code, s.name, coalesce(s.unit, '') AS unit FROM {SERVICES.typed_table} s""")


def accounts_target() -> Target:
    return Target(
        "billing_account", ("number",),
        ("address", "holder_name", "area_m2", "residents_count", "email", "phone",
         "passport_hash", "status"), f"""
        SELECT s.account_number AS number, s.address,
               coalesce(s.holder_name, '') AS holder_name, s.area_m2::numeric(10, 2) AS area_m2,
               s.residents::smallint AS residents_count, coalesce(s.email, '') AS email,
               coalesce(s.phone, '') AS phone, coalesce(s.passport_hash, '') AS passport_hash,
               coalesce(s.status, 'open') AS status
        FROM {ACCOUNTS.typed_table} s""",
        on_insert=(("created_at", "now()"),), on_update=(("updated_at", "now()"),))


def invoices_target() -> Target:
    money = [c.name for c in INVOICES.columns if c.kind == "decimal"]
    return Target(
        "billing_invoice", ("account_id", "period"), (*money, "due_date"), f"""
        SELECT a.id AS account_id, s.period,
               {", ".join(f"s.{m}::numeric(14, 2) AS {m}" for m in money)}, s.due_date
        FROM {INVOICES.typed_table} s {_account_join()}""",
        on_update=(("updated_at", "now()"),))


def charges_stage_typed() -> None:
    """Resolve charge lines to ids once; the upsert and the set replacement both use it."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{CHARGES_SOURCE}")
        cursor.execute(f"""
            CREATE TEMP TABLE {CHARGES_SOURCE} AS
            SELECT a.id AS account_id, s.period, sv.id AS service_id,
                   s.quantity::numeric(16, 4) AS quantity, s.tariff::numeric(14, 4) AS tariff,
                   s.amount::numeric(14, 2) AS amount,
                   s.recalculation::numeric(14, 2) AS recalculation
            FROM {CHARGES.typed_table} s {_account_join()} {_service_join()}""")
        cursor.execute(f"ANALYZE {CHARGES_SOURCE}")


def charges_target() -> Target:
    return Target("billing_chargeline", ("account_id", "period", "service_id"),
                  ("quantity", "tariff", "amount", "recalculation"),
                  f"SELECT * FROM {CHARGES_SOURCE}")


def charges_replace_sets() -> int:
    """Charge lines of an invoice in the package that the package no longer lists."""
    with connection.cursor() as cursor:
        cursor.execute(f"""
            DELETE FROM billing_chargeline c
            USING (SELECT DISTINCT a.id AS account_id, s.period
                   FROM {INVOICES.typed_table} s {_account_join()}) inv
            WHERE c.account_id = inv.account_id AND c.period = inv.period
              AND NOT EXISTS (SELECT 1 FROM {CHARGES_SOURCE} n
                              WHERE n.account_id = c.account_id AND n.period = c.period
                                AND n.service_id = c.service_id)""")
        return cursor.rowcount


def meters_target() -> Target:
    return Target(
        "meters_meter", ("meter_id",),
        ("account_id", "service_id", "serial_number", "zones", "digits", "installed_on",
         "verified_until", "removed_on"), f"""
        SELECT s.meter_id, a.id AS account_id, sv.id AS service_id, s.serial_number,
               s.zones::smallint AS zones, s.digits::smallint AS digits, s.installed_on,
               s.verified_until, s.removed_on
        FROM {METERS.typed_table} s {_account_join()} {_service_join()}""")


def readings_target() -> Target:
    return Target(
        "meters_reading", ("meter_id", "taken_on", "source"), ("t1", "t2", "t3"), f"""
        SELECT m.id AS meter_id, s.taken_on, s.source, s.t1::numeric(16, 4) AS t1,
               s.t2::numeric(16, 4) AS t2, s.t3::numeric(16, 4) AS t3
        FROM {READINGS.typed_table} s JOIN meters_meter m ON m.meter_id = s.meter_id""",
        on_insert=(("created_at", "now()"), ("channel", "''")),
        protected="t.submitted_at IS NOT NULL OR t.submitted_by_id IS NOT NULL")


def payments_target() -> Target:
    return Target(
        "billing_payment", ("external_id",), ("account_id", "paid_on", "amount", "channel"),
        f"""
        SELECT s.payment_id AS external_id, a.id AS account_id, s.paid_on,
               s.amount::numeric(14, 2) AS amount, s.channel
        FROM {PAYMENTS.typed_table} s {_account_join()}""")


def package_apply(present: set[str]) -> dict[str, dict[str, int]]:
    """Upsert every file the package holds, in reference order."""
    counts: dict[str, dict[str, int]] = {}
    steps = [(SERVICES, services_target), (ACCOUNTS, accounts_target),
             (INVOICES, invoices_target), (CHARGES, None), (METERS, meters_target),
             (READINGS, readings_target), (PAYMENTS, payments_target)]
    for spec, target in steps:
        # Absent files have empty staging tables; an invoice without its charges file
        # still replaces its (now empty) set of charge lines.
        counts[spec.name] = charges_apply() if spec is CHARGES else upsert(target())
    return {name: c for name, c in counts.items()
            if name in present or c.get("deleted")}


def charges_apply() -> dict[str, int]:
    charges_stage_typed()
    counts = upsert(charges_target())
    counts["deleted"] = charges_replace_sets()
    return counts
