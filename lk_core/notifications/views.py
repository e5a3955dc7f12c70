"""The unsubscribe link from e-mails: works without logging in, on the utility's host.
GET shows a confirmation (mail scanners follow links; they must not unsubscribe anyone),
POST turns the kind off (a receipt's link turns paperless off instead) - also the RFC 8058
one-click POST from mail clients."""

from __future__ import annotations

from django.core import signing
from django.db import connection
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from lk_core.notifications.models import Kind
from lk_core.notifications.rendering import unsubscribe_token_read
from lk_core.notifications.services import notification_unsubscribe


def _payload(token: str) -> dict:
    try:
        payload = unsubscribe_token_read(token)
    except signing.BadSignature:
        raise Http404 from None
    # A link from another utility's e-mail means nothing here.
    if payload.get("s") != connection.schema_name or payload.get("k") not in Kind.values:
        raise Http404
    return payload


@csrf_exempt  # one-click POSTs come from mail clients; the signed token is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    payload = _payload(token)
    page = {"kind": Kind(payload["k"]).label, "paper": payload["k"] == Kind.RECEIPT}
    if request.method == "POST":
        if not notification_unsubscribe(user_id=payload["u"], kind=payload["k"]):
            raise Http404
        return render(request, "notifications/unsubscribed.html", page)
    return render(request, "notifications/unsubscribe.html", page)
