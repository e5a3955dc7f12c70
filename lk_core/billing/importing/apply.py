"""Apply a checked package with set-based SQL: per file, one UPDATE of the rows that differ
and one INSERT of the new ones; charge lines are replaced per invoice, and only for the
invoices whose set of lines changed. An unchanged package writes nothing.
Counts per file: created, updated, unchanged (and charge lines deleted from a replaced set,
readings kept because a resident submitted them in the portal)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction

from lk_core.billing.importing.checks import CHARGE_SETS_TABLE, EMPTY_SET_DIGEST
from lk_core.billing.importing.spec import (
    ACCOUNTS,
    CHARGES,
    INVOICES,
    METERS,
    PAYMENTS,
    READINGS,
    SERVICES,
)

CHANGED_SETS = "lk_stg_changed_sets"  # (account_id, period) of the sets to rewrite
OLD_LINES = "lk_stg_old_lines"  # the lines those sets held, to count what changed
TEMPORARY_TABLES = (CHANGED_SETS, OLD_LINES)


@dataclass(frozen=True)
class Target:
    table: str
    keys: tuple[str, ...]
    values: tuple[str, ...]
    source_sql: str  # yields keys + values under those names
    rows_sql: str  # counts the source rows (a typed staging table)
    on_insert: tuple[tuple[str, str], ...] = ()  # extra columns set only when created
    on_update: tuple[tuple[str, str], ...] = ()  # extra columns set on every write
    protected: str = ""  # a condition on existing row `t` that forbids overwriting it


def upsert(target: Target) -> dict[str, int]:
    """UPDATE the rows that differ, then INSERT the missing ones in key order (sequential
    index inserts). Two plain statements are cheaper than INSERT ... ON CONFLICT, whose
    speculative insertion costs on every row; only if a row with a new key appeared
    meanwhile (a resident's reading: residents do not take the import lock) does the
    INSERT run again with ON CONFLICT DO NOTHING."""
    with connection.cursor() as cursor:
        cursor.execute(target.rows_sql)
        rows = cursor.fetchone()[0]
        cursor.execute(_update_sql(target))
        updated = cursor.rowcount
        try:
            with transaction.atomic():
                cursor.execute(_insert_sql(target))
        except IntegrityError:
            cursor.execute(_insert_sql(target) + " ON CONFLICT DO NOTHING")
        created = cursor.rowcount
        protected = 0
        if target.protected:
            cursor.execute(f"SELECT count(*) FROM ({target.source_sql}) src "
                           f"JOIN {target.table} t ON {_join(target)} "
                           f"WHERE {target.protected}")
            protected = cursor.fetchone()[0]
    counts = {"rows": rows, "created": created, "updated": updated,
              "unchanged": rows - created - updated - protected}
    if target.protected:
        counts["kept_resident"] = protected
    return counts


def _join(target: Target) -> str:
    return " AND ".join(f"t.{k} = src.{k}" for k in target.keys)


def _update_sql(target: Target) -> str:
    old = ", ".join(f"t.{c}" for c in target.values)
    new = ", ".join(f"src.{c}" for c in target.values)
    sets = ", ".join([*(f"{c} = src.{c}" for c in target.values),
                      *(f"{c} = {e}" for c, e in target.on_update)])
    allowed = f"AND NOT ({target.protected})" if target.protected else ""
    return (f"UPDATE {target.table} t SET {sets} FROM ({target.source_sql}) src "
            f"WHERE {_join(target)} AND ({old}) IS DISTINCT FROM ({new}) {allowed}")


def _insert_sql(target: Target) -> str:
    extra = (*target.on_insert, *target.on_update)
    columns = ", ".join((*target.keys, *target.values, *(c for c, _e in extra)))
    values = ", ".join((*(f"src.{c}" for c in (*target.keys, *target.values)),
                        *(e for _c, e in extra)))
    return (f"INSERT INTO {target.table} ({columns}) SELECT {values} "
            f"FROM ({target.source_sql}) src WHERE NOT EXISTS (SELECT 1 FROM "
            f"{target.table} t WHERE {_join(target)}) "
            f"ORDER BY {', '.join(f'src.{k}' for k in target.keys)}")


def _count(spec) -> str:
    return f"SELECT count(*) FROM {spec.typed_table}"


def _account_join(alias: str = "a") -> str:
    return f"JOIN billing_account {alias} ON {alias}.number = s.account_number"


def _service_join(alias: str = "sv") -> str:
    return f"JOIN billing_service {alias} ON {alias}.code = s.service_code"


def services_target() -> Target:
    return Target("billing_service", ("code",), ("name", "unit"), f"""
        SELECT s.code, s.name, coalesce(s.unit, '') AS unit FROM {SERVICES.typed_table} s""",
                  _count(SERVICES))


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
        FROM {ACCOUNTS.typed_table} s""", _count(ACCOUNTS),
        on_insert=(("created_at", "now()"),), on_update=(("updated_at", "now()"),))


