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
