"""Provisioning a utility: our template copy vs. replaying every migration vs.
django-tenants' clone_schema, at 1 tenant and after 50 more."""

from __future__ import annotations

import statistics
import time

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.clone import CloneSchema

from tenants.models import Utility
from tenants.services import utility_create, utility_delete
from tests.bench.report import write_section

pytestmark = pytest.mark.bench
SCRATCH = [f"bench_migrate_{i}" for i in range(3)] + [f"bench_clone_{i}" for i in range(6)]


def _onboard(slug: str) -> float:
    started = time.perf_counter()
    utility_create(slug=slug, name=slug, actor="bench", staff_email=f"admin@{slug}.test",
                   send_staff_email=False)
    return time.perf_counter() - started


def _migrate_from_scratch(schema: str) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema}"')
    call_command("migrate_schemas", schema_name=schema, tenant=True, interactive=False,
                 verbosity=0)
    connection.set_schema_to_public()
    return time.perf_counter() - started


def _django_tenants_clone(schema: str) -> float:
    started = time.perf_counter()
    with transaction.atomic():
        CloneSchema().clone_schema("utility_template", schema, "DATA")
    return time.perf_counter() - started


def test_provisioning(django_db_setup, django_db_blocker):
    # Each onboarding commits, as it does for an operator; the benchmark cleans up after.
    with django_db_blocker.unblock():
        try:
            _measure()
        finally:
            _clean_up()


def _clean_up():
    for utility in Utility.objects.filter(slug__startswith="bench-"):
        utility_delete(utility=utility, actor="bench")
    with connection.cursor() as cursor:
        for schema in SCRATCH:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _measure():
    _onboard("bench-warmup")  # the template is built on first use
    tenants_before = Utility.objects.count()
    replay = statistics.median(_migrate_from_scratch(s) for s in SCRATCH[:3])
    clone_few = statistics.median(_django_tenants_clone(s) for s in SCRATCH[3:6])
    ours_few = statistics.median(_onboard(f"bench-one-{i}") for i in range(3))
    started = time.perf_counter()
    fifty = [_onboard(f"bench-many-{i:02d}") for i in range(50)]
    fifty_total = time.perf_counter() - started
    clone_many = statistics.median(_django_tenants_clone(s) for s in SCRATCH[6:9])
    tenants_after = Utility.objects.count()
    first, last = statistics.mean(fifty[:5]), statistics.mean(fifty[-5:])
    p95 = sorted(fifty)[int(len(fifty) * 0.95) - 1]
    mean = statistics.mean(fifty)

    body = f"""
`utility_create` onboards a utility: the schema copied from the migrated template by
`tenants/schema_copy.py`, domains, the first staff user with a hashed one-time password,
and an audit row, in one transaction. Baselines from the same run: creating a schema and
replaying every tenant migration (django-tenants' default), and django-tenants'
`clone_schema` (pg-clone-schema), which only copies the schema and slows down as the
catalog grows.

| what | tenants present | time | vs. replaying migrations |
| --- | --- | --- | --- |
| replay all migrations into a new schema | {tenants_before} | {replay:.3f} s | 1.00 |
| django-tenants `clone_schema` (schema only) | {tenants_before} | {clone_few:.3f} s | {clone_few / replay:.2f} |
| django-tenants `clone_schema` (schema only) | {tenants_after} | {clone_many:.3f} s | {clone_many / replay:.2f} |
| **onboard 1 utility** (median of 3) | {tenants_before} | {ours_few:.3f} s | {ours_few / replay:.2f} |
| **onboard 50 utilities** one after another | {tenants_before}→{tenants_after} | {fifty_total:.1f} s total | |
| – per utility: mean / p95 | | {mean:.3f} s / {p95:.3f} s | {mean / replay:.2f} |
| – first 5 / last 5 of the 50 | | {first:.3f} s / {last:.3f} s | |

Target: under 3 s per utility, flat as tenants accumulate.
"""
    write_section("provisioning", "Tenant provisioning", body)
    assert max(fifty) < 3.0
    assert last < first * 2, "provisioning slows down as tenants accumulate"
