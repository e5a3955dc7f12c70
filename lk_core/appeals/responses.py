"""An appeal's photo as a response: one for the portal page (residents and staff) and the
API."""

from __future__ import annotations

from django.http import FileResponse, Http404

from lk_core.appeals.models import AppealAttachment


def attachment_response(attachment: AppealAttachment) -> FileResponse:
    """The photo inline, private to the browser's cache, never sniffed as another type;
    404 when the row outlived its file (a restored backup, say)."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=attachment.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
