"""Appeals: categories, create with photos, list, timeline, reply, close, photo download.
The appeals app's services and the portal's access helpers, exactly as the pages call
them: another resident's appeal or photo answers like one that does not exist (404)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from lk_core.api.base import PAGE_PARAMS, AccountAPIView, valid_data
from lk_core.api.throttling import TenantScopedThrottle
from lk_core.appeals import selectors, services
from lk_core.appeals.models import (
    Appeal,
    AppealStatus,
    Destination,
    EventKind,
)
from lk_core.appeals.responses import attachment_response
from lk_core.portal.access import appeal_get_for_resident, attachment_get_for_resident

MAX_ID = 2**63 - 1
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
COMPANY_EVENTS = (EventKind.STAFF_REPLY, EventKind.STATUS)


class AppealCreateThrottle(TenantScopedThrottle):
    # On top of the general write rate: sending appeals (with up to three photos each) is
    # what a script would abuse, so it has its own, lower rate (`appeals` scope).
    fixed_scope = "appeals"

    def allow_request(self, request, view):
        return request.method != "POST" or super().allow_request(request, view)


# --- serializers ------------------------------------------------------------------------

class CategorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField(help_text="A hint for the resident.")
    destination = serializers.ChoiceField(choices=Destination.choices)
    is_emergency = serializers.BooleanField()
    dispatch_phone = serializers.CharField(
        allow_blank=True, help_text="For emergency topics: call this number now (an appeal "
                                    "also reaches the dispatch service, but a call is faster).")


class CategoryBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AppealSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    category = CategoryBriefSerializer()
    destination = serializers.ChoiceField(choices=Destination.choices)
    department = serializers.CharField(allow_blank=True)
    is_emergency = serializers.BooleanField()
    status = serializers.ChoiceField(choices=AppealStatus.choices)
    status_display = serializers.CharField(source="get_status_display")
    text = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=[(k, EventKind(k).label)
                                            for k in selectors.RESIDENT_EVENT_KINDS])
    kind_display = serializers.CharField()
    by = serializers.ChoiceField(choices=["resident", "company"],
                                 help_text="Who wrote it (staff names are not shown).")
    text = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=AppealStatus.choices,
                                     help_text="The appeal's status after this step.")
    status_display = serializers.CharField()
    created_at = serializers.DateTimeField()


class AttachmentSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    content_type = serializers.ChoiceField(choices=PHOTO_TYPES)
    size = serializers.IntegerField()
    url = serializers.CharField(help_text="Download with the same Bearer token.")


class AppealDetailSerializer(AppealSerializer):
    can_reply = serializers.BooleanField(help_text="False once the appeal is closed.")
    events = EventSerializer(many=True, help_text="The timeline, oldest first.")
    attachments = AttachmentSerializer(many=True)


class AppealCreateSerializer(serializers.Serializer):
    category = serializers.IntegerField(min_value=1, max_value=MAX_ID,
                                        label=gettext_lazy("Topic"),
                                        help_text="An id from GET /appeals/categories/.")
    text = serializers.CharField(allow_blank=True, trim_whitespace=False,
                                 label=gettext_lazy("What happened"),
                                 help_text=f"At most {services.MAX_TEXT} characters.")
    photos = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False), required=False, default=list,
        help_text=f"Up to {services.MAX_PHOTOS} JPEG, PNG or WebP photos, up to "
                  f"{services.MAX_PHOTO_BYTES // (1024 * 1024)} MB each (the type is read "
                  "from the content). Repeat the `photos` part for each file.")


class AppealCreateJsonSerializer(serializers.Serializer):
    # The same without photos, for clients that send JSON.
    category = serializers.IntegerField(min_value=1, max_value=MAX_ID,
                                        help_text="An id from GET /appeals/categories/.")
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)


class ReplySerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False,
                                 label=gettext_lazy("Your reply"),
                                 help_text=f"At most {services.MAX_TEXT} characters.")


# --- helpers ----------------------------------------------------------------------------

def _attachment_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("api:appeal-attachment", args=[token]))


def _detail(request, appeal: Appeal) -> dict:
    timeline = selectors.appeal_timeline(appeal=appeal)
    events = [{"id": event.pk, "kind": event.kind, "kind_display": event.get_kind_display(),
               "by": "company" if event.kind in COMPANY_EVENTS else "resident",
               "text": event.text, "status": event.status,
               "status_display": event.get_status_display(), "created_at": event.created_at}
              for event in timeline.events]
    attachments = [{"id": a.token, "name": a.original_name, "content_type": a.content_type,
                    "size": a.size, "url": _attachment_url(request, a.token)}
                   for a in timeline.attachments]
    return {**AppealSerializer(appeal).data, "can_reply": appeal.status != AppealStatus.CLOSED,
            "events": EventSerializer(events, many=True).data,
            "attachments": AttachmentSerializer(attachments, many=True).data}


# --- views ------------------------------------------------------------------------------

class AppealAPIView(AccountAPIView):
    # The resident's appeals on the current account, reached through the portal's access
    # helpers (`self.portal_resident`), which also check authorship.
    scope_model = Appeal


class AppealCategoryListView(AppealAPIView):
    pagination_class = None  # a short list, as it stands
    @extend_schema(tags=["appeals"], responses={200: CategorySerializer(many=True)},
                   operation_id="appeal_categories_list",
                   summary="Topics a resident can write about; emergency ones name the "
                           "dispatch phone")
    def get(self, request):
        dispatch_phone = request.tenant.dispatch_phone
        rows = [{"id": c.pk, "name": c.name, "description": c.description,
                 "destination": c.destination, "is_emergency": c.is_emergency,
                 "dispatch_phone": dispatch_phone if c.is_emergency else ""}
                for c in selectors.appeal_categories()]
        return Response(CategorySerializer(rows, many=True).data)


class AppealListView(AppealAPIView):
    query_params = PAGE_PARAMS
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    throttle_classes = [TenantScopedThrottle, AppealCreateThrottle]

    @extend_schema(tags=["appeals"], responses={200: AppealSerializer(many=True)},
                   operation_id="appeals_list",
                   summary="The resident's appeals on the current account, newest first")
    def get(self, request):
        return self.paged(selectors.appeals_for_resident(account=self.account,
                                                         user=request.user),
                          AppealSerializer)

    @extend_schema(tags=["appeals"],
                   request={"multipart/form-data": AppealCreateSerializer,
                            "application/json": AppealCreateJsonSerializer},
                   responses={201: AppealDetailSerializer},
                   operation_id="appeals_create",
                   summary="Send an appeal with up to three photos (multipart); routed as "
                           "its topic says")
    def post(self, request):
        data = valid_data(AppealCreateSerializer, request)
        if self.account is None:
            raise NotFound
        appeal = services.appeal_create(user=request.user, account=self.account,
                                        category_id=data["category"], text=data["text"],
                                        photos=data["photos"])
        return Response(_detail(request, appeal), status=status.HTTP_201_CREATED)


class AppealDetailView(AppealAPIView):
    @extend_schema(tags=["appeals"], responses={200: AppealDetailSerializer},
                   operation_id="appeals_retrieve",
                   summary="An appeal with its timeline (company replies and status changes) "
                           "and photos")
    def get(self, request, appeal_id: int):
        appeal = appeal_get_for_resident(resident=self.portal_resident, appeal_id=appeal_id)
        return Response(_detail(request, appeal))


class AppealReplyView(AppealAPIView):
    @extend_schema(tags=["appeals"], request=ReplySerializer,
                   responses={201: AppealDetailSerializer},
                   operation_id="appeals_reply",
                   summary="Reply to the company (400 `closed` once the appeal is closed)")
    def post(self, request, appeal_id: int):
        appeal = appeal_get_for_resident(resident=self.portal_resident, appeal_id=appeal_id)
        data = valid_data(ReplySerializer, request)
        services.appeal_reply_by_resident(appeal=appeal, user=request.user, text=data["text"])
        appeal.refresh_from_db()
        return Response(_detail(request, appeal), status=status.HTTP_201_CREATED)


class AppealCloseView(AppealAPIView):
    @extend_schema(tags=["appeals"], request=None, responses={200: AppealDetailSerializer},
                   operation_id="appeals_close",
                   summary="Close the appeal (400 `closed` if it already is)")
    def post(self, request, appeal_id: int):
        appeal = appeal_get_for_resident(resident=self.portal_resident, appeal_id=appeal_id)
        services.appeal_close(appeal=appeal, user=request.user)
        appeal.refresh_from_db()
        return Response(_detail(request, appeal))


class AppealAttachmentView(AppealAPIView):
    @extend_schema(
        tags=["appeals"],
        parameters=[OpenApiParameter("token", str, OpenApiParameter.PATH,
                                     pattern=r"^[0-9a-f]{32}$")],
        responses={(200, content_type): OpenApiResponse(OpenApiTypes.BINARY,
                                                        description="The photo.")
                   for content_type in PHOTO_TYPES},
        operation_id="appeals_attachment_retrieve",
        summary="Download a photo of the resident's own appeal")
    def get(self, request, token: str):
        return attachment_response(
            attachment_get_for_resident(resident=self.portal_resident, token=token))

