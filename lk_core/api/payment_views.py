"""Card payments: create (-> the acquirer's confirmation page), status, history. The
payments app's services and access helpers, exactly as its pages call them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from lk_core.api.base import ResidentAPIView, valid_data
from lk_core.payments import access, selectors, services
from lk_core.payments.models import PaymentMethod, PaymentStatus, PortalPayment
from lk_core.payments.views import _due_for_refresh

WAITING = (PaymentStatus.CREATED, PaymentStatus.PENDING)


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
        if payment.status in WAITING and _due_for_refresh(payment):
            services.payment_refresh(payment=payment, source="api")
            payment.refresh_from_db()
        return Response(PaymentSerializer(payment).data)
