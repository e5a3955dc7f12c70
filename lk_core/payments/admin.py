"""Staff console: acquirer settings (secrets write-only, shown masked), portal payments
with filters and totals, and the stored acquirer notifications."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from lk_core.identity.selectors import user_label
from lk_core.payments import selectors, services
from lk_core.payments.models import (
    AutopayCharge,
    AutopayMandate,
    PaymentSettings,
    PaymentTransition,
    PortalPayment,
    WebhookEvent,
)
from lk_core.staff.permissions import ReadOnlyStaffAdminMixin, StaffSectionAdminMixin
from lk_core.staff.roles import Action, Section, staff_can
from lk_platform.admin_sites import staff_console

SECRET_FIELDS = {  # form field -> (acquirer, credential name)
    "stripe_secret_key": ("stripe", "secret_key"),
    "stripe_webhook_secret": ("stripe", "webhook_secret"),
    "yookassa_shop_id": ("yookassa", "shop_id"),
    "yookassa_secret_key": ("yookassa", "secret_key"),
}
SETTINGS_FIELDS = ["currency", "min_amount", "max_amount", "allow_other_amount", "vat_code",
                   "receipt_per_service", "sbp_enabled", "autopay_enabled"]


class PaymentSettingsForm(forms.ModelForm):
    stripe_secret_key = forms.CharField(label=_("Stripe secret key"), required=False,
                                        widget=forms.PasswordInput(render_value=False))
    stripe_webhook_secret = forms.CharField(label=_("Stripe webhook signing secret"),
                                            required=False,
                                            widget=forms.PasswordInput(render_value=False))
    yookassa_shop_id = forms.CharField(label=_("YooKassa shop id"), required=False)
    yookassa_secret_key = forms.CharField(label=_("YooKassa secret key"), required=False,
                                          widget=forms.PasswordInput(render_value=False))

    class Meta:
        model = PaymentSettings
        fields = ["acquirer", "mode", *SETTINGS_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        masked = selectors.credentials_masked(self.instance) if self.instance.pk else {}
        for field, (acquirer, name) in SECRET_FIELDS.items():
            if self.instance.acquirer == acquirer and masked.get(name):
                self.fields[field].help_text = _("Stored: %(masked)s. Leave blank to keep.") % {
                    "masked": masked[name]}

    def credentials(self) -> dict[str, str]:
        acquirer = self.cleaned_data.get("acquirer")
        return {name: self.cleaned_data.get(field, "").strip()
                for field, (owner, name) in SECRET_FIELDS.items() if owner == acquirer}

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            services.payment_settings_validate(
                acquirer=cleaned["acquirer"], mode=cleaned["mode"],
                credentials=self.credentials(),
                **{name: cleaned.get(name) for name in SETTINGS_FIELDS})
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return cleaned


class PaymentSettingsAdmin(StaffSectionAdminMixin, admin.ModelAdmin):
    console_section = Section.PAYMENTS
    form = PaymentSettingsForm
    list_display = ["__str__", "acquirer", "mode", "min_amount", "max_amount", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not PaymentSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        saved = services.payment_settings_update(
            acquirer=form.cleaned_data["acquirer"], mode=form.cleaned_data["mode"],
            credentials=form.credentials(), actor=request.user,
            **{name: form.cleaned_data[name] for name in SETTINGS_FIELDS})
        obj.pk = saved.pk

    def get_urls(self):
        test = self.admin_site.admin_view(self.connection_test_view)
        return [path("test-connection/", test, name="payments_paymentsettings_test"),
                *super().get_urls()]

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_test_connection"] = staff_can(request.user, Section.PAYMENTS,
                                                   Action.CHANGE)
        return super().render_change_form(request, context, *args, **kwargs)

    def connection_test_view(self, request: HttpRequest) -> HttpResponse:
        """The "Test connection" button: one cheap call with the stored credentials."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not staff_can(request.user, Section.PAYMENTS, Action.CHANGE):
            raise PermissionDenied
        result = services.acquirer_connection_test(actor=request.user)
        self.message_user(request, result.message,
                          messages.SUCCESS if result.ok else messages.ERROR)
        row = selectors.payment_settings_get()
        return HttpResponseRedirect(reverse("staff:payments_paymentsettings_change",
                                            args=[row.pk]))


class TransitionInline(ReadOnlyStaffAdminMixin, admin.TabularInline):
    console_section = Section.BILLING  # every role that sees payments sees their history
    model = PaymentTransition
    extra = 0
    can_delete = False
    fields = ["created_at", "from_status", "to_status", "source", "note"]
    readonly_fields = fields


@admin.action(description=_("Ask the acquirer for the current status"))
def refresh_status(modeladmin, request, queryset) -> None:
    for payment in queryset:
        services.payment_refresh(payment=payment, source="staff")
    modeladmin.message_user(request, _("Asked the acquirer."), messages.SUCCESS)


@admin.action(description=_("Refund in full"))
def refund_in_full(modeladmin, request, queryset) -> None:
    if not staff_can(request.user, Section.REFUNDS, Action.CHANGE):
        raise PermissionDenied
    for payment in queryset:
        try:
            services.payment_refund(payment=payment, actor=request.user)
        except ValidationError as exc:
            modeladmin.message_user(request, f"{payment.public_id}: {' '.join(exc.messages)}",
                                    messages.ERROR)


