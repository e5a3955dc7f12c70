"""Input validation for the portal pages; the services do the real checks."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from lk_core.notifications.models import EMAIL_RECEIPT_KINDS, ESSENTIAL_KINDS, Kind

FIRST_MONTH, LAST_MONTH = dt.date(1900, 1, 1), dt.date(2199, 12, 1)


class MonthField(forms.CharField):
    """A month as YYYY-MM (what <input type="month"> sends)."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            month = dt.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("Enter a month as YYYY-MM."),
                                        code="invalid") from None
        if not FIRST_MONTH <= month <= LAST_MONTH:  # (ranges around year 9999 overflow)
            raise forms.ValidationError(
                _("Enter a month from %(first)s to %(last)s.")
                % {"first": f"{FIRST_MONTH:%Y-%m}", "last": f"{LAST_MONTH:%Y-%m}"},
                code="invalid")
        return month


class PeriodForm(forms.Form):
    start = MonthField(label=_("From"), required=False,
                       widget=forms.TextInput(attrs={"type": "month"}))
    end = MonthField(label=_("To"), required=False,
                     widget=forms.TextInput(attrs={"type": "month"}))


class ReadingForm(forms.Form):
    t1 = forms.CharField(label=_("Zone 1"), max_length=20)
    t2 = forms.CharField(label=_("Zone 2"), max_length=20, required=False)
    t3 = forms.CharField(label=_("Zone 3"), max_length=20, required=False)
    confirm_rollover = forms.BooleanField(required=False, widget=forms.HiddenInput)
    confirm_jump = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, zones: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        for number in range(1, 4):
            field = self.fields[f"t{number}"]
            if number > zones:
                del self.fields[f"t{number}"]
            else:
                field.required = True
                field.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
                if zones == 1:
                    field.label = _("Reading")

    def values(self) -> list[str]:
        return [self.cleaned_data[name] for name in ("t1", "t2", "t3") if name in self.fields]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks their count, size and type."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class AppealForm(forms.Form):
    category = forms.TypedChoiceField(label=_("Topic"), coerce=int)
    text = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 5}),
                           max_length=4000)
    photos = MultipleFileField(label=_("Photos (up to 3, JPEG, PNG or WebP, up to 5 MB each)"),
                               required=False)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—")] + [(c.pk, c.name) for c in categories]


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=4000)


class SettingsForm(forms.Form):
    contact_phone = forms.CharField(label=_("Mobile phone for SMS"), required=False,
                                    max_length=20,
                                    widget=forms.TextInput(attrs={"inputmode": "tel",
                                                                  "autocomplete": "tel"}))
    paperless_receipt = forms.BooleanField(label=_("Receipts by e-mail instead of paper"),
                                           required=False)
    email_reading_receipt = forms.BooleanField(
        label=_("E-mail me a receipt when I submit readings"), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    email_enabled = forms.BooleanField(label=_("By e-mail"), required=False)
    sms_enabled = forms.BooleanField(label=_("By SMS"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in OPTIONAL_KINDS:
            self.fields[f"kind_{kind}"] = forms.BooleanField(label=label, required=False)

    def muted_kinds(self) -> list[str]:
        return [kind for kind, _label in OPTIONAL_KINDS
                if not self.cleaned_data.get(f"kind_{kind}")]

    def kind_fields(self):
        return [self[f"kind_{kind}"] for kind, _label in OPTIONAL_KINDS]


# Kinds a resident may turn off (passwords and security notices always arrive), in the
# settings page's own words.
KIND_LABELS = {
    Kind.INVOICE_AVAILABLE: _("New invoice"),
    Kind.READING_WINDOW_OPENS: _("Reading window opens"),
    Kind.READING_WINDOW_CLOSES: _("Reading window closes soon"),
    Kind.PAYMENT_RECEIVED: _("Payment received"),
    Kind.APPEAL_STATUS: _("Appeal status"),
    Kind.DEBT_REMINDER: _("Debt reminder"),
}
# Receipts by e-mail have their own switches on this page (paperless, readings receipt).
OPTIONAL_KINDS = [(kind, KIND_LABELS.get(kind, label)) for kind, label in Kind.choices
                  if kind not in ESSENTIAL_KINDS and kind not in EMAIL_RECEIPT_KINDS]
