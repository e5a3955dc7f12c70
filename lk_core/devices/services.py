"""Writes on device sessions: sign in a device, rotate its tokens, end sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lk_core.devices.models import DeviceSession

ACCESS_PREFIX = "lka_"
REFRESH_PREFIX = "lkr_"


class RevokeReason:
    LOGOUT = "logout"
    USER = "revoked_by_user"
    REPLACED = "replaced"  # the same device signed in again
    PASSWORD = "password_changed"  # noqa: S105 - a reason, not a secret
    REUSE = "refresh_reused"


@dataclass(frozen=True)
class IssuedTokens:
    session: DeviceSession
    access: str
    refresh: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)  # 256 bits


def _access_ttl() -> timedelta:
    return timedelta(seconds=settings.API_ACCESS_TOKEN_SECONDS)


def _refresh_ttl() -> timedelta:
    return timedelta(seconds=settings.API_REFRESH_TOKEN_SECONDS)


def device_session_create(*, user, device_name: str) -> IssuedTokens:
    """Sign a device in. A device that signs in again under the same name replaces its
    previous session, so each named device holds one token pair."""
    device_name = device_name.strip()
    now = timezone.now()
    access, refresh = _new_token(ACCESS_PREFIX), _new_token(REFRESH_PREFIX)
    with transaction.atomic():
        DeviceSession.objects.filter(user=user, device_name=device_name,
                                     revoked_at__isnull=True).update(
            revoked_at=now, revoked_reason=RevokeReason.REPLACED)
        session = DeviceSession.objects.create(
            user=user, device_name=device_name, access_hash=token_hash(access),
            access_expires_at=now + _access_ttl(), refresh_hash=token_hash(refresh),
            refresh_expires_at=now + _refresh_ttl(), last_used_at=now)
    return IssuedTokens(session=session, access=access, refresh=refresh)


def _refused() -> ValidationError:
    return ValidationError({"refresh": _("The refresh token is invalid or expired. Sign in "
                                         "again.")}, code="invalid_refresh")


def device_session_refresh(*, refresh: str) -> IssuedTokens:
    """Rotate: a valid refresh token buys a new access token AND a new refresh token; the
    old refresh token stops working. Reusing a rotated one ends the session."""
    digest = token_hash(refresh)
    now = timezone.now()
    with transaction.atomic():
        session = (DeviceSession.objects.select_for_update(of=("self",))
                   .filter(refresh_hash=digest).select_related("user").first())
        if session is not None and _refreshable(session, now):
            access, new_refresh = _rotate(session, digest, now)
    if session is None:
        _revoke_reused(digest, now)  # committed: the refusal below must not undo it
    if session is None or not _refreshable(session, now):
        raise _refused()
    return IssuedTokens(session=session, access=access, refresh=new_refresh)


def _refreshable(session: DeviceSession, now: datetime) -> bool:
    return (session.revoked_at is None and session.refresh_expires_at > now
            and session.user.is_active)


def _rotate(session: DeviceSession, digest: str, now: datetime) -> tuple[str, str]:
    access, refresh = _new_token(ACCESS_PREFIX), _new_token(REFRESH_PREFIX)
    session.previous_refresh_hash = digest
    session.access_hash = token_hash(access)
    session.access_expires_at = now + _access_ttl()
    session.refresh_hash = token_hash(refresh)
    session.refresh_expires_at = now + _refresh_ttl()
    session.last_used_at = now
    session.save(update_fields=["previous_refresh_hash", "access_hash", "access_expires_at",
                                "refresh_hash", "refresh_expires_at", "last_used_at"])
    return access, refresh


def _revoke_reused(digest: str, now: datetime) -> None:
    DeviceSession.objects.filter(previous_refresh_hash=digest, revoked_at__isnull=True).update(
        revoked_at=now, revoked_reason=RevokeReason.REUSE)


def device_session_revoke(*, session: DeviceSession, reason: str = RevokeReason.USER) -> None:
    if session.revoked_at is None:
        session.revoked_at = timezone.now()
        session.revoked_reason = reason
        session.save(update_fields=["revoked_at", "revoked_reason"])


def device_sessions_revoke_all(*, user, reason: str = RevokeReason.PASSWORD) -> int:
    """End every device session of a user (password changed or reset). Returns how many."""
    return DeviceSession.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason)


def device_session_touch(*, session: DeviceSession) -> None:
    """Record use at most once a minute, so reads do not turn into a write each."""
    now = timezone.now()
    if session.last_used_at is None or now - session.last_used_at > timedelta(minutes=1):
        DeviceSession.objects.filter(pk=session.pk).update(last_used_at=now)


def device_sessions_end_hook(*, user, except_session_key: str | None = None, **_kwargs) -> None:
    """IDENTITY_SESSION_END_HOOKS entry: password change, reset or blocking ends every
    device session too (a browser session key never names a device)."""
    device_sessions_revoke_all(user=user)


ENDED_SESSION_KEPT = timedelta(days=30)  # ended device sessions stay visible this long


def device_sessions_purge(*, now: datetime | None = None) -> int:
    """Housekeeping (daily, lk_core.devices.periodic): delete device sessions that ended -
    revoked, or their refresh token expired - more than ENDED_SESSION_KEPT ago. Their
    tokens are worthless already; reuse detection only ever looks at live sessions."""
    cutoff = (now or timezone.now()) - ENDED_SESSION_KEPT
    ended = DeviceSession.objects.filter(Q(revoked_at__lt=cutoff)
                                         | Q(refresh_expires_at__lt=cutoff))
    return ended.delete()[0]
