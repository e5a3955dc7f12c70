"""Dashboard, invoices, charges and receipts of the current account: the portal's own
selectors and access helpers, so the app shows exactly the figures the web pages show."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from lk_core.api.base import PAGE_PARAMS, AccountAPIView
from lk_core.api.throttling import ReceiptThrottle, TenantScopedThrottle
from lk_core.billing.models import PaymentChannel
from lk_core.portal import selectors
from lk_core.portal.access import invoice_get_for_resident
from lk_core.portal.forms import MonthField as PortalMonthField
from lk_core.receipts.responses import receipt_download

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 16, "decimal_places": 4}
STATUS_LABELS = {"paid": _("Paid"), "partly": _("Partly paid"), "unpaid": _("Unpaid")}
INVOICE_STATUSES = list(STATUS_LABELS)


def tenant_today(request) -> dt.date:
    # The utility's calendar day, as the web pages count it.
    return timezone.localtime(timezone.now(), request.tenant.tzinfo).date()


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "maxLength": 7,
                      "example": "2026-10"})
class MonthField(serializers.CharField):
    """A month as YYYY-MM, checked by the same field the web pages use."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if len(value) > 7:
            self.fail("max_length", max_length=7)
        try:
            return PortalMonthField(required=False).clean(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None

    def to_representation(self, value):
        return f"{value:%Y-%m}"


class MonthQueryField(MonthField):
    """In a query: empty means not given, as in the web form."""

    def __init__(self, **kwargs):
        super().__init__(allow_blank=True, **kwargs)

    def run_validation(self, data=serializers.empty):
        return super().run_validation(data) or None


def receipt_path(period: dt.date) -> str:
    return f"/api/v1/receipts/{period:%Y-%m}/"


# --- dashboard ---------------------------------------------------------------------------

class AccountBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    address = serializers.CharField()


class LastPaymentSerializer(serializers.Serializer):
    paid_on = serializers.DateField()
    amount = serializers.DecimalField(**MONEY)


class InvoiceBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    period = MonthField()
    receipt_url = serializers.SerializerMethodField(help_text="The receipt PDF (GET).")

    def get_receipt_url(self, invoice) -> str:
        return receipt_path(invoice.period)


class WindowSerializer(serializers.Serializer):
    is_open = serializers.BooleanField(help_text="Readings are accepted today.")
    open_until = serializers.DateField(
        allow_null=True, help_text="The last day of the open window (null when closed).")
    opens_on = serializers.DateField(help_text="The first day of the next window.")
    next_closes_on = serializers.DateField(help_text="The last day of the next window.")


def window_data(state) -> dict:
    return {"is_open": state.is_open,
            "open_until": state.current.closes_on if state.current else None,
            "opens_on": state.next.opens_on, "next_closes_on": state.next.closes_on}


class MeterDueSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    service = serializers.CharField(source="service.name")
    serial_number = serializers.CharField()
    verified_until = serializers.DateField()
    expired = serializers.SerializerMethodField(
        help_text="The verification has already expired (else it expires within 60 days).")

    def get_expired(self, meter) -> bool:
        return meter.verified_until < self.context["today"]


class OpenAppealSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    category = serializers.CharField(source="category.name")
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    created_at = serializers.DateTimeField()


class NoticeSerializer(serializers.Serializer):
    title = serializers.CharField()
    body = serializers.CharField(allow_blank=True)
    shown_from = serializers.DateField()
    shown_until = serializers.DateField(allow_null=True)


class DashboardSerializer(serializers.Serializer):
    account = AccountBriefSerializer(allow_null=True,
                                     help_text="The current account; null when none is linked.")
    balance = serializers.DecimalField(
        **MONEY, help_text="To pay now: the latest invoice's amount due less what was paid "
                           "since its period ended (the web dashboard's big figure).")
    amount_due = serializers.DecimalField(**MONEY,
                                          help_text="The latest invoice's amount due.")
    due_date = serializers.DateField(allow_null=True)
    paid_since_invoice = serializers.DecimalField(**MONEY)
    latest_invoice = InvoiceBriefSerializer(allow_null=True)
    last_payment = LastPaymentSerializer(allow_null=True)
    reading_window = WindowSerializer(source="window")
    meters_due = MeterDueSerializer(many=True, help_text="Meters whose verification expires "
                                                         "within 60 days or has expired.")
    open_appeals_count = serializers.IntegerField()
    open_appeals = OpenAppealSerializer(many=True, help_text="The latest ten.")
    notices = NoticeSerializer(many=True, help_text="The utility's announcements.")


class DashboardView(AccountAPIView):
    @extend_schema(tags=["billing"], responses={200: DashboardSerializer},
                   summary="What the web dashboard shows: balance, due date, last payment, "
                           "reading window, meters to verify, open appeals, notices")
    def get(self, request):
        today = tenant_today(request)
        summary = selectors.dashboard_summary(account=self.account, user=request.user,
                                              utility=request.tenant, today=today)
        data = {**vars(summary), "account": self.account,
                "window": window_data(summary.window)}
        return Response(DashboardSerializer(data, context={"today": today}).data)


# --- invoices ----------------------------------------------------------------------------

class InvoiceRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="invoice.pk")
    period = MonthField(source="invoice.period")
    amount_due = serializers.DecimalField(source="invoice.amount_due", **MONEY)
    due_date = serializers.DateField(source="invoice.due_date", allow_null=True)
    paid_after = serializers.DecimalField(
        **MONEY, help_text="Paid in the month after the period (when the bill is paid).")
    status = serializers.ChoiceField(choices=INVOICE_STATUSES)
    status_display = serializers.SerializerMethodField()
    receipt_url = serializers.SerializerMethodField()

    def get_status_display(self, row) -> str:
        return str(STATUS_LABELS[row.status])

    def get_receipt_url(self, row) -> str:
        return receipt_path(row.invoice.period)


