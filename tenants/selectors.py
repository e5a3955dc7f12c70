"""Reads on utilities."""

from __future__ import annotations

from django.db.models import QuerySet

from tenants.models import Utility


def utility_list() -> QuerySet[Utility]:
    return Utility.objects.exclude(schema_name="public").prefetch_related("domains")


def utility_get_by_slug(slug: str) -> Utility:
    return Utility.objects.exclude(schema_name="public").get(slug=slug)
