from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lk_core.payments.models import PaymentMethod


class PayForm(forms.Form):
    account = forms.TypedChoiceField(label=_("Account"), coerce=int)
    amount = forms.CharField(label=_("Amount, ₽"), required=False, max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal",
                                                           "autocomplete": "off"}))
    method = forms.ChoiceField(label=_("Payment method"), choices=PaymentMethod.choices,
                               initial=PaymentMethod.CARD, widget=forms.RadioSelect)
    email = forms.EmailField(label=_("E-mail for the receipt"), required=False)

    def __init__(self, *args, accounts, sbp: bool, allow_other_amount: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [(a.pk, f"{a.number} — {a.address}") for a in accounts]
        if not sbp:
            self.fields["method"].choices = [(PaymentMethod.CARD, PaymentMethod.CARD.label)]
        if not allow_other_amount:
            self.fields["amount"].widget.attrs["readonly"] = True


DAYS = [(day, str(day)) for day in range(1, 29)]


class AutopayTermsForm(forms.Form):
    day = forms.TypedChoiceField(label=_("Day of the month"), choices=DAYS, coerce=int)
    cap = forms.CharField(label=_("Limit per charge, ₽"), max_length=20,
                          widget=forms.TextInput(attrs={"inputmode": "decimal",
                                                        "autocomplete": "off"}))


class AutopayForm(AutopayTermsForm):
    account = forms.TypedChoiceField(label=_("Account"), coerce=int)
    email = forms.EmailField(label=_("E-mail for the receipt"), required=False)
    consent = forms.BooleanField(
        label=_("I agree that the card of the first payment is saved by the bank (the "
                "portal keeps only a token) and charged for the amount due of each new "
                "invoice on the chosen day, never above the limit. I can cancel at any "
                "time."))

    field_order = ["account", "day", "cap", "email", "consent"]

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [(a.pk, f"{a.number} — {a.address}") for a in accounts]
