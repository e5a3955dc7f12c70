"""Reads on utilities."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, QuerySet

from tenants.models import Utility


def utility_list() -> QuerySet[Utility]:
    return Utility.objects.exclude(schema_name="public").prefetch_related("domains")


def utility_get_by_slug(slug: str) -> Utility:
    return Utility.objects.exclude(schema_name="public").get(slug=slug)


@dataclass(frozen=True)
class UtilityFigures:
    """Counts only: the operator console never shows a resident's personal data."""

    accounts: int
    residents: int
    staff: int


FIGURES_SQL = """SELECT (SELECT count(*) FROM {schema}.billing_account),
       (SELECT count(*) FROM {schema}.users_user WHERE kind = 'resident' AND is_active),
       (SELECT count(*) FROM {schema}.users_user WHERE kind = 'staff' AND is_active)"""


def utility_figures_get(utility: Utility) -> UtilityFigures:
    """One small query inside one tenant's schema: no cross-schema join, so it keeps working
    when schemas live on different nodes (docs/consoles.md)."""
    sql = FIGURES_SQL.format(schema=connection.ops.quote_name(utility.schema_name))
    with connection.cursor() as cursor:
        cursor.execute(sql)
        accounts, residents, staff = cursor.fetchone()
    return UtilityFigures(accounts=accounts, residents=residents, staff=staff)


def utility_state_counts() -> dict[str, int]:
    rows = utility_list().order_by().values("state").annotate(n=Count("id"))
    return {row["state"]: row["n"] for row in rows}
