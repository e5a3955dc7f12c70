"""Reads on device sessions."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from lk_core.devices.models import DeviceSession
from lk_core.devices.services import token_hash


def device_session_for_access_token(*, token: str) -> DeviceSession | None:
    """The live session an access token belongs to, or None (unknown, expired, revoked)."""
    return (DeviceSession.objects.select_related("user")
            .filter(access_hash=token_hash(token), revoked_at__isnull=True,
                    access_expires_at__gt=timezone.now()).first())


def device_sessions_for_user(*, user) -> QuerySet[DeviceSession]:
    """The user's devices that are still signed in (refresh token not yet expired)."""
    return DeviceSession.objects.filter(user=user, revoked_at__isnull=True,
                                        refresh_expires_at__gt=timezone.now())


def device_session_get_for_user(*, user, session_id: int) -> DeviceSession:
    """404 for missing and for someone else's session alike."""
    session = device_sessions_for_user(user=user).filter(pk=session_id).first()
    if session is None:
        raise Http404
    return session
