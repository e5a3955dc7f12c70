"""Copy a schema's structure and seed rows with a handful of set-based statements.

django-tenants' pg-clone-schema function walks the whole catalog and slows down as
tenants accumulate (about 0.3 s with ten schemas, over 2 s with fifty). This copier reads
the template's catalog once per process (tables, constraints, indexes and rows that
migrations left behind: content types, permissions, the migration ledger), then replays
that plan for each new schema. Names of constraints and indexes are kept exactly, so later
migrations that refer to them by name keep working. Objects it does not know how to copy
(views, functions, triggers, foreign sequences) make it refuse, so nothing is silently lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

# Every identifier below is a catalog name passed through quote_name (S608 is off here).

UNSUPPORTED_OBJECTS_SQL = """
SELECT 'relation ' || c.relname || ' of kind ' || c.relkind::text FROM pg_class c
 WHERE c.relnamespace = %(ns)s::regnamespace AND c.relkind NOT IN ('r', 'i', 'S')
UNION ALL
SELECT 'sequence ' || c.relname FROM pg_class c
 WHERE c.relnamespace = %(ns)s::regnamespace AND c.relkind = 'S' AND NOT EXISTS (
   SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'i')
UNION ALL
SELECT 'function ' || p.proname FROM pg_proc p WHERE p.pronamespace = %(ns)s::regnamespace
UNION ALL
SELECT 'trigger ' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = %(ns)s::regnamespace AND NOT t.tgisinternal
"""
TABLES_SQL = """
SELECT c.relname FROM pg_class c
 WHERE c.relnamespace = %(ns)s::regnamespace AND c.relkind = 'r' ORDER BY c.relname
"""
# Primary keys, unique and exclusion constraints first, then foreign keys (which need them).
CONSTRAINTS_SQL = """
SELECT c.relname, k.conname, pg_get_constraintdef(k.oid), k.contype FROM pg_constraint k
  JOIN pg_class c ON c.oid = k.conrelid
 WHERE c.relnamespace = %(ns)s::regnamespace AND k.contype IN ('p', 'u', 'x', 'f')
 ORDER BY k.contype = 'f', c.relname, k.conname
"""
INDEXES_SQL = """
SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
 WHERE c.relnamespace = %(ns)s::regnamespace AND NOT EXISTS (
   SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
 ORDER BY 1
"""
IDENTITY_SQL = """
SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = %(ns)s::regnamespace AND a.attidentity <> '' AND c.relkind = 'r'
"""


class SchemaCopyError(RuntimeError):
    pass


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


@dataclass
class CopyPlan:
    source: str
    tables: list[str] = field(default_factory=list)
    constraints: list[tuple[str, str, str]] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)
    seeded: list[str] = field(default_factory=list)
    identities: list[tuple[str, str]] = field(default_factory=list)


def plan_for(source: str) -> CopyPlan:
    params = {"ns": _quote(source)}
    plan = CopyPlan(source=source)
    with connection.cursor() as cursor:
        cursor.execute(UNSUPPORTED_OBJECTS_SQL, params)
        unsupported = [row[0] for row in cursor.fetchall()]
        if unsupported:
            raise SchemaCopyError(f"cannot copy {source}: {', '.join(unsupported)}")
        cursor.execute(TABLES_SQL, params)
        plan.tables = [row[0] for row in cursor.fetchall()]
        cursor.execute(CONSTRAINTS_SQL, params)
        plan.constraints = [(table, name, definition)
                            for table, name, definition, _kind in cursor.fetchall()]
        cursor.execute(INDEXES_SQL, params)
        plan.indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(IDENTITY_SQL, params)
        plan.identities = list(cursor.fetchall())
        for table in plan.tables:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_quote(source)}.{_quote(table)})")
            if cursor.fetchone()[0]:
                plan.seeded.append(table)
    return plan


def _requalify(definition: str, source: str, target: str) -> str:
    for old in (f"{_quote(source)}.", f"{source}."):
        definition = definition.replace(f" ON {old}", f" ON {_quote(target)}.")
        definition = definition.replace(f" ON ONLY {old}", f" ON ONLY {_quote(target)}.")
        definition = definition.replace(f"REFERENCES {old}", f"REFERENCES {_quote(target)}.")
    return definition


def copy_schema(plan: CopyPlan, target: str) -> None:
    """Create `target` as a copy of the plan's source schema. Runs in the caller's
    transaction: a failure leaves no schema behind."""
    src, dst = _quote(plan.source), _quote(target)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {dst}")
        for table in plan.tables:
            cursor.execute(
                f"CREATE TABLE {dst}.{_quote(table)} (LIKE {src}.{_quote(table)} "
                "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED "
                "INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)")
        for table in plan.seeded:
            cursor.execute(f"INSERT INTO {dst}.{_quote(table)} OVERRIDING SYSTEM VALUE "
                           f"SELECT * FROM {src}.{_quote(table)}")
        seeded = set(plan.seeded)
        for table, column in plan.identities:
            if table in seeded:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), "
                    f"(SELECT max({_quote(column)}) FROM {dst}.{_quote(table)}))",
                    [f"{dst}.{_quote(table)}", column])
        for table, name, definition in plan.constraints:
            cursor.execute(f"ALTER TABLE {dst}.{_quote(table)} ADD CONSTRAINT {_quote(name)} "
                           f"{_requalify(definition, plan.source, target)}")
        for definition in plan.indexes:
            cursor.execute(_requalify(definition, plan.source, target))
    connection.set_schema_to_public()