class ChargeRowSerializer(serializers.Serializer):
    service = serializers.CharField(source="service_name")
    unit = serializers.CharField(allow_blank=True)
    quantity = serializers.DecimalField(**QUANTITY, allow_null=True)
    tariff = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    amount = serializers.DecimalField(**MONEY)
    recalculation = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)


class PaymentMadeSerializer(serializers.Serializer):
    paid_on = serializers.DateField()
    amount = serializers.DecimalField(**MONEY)
    channel = serializers.ChoiceField(choices=PaymentChannel.choices)
    channel_display = serializers.CharField(source="get_channel_display")


class InvoiceDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="invoice.pk")
    period = MonthField(source="invoice.period")
    opening_balance = serializers.DecimalField(source="invoice.opening_balance", **MONEY)
    charged = serializers.DecimalField(source="invoice.charged", **MONEY)
    recalculation = serializers.DecimalField(source="invoice.recalculation", **MONEY)
    penalty = serializers.DecimalField(source="invoice.penalty", **MONEY)
    paid = serializers.DecimalField(source="invoice.paid", **MONEY,
                                    help_text="Paid during the period (the billing system's).")
    amount_due = serializers.DecimalField(source="invoice.amount_due", **MONEY)
    due_date = serializers.DateField(source="invoice.due_date", allow_null=True)
    status = serializers.ChoiceField(choices=INVOICE_STATUSES)
    status_display = serializers.SerializerMethodField()
    charges = ChargeRowSerializer(many=True, help_text="By service.")
    charges_total = serializers.DecimalField(**MONEY)
    recalculation_total = serializers.DecimalField(**MONEY)
    payments = PaymentMadeSerializer(many=True,
                                     help_text="Made during the month after the period.")
    paid_after = serializers.DecimalField(**MONEY)
    receipt_url = serializers.SerializerMethodField()

    def get_status_display(self, detail) -> str:
        return str(STATUS_LABELS[detail.status])

    def get_receipt_url(self, detail) -> str:
        return receipt_path(detail.invoice.period)


class InvoiceListView(AccountAPIView):
    query_params = PAGE_PARAMS

    @extend_schema(tags=["billing"], responses={200: InvoiceRowSerializer(many=True)},
                   summary="Invoices, newest first, with paid / partly / unpaid")
    def get(self, request):
        return self.paged(selectors.invoice_list(account=self.account), InvoiceRowSerializer)


