"""Counters that limit guessing: registration attempts, login failures, reset requests.

Why the cache and not django-axes: axes only watches `authenticate()`, while registration
proofs and reset requests need the same limits; the cache is already keyed per tenant
(django_tenants.cache.make_key), so the same account number at two utilities is two
counters, and `incr` is atomic in Redis. Windows are fixed and derived from `_now()` so
tests can move the clock.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    attempts: int  # allowed per window
    window: int  # seconds
    lockout: int  # seconds locked once the limit is reached


DEFAULT_LIMITS = {
    "register_account": Limit(5, 3600, 3600),
    "register_ip": Limit(20, 3600, 3600),
    "login_account": Limit(5, 900, 900),
    "login_ip": Limit(30, 900, 900),
    "staff_login": Limit(5, 900, 900),  # per staff username, on the staff console
    "reset_account": Limit(3, 3600, 3600),
    "reset_ip": Limit(20, 3600, 3600),
}


def _now() -> float:
    return time.time()


def limit_for(scope: str) -> Limit:
    override = getattr(settings, "IDENTITY_RATE_LIMITS", {}).get(scope)
    return Limit(*override) if override else DEFAULT_LIMITS[scope]


def _ident(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def _lock_key(scope: str, value: str) -> str:
    return f"identity:lock:{scope}:{_ident(value)}"


def retry_after(scope: str, value: str) -> int:
    """Seconds until `value` may try again in `scope`; 0 when it is not locked."""
    until = cache.get(_lock_key(scope, value))
    if until is None:
        return 0
    return max(0, math.ceil(until - _now()))


def hit(scope: str, value: str) -> bool:
    """Count one attempt; True when this attempt reached the limit and locked `value`."""
    limit = limit_for(scope)
    now = _now()
    window_index = int(now // limit.window)
    key = f"identity:count:{scope}:{_ident(value)}:{window_index}"
    cache.add(key, 0, timeout=limit.window + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=limit.window + 60)
        count = 1
    if count < limit.attempts:
        return False
    cache.set(_lock_key(scope, value), now + limit.lockout, timeout=limit.lockout + 60)
    cache.delete(key)
    return True


def reset(scope: str, value: str) -> None:
    """Forget a lock (e.g. staff unblocking, a successful password reset)."""
    cache.delete(_lock_key(scope, value))
