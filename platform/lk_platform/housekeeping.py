"""Housekeeping of the public schema (the platform host: operator console sessions).
Each utility's own schema is cleaned by its apps' jobs (lk_core.identity.periodic,
lk_core.devices.periodic)."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.utils import timezone

from lk_platform.tasks import task


def django_sessions_clear_expired() -> int:
    """Delete the expired Django sessions of the current schema (Django never does by
    itself); the number deleted (0 for a cache-backed store: the cache expires them)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        store.clear_expired()  # cache-backed: the cache expires them
        return 0
    return store.get_model_class().objects.filter(expire_date__lt=timezone.now()).delete()[0]


@task(platform_wide=True, queue_name="periodic", time_limit=600)
def clear_expired_public_sessions() -> int:
    return django_sessions_clear_expired()  # the task runs in `public`
