"""Fast schema provisioning: a migrated template schema is cloned for each new utility.

Replaying every tenant migration takes several seconds and grows with the project; cloning
the template schema (structure, sequences and the few rows migrations create, such as
content types, permissions and the django_migrations ledger) takes a fraction of that.
The template is rebuilt whenever it lags behind the migrations on disk.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_context, schema_exists

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


def schema_clone_from_template(schema_name: str) -> None:
    CloneSchema().clone_schema(template_schema_name(), schema_name, "DATA")
    connection.set_schema_to_public()


def schema_drop(schema_name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema_name}" CASCADE')