def invoices_target() -> Target:
    money = [c.name for c in INVOICES.columns if c.kind == "decimal"]
    return Target(
        "billing_invoice", ("account_id", "period"), (*money, "due_date", "lines_digest"),
        f"""
        SELECT a.id AS account_id, s.period,
               {", ".join(f"s.{m}::numeric(14, 2) AS {m}" for m in money)}, s.due_date,
               coalesce(g.digest, '{EMPTY_SET_DIGEST}') AS lines_digest
        FROM {INVOICES.typed_table} s {_account_join()}
        LEFT JOIN {CHARGE_SETS_TABLE} g
          ON g.account_number = s.account_number AND g.period = s.period""",
        _count(INVOICES), on_update=(("updated_at", "now()"),))


def changed_sets_find() -> tuple[int, int]:
    """Before the invoices are written: the invoices of the package whose set of charge
    lines differs from what the last import wrote (new invoices included). Returns the
    number of those and of all the package's invoices."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{CHANGED_SETS}")
        cursor.execute(f"""
            CREATE TEMP TABLE {CHANGED_SETS} AS
            SELECT a.id AS account_id, s.period
            FROM {INVOICES.typed_table} s {_account_join()}
            LEFT JOIN {CHARGE_SETS_TABLE} g
              ON g.account_number = s.account_number AND g.period = s.period
            LEFT JOIN billing_invoice i ON i.account_id = a.id AND i.period = s.period
            WHERE i.lines_digest IS DISTINCT FROM coalesce(g.digest, '{EMPTY_SET_DIGEST}')""")
        changed = cursor.rowcount
        cursor.execute(f"ANALYZE {CHANGED_SETS}")
        cursor.execute(_count(INVOICES))
        return changed, cursor.fetchone()[0]


def charges_source() -> str:
    """Charge lines resolved to ids."""
    return f"""
        SELECT a.id AS account_id, s.period, sv.id AS service_id,
               s.quantity::numeric(16, 4) AS quantity, s.tariff::numeric(14, 4) AS tariff,
               s.amount::numeric(14, 2) AS amount,
               s.recalculation::numeric(14, 2) AS recalculation
        FROM {CHARGES.typed_table} s {_account_join()} {_service_join()}"""


def charges_apply(*, changed: int, invoices: int) -> dict[str, int]:
    """Replace the charge lines of the changed sets only: delete what they held, insert
    what the package lists (in key order, for sequential index inserts). Lines of an
    unchanged set are not touched at all, so an unchanged package costs no write and no
    join with the charge lines. Counts per line: a line whose key the set held before
    with other figures is updated, one it did not hold is created."""
    columns = "account_id, period, service_id, quantity, tariff, amount, recalculation"
    keys = "account_id, period, service_id"
    with connection.cursor() as cursor:
        cursor.execute(_count(CHARGES))
        rows = cursor.fetchone()[0]
        if not changed:
            return {"rows": rows, "created": 0, "updated": 0, "unchanged": rows, "deleted": 0}
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{OLD_LINES}")
        cursor.execute(f"CREATE TEMP TABLE {OLD_LINES} AS SELECT {columns} "
                       "FROM billing_chargeline WITH NO DATA")
        cursor.execute(f"""
            WITH gone AS (DELETE FROM billing_chargeline c USING {CHANGED_SETS} x
                          WHERE c.account_id = x.account_id AND c.period = x.period
                          RETURNING {", ".join(f"c.{c}" for c in columns.split(", "))})
            INSERT INTO {OLD_LINES} SELECT * FROM gone""")
        old = cursor.rowcount
        # Every set changed (a first import): no need to pick the lines of changed sets.
        only_changed = (f"JOIN {CHANGED_SETS} x ON x.account_id = src.account_id "
                        "AND x.period = src.period" if changed < invoices else "")
        cursor.execute(f"INSERT INTO billing_chargeline ({columns}) "
                       f"SELECT {', '.join(f'src.{c}' for c in columns.split(', '))} "
                       f"FROM ({charges_source()}) src {only_changed} "
                       f"ORDER BY {', '.join(f'src.{k}' for k in keys.split(', '))}")
        inserted = cursor.rowcount
        created, updated, deleted = inserted, 0, 0
        if old:
            values = ("(o.quantity, o.tariff, o.amount, o.recalculation) IS DISTINCT FROM "
                      "(n.quantity, n.tariff, n.amount, n.recalculation)")
            cursor.execute(f"""
                SELECT count(*) FILTER (WHERE o.account_id IS NULL),
                       count(*) FILTER (WHERE n.account_id IS NULL),
                       count(*) FILTER (WHERE o.account_id IS NOT NULL
                                          AND n.account_id IS NOT NULL AND {values})
                FROM {OLD_LINES} o FULL JOIN (
                    SELECT c.* FROM billing_chargeline c JOIN {CHANGED_SETS} x
                      ON x.account_id = c.account_id AND x.period = c.period) n
                  USING ({keys})""")
            created, deleted, updated = cursor.fetchone()
    return {"rows": rows, "created": created, "updated": updated,
            "unchanged": rows - created - updated, "deleted": deleted}


def meters_target() -> Target:
    return Target(
        "meters_meter", ("meter_id",),
        ("account_id", "service_id", "serial_number", "zones", "digits", "installed_on",
         "verified_until", "removed_on"), f"""
        SELECT s.meter_id, a.id AS account_id, sv.id AS service_id, s.serial_number,
               s.zones::smallint AS zones, s.digits::smallint AS digits, s.installed_on,
               s.verified_until, s.removed_on
        FROM {METERS.typed_table} s {_account_join()} {_service_join()}""", _count(METERS))


def readings_target() -> Target:
    return Target(
        "meters_reading", ("meter_id", "taken_on", "source"), ("t1", "t2", "t3"), f"""
        SELECT m.id AS meter_id, s.taken_on, s.source, s.t1::numeric(16, 4) AS t1,
               s.t2::numeric(16, 4) AS t2, s.t3::numeric(16, 4) AS t3
        FROM {READINGS.typed_table} s JOIN meters_meter m ON m.meter_id = s.meter_id""",
        _count(READINGS), on_insert=(("created_at", "now()"), ("channel", "''")),
        protected="t.submitted_at IS NOT NULL OR t.submitted_by_id IS NOT NULL")


def payments_target() -> Target:
    return Target(
        "billing_payment", ("external_id",), ("account_id", "paid_on", "amount", "channel"),
        f"""
        SELECT s.payment_id AS external_id, a.id AS account_id, s.paid_on,
               s.amount::numeric(14, 2) AS amount, s.channel
        FROM {PAYMENTS.typed_table} s {_account_join()}""", _count(PAYMENTS))


def package_apply(present: set[str]) -> dict[str, dict[str, int]]:
    """Upsert every file the package holds, in reference order."""
    counts = {SERVICES.name: upsert(services_target()),
              ACCOUNTS.name: upsert(accounts_target())}
    changed, invoices = changed_sets_find()
    counts[INVOICES.name] = upsert(invoices_target())
    # An invoice listed without its charges file still replaces its (now empty) set.
    counts[CHARGES.name] = charges_apply(changed=changed, invoices=invoices)
    for spec, target in ((METERS, meters_target), (READINGS, readings_target),
                         (PAYMENTS, payments_target)):
        counts[spec.name] = upsert(target())
    return {name: c for name, c in counts.items()
            if name in present or c.get("deleted")}
