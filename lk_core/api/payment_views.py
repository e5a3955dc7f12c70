"""Card payments: create (-> the acquirer's confirmation page), status, history. The
payments app's services and access helpers, exactly as its pages call them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from lk_core.api.base import ResidentAPIView, valid_data
from lk_core.payments import access, autopay, selectors, services
from lk_core.payments.models import (
    AutopayMandate,
    MandateStatus,
    PaymentMethod,
    PaymentStatus,
    PortalPayment,
)


class PaymentCreateSerializer(serializers.Serializer):
    account_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    amount = serializers.CharField(
        required=False, allow_blank=True, max_length=20, label=gettext_lazy("amount"),
        help_text="Roubles, e.g. \"1234.56\"; empty or absent pays the amount due.")
    method = serializers.ChoiceField(choices=PaymentMethod.choices,
                                     default=PaymentMethod.CARD)
    email = serializers.EmailField(required=False, allow_blank=True,
                                   help_text="For the fiscal receipt; the login's by default.")


class PaymentSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    account_number = serializers.CharField(source="account.number")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    status = serializers.ChoiceField(choices=PaymentStatus.choices)
    status_display = serializers.CharField(source="get_status_display")
    confirmation_url = serializers.CharField(
        help_text="Open this page for the resident to pay (card data never reaches us).")
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    refunded_amount = serializers.DecimalField(max_digits=14, decimal_places=2)


def _site_url(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


class PaymentListView(ResidentAPIView):
    @extend_schema(tags=["payments"], responses={200: PaymentSerializer(many=True)},
                   summary="Payments made in the portal or the app (latest 50)")
    def get(self, request):
        payments = selectors.payments_for_accounts(access.resident_accounts(request.user))
        return Response(PaymentSerializer(payments, many=True).data)

    @extend_schema(tags=["payments"], request=PaymentCreateSerializer,
                   responses={201: PaymentSerializer},
                   summary="Start a payment; send the resident to `confirmation_url`")
    def post(self, request):
        data = valid_data(PaymentCreateSerializer, request)
        account = access.account_get_for_resident(user=request.user,
                                                  account_id=data["account_id"])
        payment = services.payment_create(
            user=request.user, account=account, site_url=_site_url(request),
            amount=data.get("amount") or None, method=data["method"],
            email=data.get("email") or request.user.email)
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class PaymentDetailView(ResidentAPIView):
    @extend_schema(tags=["payments"], responses={200: PaymentSerializer},
                   summary="A payment's status; while open, the acquirer is asked (as the "
                           "return page does)")
    def get(self, request, public_id):
        payment: PortalPayment = access.payment_get_for_resident(user=request.user,
                                                                 public_id=public_id)
        payment = services.payment_refresh_if_stale(payment=payment, source="api")
        return Response(PaymentSerializer(payment).data)


# --- autopay ----------------------------------------------------------------------------

class AutopayTermsSerializer(serializers.Serializer):
    day = serializers.IntegerField(min_value=1, max_value=28,
                                   help_text="Day of the month to charge (1-28).")
    cap = serializers.CharField(max_length=20, help_text="Limit per charge in roubles, "
                                "e.g. \"5000\"; a larger amount due is not charged.")


class AutopayStartSerializer(AutopayTermsSerializer):
    account_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    email = serializers.EmailField(required=False, allow_blank=True)
    consent = serializers.BooleanField(
        help_text="Must be true: the resident agrees that the acquirer saves the card of "
                  "the first payment and that it is charged on the day, up to the cap.")

    def validate_consent(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(gettext_lazy("Autopay needs your consent."))
        return value


class AutopaySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account_number = serializers.CharField(source="account.number")
    status = serializers.ChoiceField(choices=MandateStatus.choices)
    status_display = serializers.CharField(source="get_status_display")
    day = serializers.IntegerField()
    cap = serializers.DecimalField(max_digits=14, decimal_places=2)
    method_title = serializers.CharField(help_text="The saved card as the acquirer names it.")
    confirmation_url = serializers.SerializerMethodField(
        help_text="While pending: the first payment's page, where the card is saved.")

    def get_confirmation_url(self, mandate: AutopayMandate) -> str:
        payment = mandate.setup_payment
        if mandate.status != MandateStatus.PENDING or payment is None:
            return ""
        return payment.confirmation_url


class AutopayListView(ResidentAPIView):
    @extend_schema(tags=["payments"], responses={200: AutopaySerializer(many=True)},
                   summary="Autopay of the resident's accounts (pending or active)")
    def get(self, request):
        mandates = selectors.autopay_mandates_for_accounts(
            access.resident_accounts(request.user))
        return Response(AutopaySerializer(mandates, many=True).data)

    @extend_schema(tags=["payments"], request=AutopayStartSerializer,
                   responses={201: AutopaySerializer},
                   summary="Turn autopay on: pay the amount due at `confirmation_url`, which "
                           "saves the card")
    def post(self, request):
        data = valid_data(AutopayStartSerializer, request)
        account = access.account_get_for_resident(user=request.user,
                                                  account_id=data["account_id"])
        mandate = autopay.autopay_start(
            user=request.user, account=account, day=data["day"], cap=data["cap"],
            site_url=_site_url(request), email=data.get("email") or request.user.email)
        return Response(AutopaySerializer(mandate).data, status=status.HTTP_201_CREATED)


class AutopayDetailView(ResidentAPIView):
    @extend_schema(tags=["payments"], request=AutopayTermsSerializer,
                   responses={200: AutopaySerializer}, summary="Change the day or the cap")
    def patch(self, request, mandate_id):
        mandate = access.mandate_get_for_resident(user=request.user, mandate_id=mandate_id)
        data = valid_data(AutopayTermsSerializer, request)
        mandate = autopay.autopay_update(mandate=mandate, day=data["day"], cap=data["cap"])
        return Response(AutopaySerializer(mandate).data)

    @extend_schema(tags=["payments"], responses={204: None},
                   summary="Cancel autopay; the saved card is forgotten")
    def delete(self, request, mandate_id):
        mandate = access.mandate_get_for_resident(user=request.user, mandate_id=mandate_id)
        autopay.autopay_cancel(mandate=mandate)
        return Response(status=status.HTTP_204_NO_CONTENT)
