"""Readiness checks: the database, and the broker when one is configured."""

from __future__ import annotations

from django.conf import settings
from django.db import connection


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": exc.__class__.__name__}


def _broker(url: str) -> dict:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": exc.__class__.__name__}


def readiness() -> dict[str, dict]:
    checks = {"database": _database()}
    if settings.BROKER_URL:
        checks["broker"] = _broker(settings.BROKER_URL)
    return checks
