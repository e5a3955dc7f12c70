"""Periodic jobs of identity (lk_platform.scheduler fans them out per utility)."""

from datetime import timedelta

from lk_core.identity.tasks import clear_expired_sessions
from lk_platform.scheduler import register

# Expired Django sessions and the login records that outlived them (housekeeping).
register("identity.clear_sessions", clear_expired_sessions, every=timedelta(days=1))