class RefundForm(forms.Form):
    amount = forms.CharField(label=_("Amount to refund"), max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal",
                                                           "autocomplete": "off"}))


class PortalPaymentAdmin(StaffSectionAdminMixin, admin.ModelAdmin):
    console_section = Section.BILLING  # refresh and refund need the change grant
    list_display = ["created_at", "account", "amount", "currency", "status", "acquirer",
                    "mode", "paid_at", "public_id"]
    list_filter = ["status", "acquirer", "mode", "method",
                   ("created_at", admin.DateFieldListFilter)]
    search_fields = ["account__number", "=public_id", "=acquirer_payment_id", "email"]
    date_hierarchy = "created_at"
    list_select_related = ["account"]
    inlines = [TransitionInline]
    actions = [refresh_status, refund_in_full]
    # The resident as account and holder, not the login's technical user name.
    exclude = ["user"]
    readonly_fields = [("resident" if field.name == "user" else field.name)
                       for field in PortalPayment._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("resident"))
    def resident(self, obj) -> str:
        return user_label(obj.user, account=obj.account)

    def get_urls(self):
        refund = self.admin_site.admin_view(self.refund_view)
        return [path("<int:object_id>/refund/", refund, name="payments_portalpayment_refund"),
                *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        payment = self.get_object(request, object_id)
        extra = {"can_refund": payment is not None and _may_refund(request)
                 and selectors.refundable_amount(payment) > 0}
        return super().change_view(request, object_id, form_url, {**extra,
                                                                   **(extra_context or {})})

    @staticmethod
    def _refund_page(request, payment, form, status=200):
        context = {**staff_console.each_context(request), "form": form, "payment": payment,
                   "refundable": selectors.refundable_amount(payment),
                   "opts": PortalPayment._meta, "title": _("Refund a payment")}
        return TemplateResponse(request, "admin/payments/portalpayment/refund.html", context,
                                status=status)

    def refund_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """A full or partial refund by an administrator or customer service; read-only
        roles are refused. The amount is checked against what is left to refund."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not self.has_view_permission(request) or not _may_refund(request):
            raise PermissionDenied
        payment = PortalPayment.objects.select_related("account").filter(pk=object_id).first()
        if payment is None:
            raise Http404
        refundable = selectors.refundable_amount(payment)
        form = RefundForm(request.POST or None, initial={"amount": refundable})
        if request.method == "POST" and form.is_valid():
            try:
                amount = services.payment_refund(payment=payment, actor=request.user,
                                                 amount=form.cleaned_data["amount"])
            except ValidationError as exc:
                _form_errors(form, exc)
                return self._refund_page(request, payment, form, status=400)
            self.message_user(request, _("Refund of %(amount)s asked for; the status changes "
                                         "when the acquirer confirms it.")
                              % {"amount": amount}, messages.SUCCESS)
            return HttpResponseRedirect(reverse("staff:payments_portalpayment_change",
                                                args=[payment.pk]))
        return self._refund_page(request, payment, form, status=400 if form.errors else 200)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            response.context_data["payment_totals"] = selectors.payment_totals(
                changelist.queryset)
        return response


def _may_refund(request: HttpRequest) -> bool:
    return staff_can(request.user, Section.REFUNDS, Action.CHANGE)


def _form_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class AutopayChargeInline(ReadOnlyStaffAdminMixin, admin.TabularInline):
    console_section = Section.BILLING
    model = AutopayCharge
    extra = 0
    can_delete = False
    fields = ["invoice", "scheduled_for", "amount", "status", "payment", "notice_sent_on",
              "note"]
    readonly_fields = fields


class AutopayMandateAdmin(ReadOnlyStaffAdminMixin, admin.ModelAdmin):
    """Read-only: autopay is the resident's to turn on, change and cancel."""

    console_section = Section.BILLING
    list_display = ["account", "status", "day", "cap", "acquirer", "method_title",
                    "activated_at", "canceled_at"]
    list_filter = ["status", "acquirer"]
    search_fields = ["account__number"]
    list_select_related = ["account"]
    inlines = [AutopayChargeInline]
    exclude = ["method_token", "customer_token",  # tokens stay out of the console
               "user"]  # shown as the resident's account and holder, not the login's name

    def get_readonly_fields(self, request, obj=None):
        return [("resident" if field.name == "user" else field.name)
                for field in AutopayMandate._meta.fields
                if field.name == "user" or field.name not in self.exclude]

    @admin.display(description=_("resident"))
    def resident(self, obj) -> str:
        return user_label(obj.user, account=obj.account)


class WebhookEventAdmin(ReadOnlyStaffAdminMixin, admin.ModelAdmin):
    console_section = Section.PAYMENTS
    list_display = ["received_at", "acquirer", "event_type", "status", "payment", "error"]
    list_filter = ["acquirer", "status"]
    search_fields = ["event_id", "payment__public_id"]
    readonly_fields = [field.name for field in WebhookEvent._meta.fields]


staff_console.register(PaymentSettings, PaymentSettingsAdmin)
staff_console.register(PortalPayment, PortalPaymentAdmin)
staff_console.register(WebhookEvent, WebhookEventAdmin)
staff_console.register(AutopayMandate, AutopayMandateAdmin)
