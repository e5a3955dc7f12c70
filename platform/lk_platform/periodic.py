"""Periodic jobs of the platform itself (run once, in the public schema)."""

from datetime import timedelta

from lk_platform.housekeeping import clear_expired_public_sessions
from lk_platform.scheduler import register

register("platform.clear_sessions", clear_expired_public_sessions, every=timedelta(days=1))
