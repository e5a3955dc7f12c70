"""Data versions: what cached portal reads are keyed by. Every writer of data a resident
sees calls one of these in the same transaction as its change, so a cached read can never
outlive the data it was built from (the key changes with the version; nothing is deleted).

- account_data_changed: one account's payments, readings, appeals.
- tenant_data_changed: many accounts at once (billing import, notices, appeal categories,
  rules); one row per utility, so it costs one UPDATE however many accounts changed."""

from __future__ import annotations

from django.db.models import F

from lk_core.billing.models import Account, DataVersion


def account_data_changed(*, account_id: int) -> None:
    Account.objects.filter(pk=account_id).update(data_version=F("data_version") + 1)


def tenant_data_changed() -> None:
    updated = DataVersion.objects.filter(pk=1).update(version=F("version") + 1)
    if not updated:
        DataVersion.objects.get_or_create(pk=1, defaults={"version": 1})


class TenantDataAdminMixin:
    """Rows every dashboard shows: a change makes the cached dashboards stale."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        tenant_data_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        tenant_data_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        tenant_data_changed()
