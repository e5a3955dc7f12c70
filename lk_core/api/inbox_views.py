"""The resident's inbox: what the utility told them (new invoices, reading window, payments,
appeal status, reminders, security notices), newest first, with read marks. The
notifications app's selectors and services; texts rendered in the request's language."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from lk_core.api.base import ResidentAPIView
from lk_core.api.pagination import PAGE_PARAMETERS, PagePagination
from lk_core.notifications import selectors, services
from lk_core.notifications.models import INBOX_KINDS, Kind
from lk_core.notifications.rendering import TemplateCache, render_inbox_message

INBOX_KIND_CHOICES = [(value, label) for value, label in Kind.choices if value in INBOX_KINDS]


class InboxMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=INBOX_KIND_CHOICES)
    kind_display = serializers.CharField()
    title = serializers.CharField()
    text = serializers.CharField(allow_blank=True)
    account_number = serializers.CharField(allow_null=True)
    url = serializers.CharField(
        allow_blank=True, help_text="The web page the message is about (an appeal's page on "
                                    "the utility's host); empty when it is not one page.")
    appeal_id = serializers.IntegerField(
        allow_null=True, help_text="An appeal notice's appeal: open it with "
                                   "/api/v1/appeals/{appeal_id}/.")
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)
    is_read = serializers.BooleanField()


class InboxPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    unread = serializers.IntegerField(help_text="Unread messages in the whole inbox.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = InboxMessageSerializer(many=True)


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread.")
    unread = serializers.IntegerField()


def _appeal_id(message) -> int | None:
    number = str(message.context.get("appeal_number") or "")
    return int(number) if message.kind == Kind.APPEAL_STATUS and number.isdigit() else None


def _shown(messages, utility) -> list[dict]:
    templates = TemplateCache(utility)
    rows = []
    for message in messages:
        rendered = render_inbox_message(message, utility, templates)
        rows.append({"id": message.pk, "kind": message.kind,
                     "kind_display": message.get_kind_display(), "title": rendered.title,
                     "text": rendered.text,
                     "account_number": message.account.number if message.account else None,
                     "url": rendered.url, "appeal_id": _appeal_id(message),
                     "created_at": message.created_at, "read_at": message.read_at,
                     "is_read": message.read_at is not None})
    return InboxMessageSerializer(rows, many=True).data


class InboxListView(ResidentAPIView):
    @extend_schema(tags=["notifications"], responses={200: InboxPageSerializer},
                   parameters=PAGE_PARAMETERS,
                   operation_id="notifications_list",
                   summary="The resident's notifications, newest first")
    def get(self, request):
        paginator = PagePagination()
        page = paginator.paginate_queryset(selectors.inbox_for_user(user=request.user),
                                           request, view=self)
        paged = paginator.get_paginated_response(_shown(page, request.tenant)).data
        return Response({"count": paged["count"],
                         "unread": selectors.inbox_unread_count(user=request.user),
                         "next": paged["next"], "previous": paged["previous"],
                         "results": paged["results"]})


class InboxReadView(ResidentAPIView):
    @extend_schema(tags=["notifications"], request=None,
                   responses={200: InboxMessageSerializer},
                   operation_id="notifications_read",
                   summary="Mark one notification read (404 if not yours)")
    def post(self, request, message_id: int):
        message = services.inbox_mark_read(user=request.user, message_id=message_id)
        return Response(_shown([message], request.tenant)[0])


class InboxReadAllView(ResidentAPIView):
    @extend_schema(tags=["notifications"], request=None, responses={200: ReadAllSerializer},
                   operation_id="notifications_read_all",
                   summary="Mark every notification read")
    def post(self, request):
        marked = services.inbox_mark_all_read(user=request.user)
        return Response({"marked": marked,
                         "unread": selectors.inbox_unread_count(user=request.user)})