class InvoiceDetailView(AccountAPIView):
    @extend_schema(tags=["billing"], responses={200: InvoiceDetailSerializer},
                   summary="An invoice: balance, charges by service, recalculations, penalty, "
                           "payments, amount due")
    def get(self, request, invoice_id: int):
        invoice = invoice_get_for_resident(resident=self.portal_resident,
                                           invoice_id=invoice_id)
        return Response(InvoiceDetailSerializer(selectors.invoice_detail(invoice=invoice)).data)


# --- charges -----------------------------------------------------------------------------

class ChargesQuerySerializer(serializers.Serializer):
    period = MonthQueryField(required=False, label=_("Month"),
                        help_text="One month; or give start and/or end instead.")
    start = MonthQueryField(required=False, label=_("From"),
                       help_text="First month (default: a year before the end).")
    end = MonthQueryField(required=False, label=_("To"),
                     help_text="Last month (default: the latest invoice's). At most 36 "
                               "months are shown; a longer range keeps the latest.")

    def validate(self, attrs):
        if attrs.get("period") and (attrs.get("start") or attrs.get("end")):
            raise serializers.ValidationError(_("Give either a month or a range of months."))
        if attrs.get("period"):
            attrs["start"] = attrs["end"] = attrs.pop("period")
        return attrs


class ChargeMonthSerializer(serializers.Serializer):
    period = MonthField()
    quantity = serializers.DecimalField(**QUANTITY, allow_null=True)
    tariff = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    amount = serializers.DecimalField(**MONEY)
    recalculation = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)


class ServiceChargesSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    quantity = serializers.DecimalField(**QUANTITY)
    amount = serializers.DecimalField(**MONEY)
    recalculation = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    months = ChargeMonthSerializer(many=True, help_text="The months with a charge.")


class SeriesSerializer(serializers.Serializer):
    service = serializers.CharField()
    totals = serializers.ListField(
        child=serializers.DecimalField(**MONEY),
        help_text="Amount + recalculation per month, aligned with `months` (the web chart).")


class ChargesSerializer(serializers.Serializer):
    start = MonthField()
    end = MonthField()
    months = serializers.ListField(child=MonthField())
    services = ServiceChargesSerializer(many=True)
    series = SeriesSerializer(many=True)
    amount = serializers.DecimalField(**MONEY)
    recalculation = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)


def _charges_data(report) -> dict:
    services = [{"code": s.code, "name": s.name, "unit": s.unit, "quantity": s.quantity,
                 "amount": s.amount, "recalculation": s.recalculation, "total": s.total,
                 "months": [{"period": period, "quantity": row.quantity, "tariff": row.tariff,
                             "amount": row.amount, "recalculation": row.recalculation,
                             "total": row.total} for period, row in s.rows]}
                for s in report.services]
    return {"start": report.start, "end": report.end, "months": report.months,
            "services": services,
            "series": [{"service": name, "totals": totals}
                       for name, totals in report.series.items()],
            "amount": report.amount, "recalculation": report.recalculation,
            "total": report.total}


class ChargesView(AccountAPIView):
    query_params = frozenset(ChargesQuerySerializer().fields)

    @extend_schema(tags=["billing"], parameters=[ChargesQuerySerializer],
                   responses={200: ChargesSerializer},
                   summary="Charges by service for a month or a range of months, with totals "
                           "and the per-month series of the web chart")
    def get(self, request):
        query = ChargesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = selectors.charges_report_for(
            account=self.account, start=query.validated_data.get("start"),
            end=query.validated_data.get("end"), today=tenant_today(request))
        return Response(ChargesSerializer(_charges_data(report)).data)


# --- receipts ----------------------------------------------------------------------------

class PDFRenderer(BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class ReceiptView(AccountAPIView):
    renderer_classes = [JSONRenderer, PDFRenderer]  # errors are JSON whatever was accepted
    throttle_classes = [TenantScopedThrottle, ReceiptThrottle]

    @extend_schema(tags=["billing"], parameters=[OpenApiParameter("format", exclude=True)],
                   responses={(200, "application/pdf"): OpenApiResponse(
                       OpenApiTypes.BINARY, description="The receipt (квитанция), as the web "
                                                        "page downloads it.")},
                   summary="The receipt PDF for a month (404 without an invoice for it)")
    def get(self, request, period: str):
        year, month = (int(part) for part in period.split("-"))
        return receipt_download(account=self.account, year=year, month=month,
                                utility=request.tenant)

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response):  # an error: always in the JSON error shape
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
