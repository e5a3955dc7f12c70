"""Fast schema provisioning: a migrated template schema is copied for each new utility.

Replaying every tenant migration grows with the project; copying the template schema
(structure, and the few rows migrations create: content types, permissions and the
django_migrations ledger) does not, and with tenants.schema_copy it does not grow with
the number of tenants either. The template is migrated whenever it lags behind the
migrations on disk.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_tenants.utils import schema_context, schema_exists

from tenants import schema_copy

logger = logging.getLogger(__name__)


def template_schema_name() -> str:
    return settings.TENANT_TEMPLATE_SCHEMA


def _template_is_current() -> bool:
    if not schema_exists(template_schema_name()):
        return False
    with schema_context(template_schema_name()):
        executor = MigrationExecutor(connection)
        targets = executor.loader.graph.leaf_nodes()
        return not executor.migration_plan(targets)


def template_ensure() -> None:
    """Create or migrate the template schema so that a clone of it is a current tenant."""
    if _template_is_current():
        return
    name = template_schema_name()
    logger.info("Building the tenant template schema %s", name)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{name}"')
    call_command("migrate_schemas", schema_name=name, tenant=True, interactive=False,
                 verbosity=0)
    connection.set_schema_to_public()



_plan_cache: dict[tuple, schema_copy.CopyPlan] = {}


def _template_version() -> tuple:
    with connection.cursor() as cursor:
        template = connection.ops.quote_name(template_schema_name())
        cursor.execute(f"SELECT count(*), max(id) FROM {template}.django_migrations")  # noqa: S608
        return tuple(cursor.fetchone())


def schema_clone_from_template(schema_name: str) -> None:
    """Copy the template into a new schema; the copy plan is read once per template
    version and process."""
    version = _template_version()
    if version not in _plan_cache:
        _plan_cache.clear()
        _plan_cache[version] = schema_copy.plan_for(template_schema_name())
    schema_copy.copy_schema(_plan_cache[version], schema_name)


def schema_drop(schema_name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema_name}" CASCADE')
