"""Meters, reading history and reading submission of the current account. Submission calls
the meters service the web page calls (lk_core.meters.services.reading_submit): the same
window in the utility's time zone, the same checks, the same messages. Where the page asks
the resident to confirm (a counter rollover, an implausible jump), the API answers 400 with
`rollover_confirmation_required` or `jump_confirmation_required`; the app asks the resident
and sends the same values again with `confirm_rollover` / `confirm_jump`."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from lk_core.api.base import PAGE_PARAMS, AccountAPIView, valid_data
from lk_core.api.billing_views import QUANTITY, WindowSerializer, tenant_today, window_data
from lk_core.api.exceptions import InputRefused
from lk_core.api.schema import ErrorSerializer
from lk_core.meters.models import Reading, ReadingSource
from lk_core.meters.services import (
    ZONE_FIELDS,
    ConfirmationRequired,
    reading_submit,
    window_closed_message,
)
from lk_core.meters.windows import window_state
from lk_core.portal import selectors
from lk_core.portal.access import meter_get_for_resident
from lk_core.portal.models import ResidentPreferences


def _quantity(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(**QUANTITY, **kwargs)


QUANTITY_FORMAT = _quantity()


def _values(reading: Reading, zones: int) -> list:
    return [getattr(reading, field) for field in ZONE_FIELDS[:zones]]


class ServiceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)


class ReadingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    taken_on = serializers.DateField()
    values = serializers.SerializerMethodField(help_text="One value per tariff zone.")
    source = serializers.ChoiceField(choices=ReadingSource.choices)
    source_display = serializers.CharField(source="get_source_display")
    submitted_at = serializers.DateTimeField(
        allow_null=True, help_text="When a resident sent it in the portal or the app.")

    @extend_schema_field(serializers.ListField(child=_quantity(allow_null=True)))
    def get_values(self, reading) -> list:
        return [QUANTITY_FORMAT.to_representation(v) if v is not None else None
                for v in _values(reading, reading.meter.zones)]


class MeterSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="meter.pk")
    service = ServiceSerializer(source="meter.service")
    serial_number = serializers.CharField(source="meter.serial_number")
    zones = serializers.IntegerField(source="meter.zones", help_text="Tariff zones, 1 to 3: "
                                                                     "send one value each.")
    digits = serializers.IntegerField(source="meter.digits",
                                      help_text="Digits before the decimal point.")
    installed_on = serializers.DateField(source="meter.installed_on", allow_null=True)
    verified_until = serializers.DateField(source="meter.verified_until", allow_null=True)
    removed_on = serializers.DateField(source="meter.removed_on", allow_null=True)
    verification_soon = serializers.BooleanField(
        help_text="The verification expires within 60 days.")
    can_take_readings = serializers.BooleanField(help_text="A reading may be sent today.")
    reason_code = serializers.ChoiceField(
        choices=["window_closed", "meter_refused"], allow_null=True,
        help_text="Why not (null when it can): the meter was removed or its verification "
                  "expired (named first: it lasts), or the window is closed.")
    reason = serializers.CharField(allow_null=True, help_text="Why not, in words.")
    last_reading = ReadingSerializer(source="latest", allow_null=True)


class ConsumptionSerializer(serializers.Serializer):
    taken_on = serializers.DateField()
    consumption = _quantity()


class MeterDetailSerializer(MeterSerializer):
    consumption = ConsumptionSerializer(
        many=True, help_text="Consumption over all zones between readings, oldest first "
                             "(the last 24; the web page's chart).")


def _meter_data(view, *, state, utility) -> dict:
    reason_code = reason = None
    if view.refusal:
        reason_code, reason = "meter_refused", view.refusal
    elif not state.is_open:
        reason_code, reason = "window_closed", window_closed_message(utility, state)
    if view.latest is not None:
        view.latest.meter = view.meter  # its zones, without a query per meter
    return {"meter": view.meter, "verification_soon": view.verification_soon,
            "can_take_readings": reason is None, "reason_code": reason_code,
            "reason": reason, "latest": view.latest,
            "consumption": [{"taken_on": day, "consumption": used}
                            for day, used in view.consumption()[-24:]]}


class MeterApiView(AccountAPIView):
    def window(self, today):
        utility = self.request.tenant
        return window_state(today=today, start_day=utility.reading_window_start_day,
                            end_day=utility.reading_window_end_day)

    def meter_rows(self, meter_id: int | None = None) -> list[dict]:
        today = tenant_today(self.request)
        state = self.window(today)
        views = selectors.meter_views(account=self.account, today=today, meter_id=meter_id)
        return [_meter_data(view, state=state, utility=self.request.tenant) for view in views]


class MeterListSerializer(serializers.Serializer):
    reading_window = WindowSerializer()
    meters = MeterSerializer(many=True, help_text="Removed meters last.")


class MeterListView(MeterApiView):
    @extend_schema(tags=["meters"], responses={200: MeterListSerializer},
                   operation_id="meters_list",
                   summary="Meters of the account, whether each takes readings today and why "
                           "not, with the reading window")
    def get(self, request):
        state = self.window(tenant_today(request))
        return Response(MeterListSerializer({"reading_window": window_data(state),
                                             "meters": self.meter_rows()}).data)


class MeterDetailView(MeterApiView):
    @extend_schema(tags=["meters"], responses={200: MeterDetailSerializer},
                   summary="A meter, with its consumption between readings")
    def get(self, request, meter_id: int):
        meter = meter_get_for_resident(resident=self.portal_resident, meter_id=meter_id)
        return Response(MeterDetailSerializer(self.meter_rows(meter.pk)[0]).data)


# --- readings ----------------------------------------------------------------------------

class ReadingSubmitSerializer(serializers.Serializer):
    values = serializers.ListField(
        child=serializers.CharField(max_length=20), min_length=1, max_length=3,
        help_text="One value per tariff zone (the meter's `zones`), e.g. [\"134.5\"]; a comma "
                  "works as the decimal point.")
    confirm_rollover = serializers.BooleanField(
        default=False, help_text="Send after a 400 `rollover_confirmation_required` when the "
                                 "counter did go past its maximum.")
    confirm_jump = serializers.BooleanField(
        default=False, help_text="Send after a 400 `jump_confirmation_required` when the "
                                 "unusual consumption is right.")


class SubmissionWindowSerializer(serializers.Serializer):
    opens_on = serializers.DateField()
    closes_on = serializers.DateField(help_text="The reading may be corrected until then.")


class SubmissionSerializer(serializers.Serializer):
    receipt_number = serializers.IntegerField(source="reading.pk")
    meter_id = serializers.IntegerField(source="meter.pk")
    values = serializers.ListField(child=_quantity())
    consumption = serializers.ListField(child=_quantity(),
                                        help_text="Per zone, since the previous reading.")
    replaced = serializers.BooleanField(
        help_text="It replaces the reading sent earlier in this window.")
    window = SubmissionWindowSerializer()
    submitted_at = serializers.DateTimeField()
    reading = ReadingSerializer()


SUBMIT_ERRORS = (
    "Invalid input. `code` says which: `invalid` (see `fields`, e.g. `values.0`), `zones` "
    "(one value per tariff zone), `window_closed` (with when the next window opens), "
    "`meter_refused` (removed, or its verification expired), "
    "`rollover_confirmation_required` or `jump_confirmation_required` (send the same values "
    "again with `confirm_rollover` / `confirm_jump` once the resident confirms).")


def _refused(error: DjangoValidationError) -> serializers.ValidationError:
    """The service's refusal in the API's terms: zone fields become `values.N`."""
    if hasattr(error, "error_dict"):
        return serializers.ValidationError({
            f"values.{ZONE_FIELDS.index(field)}" if field in ZONE_FIELDS else field: problems
            for field, problems in error.message_dict.items()})
    return InputRefused({"non_field_errors": error.messages}, error.code or "invalid")


class ReadingListView(MeterApiView):
    query_params = PAGE_PARAMS
    scope_model = Reading
    scope_account_lookup = "meter__account"

    @extend_schema(tags=["meters"], responses={200: ReadingSerializer(many=True)},
                   summary="A meter's reading history, newest first")
    def get(self, request, meter_id: int):
        meter = meter_get_for_resident(resident=self.portal_resident, meter_id=meter_id)
        readings = (self.get_queryset().filter(meter=meter).select_related("meter")
                    .order_by("-taken_on", "-id"))
        return self.paged(readings, ReadingSerializer)

    @extend_schema(tags=["meters"], request=ReadingSubmitSerializer,
                   responses={201: SubmissionSerializer,
                              400: OpenApiResponse(ErrorSerializer, description=SUBMIT_ERRORS)},
                   summary="Submit readings (the web page's rules and messages); sending "
                           "again in the same window replaces them")
    def post(self, request, meter_id: int):
        resident = self.portal_resident
        meter = meter_get_for_resident(resident=resident, meter_id=meter_id)
        data = valid_data(ReadingSubmitSerializer, request)
        preferences = ResidentPreferences.objects.filter(user=resident.user).first()
        try:
            receipt = reading_submit(
                user=resident.user, account=resident.account, meter=meter,
                values=data["values"], confirm_rollover=data["confirm_rollover"],
                confirm_jump=data["confirm_jump"], channel="api", utility=request.tenant,
                now=timezone.now(),
                email_receipt=bool(preferences and preferences.email_reading_receipt))
        except ConfirmationRequired as question:
            raise InputRefused({"non_field_errors": [question.message]},
                               f"{question.kind}_confirmation_required") from None
        except DjangoValidationError as error:
            raise _refused(error) from None
        return Response(SubmissionSerializer(receipt).data, status=status.HTTP_201_CREATED)
