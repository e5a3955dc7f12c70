"""One import at a time per tenant: a transaction-scoped PostgreSQL advisory lock keyed by
the tenant's schema. A second import waits up to `wait_seconds`, then is refused."""

from __future__ import annotations

import zlib

from django.db import DatabaseError, connection
from django.utils.translation import gettext as _

LOCK_NAMESPACE = 0x4C4B4249  # "LKBI": billing imports


class ImportBusy(Exception):
    """Another import for this tenant holds the lock."""

    def __init__(self):
        super().__init__(_("Another billing import for this utility is running; try again "
                           "when it has finished."))


def _schema_key() -> int:
    key = zlib.crc32(connection.schema_name.encode())
    return key - (1 << 32) if key >= (1 << 31) else key  # int4 is signed


def import_lock_acquire(*, wait_seconds: float) -> None:
    """Take the tenant's import lock for the rest of the current transaction."""
    key = [LOCK_NAMESPACE, _schema_key()]
    with connection.cursor() as cursor:
        if wait_seconds <= 0:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", key)
            if not cursor.fetchone()[0]:
                raise ImportBusy
            return
        cursor.execute("SELECT current_setting('lock_timeout')")
        previous = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('lock_timeout', %s, true)",
                       [f"{int(wait_seconds * 1000)}ms"])
        try:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", key)
        except DatabaseError as exc:
            if getattr(exc.__cause__, "sqlstate", None) == "55P03":  # lock_not_available
                raise ImportBusy from exc
            raise
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


def import_lock_free() -> bool:
    """Whether no live session holds the tenant's import lock. Takes it if it is free (for
    the rest of the current transaction, so no import starts meanwhile)."""
    try:
        import_lock_acquire(wait_seconds=0)
    except ImportBusy:
        return False
    return True
