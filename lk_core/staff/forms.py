"""Forms of the staff console's configuration pages. They validate input shape; the rules
(contrast, image formats) are checked again by the services they feed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.models import TIMEZONE_CHOICES, Theme


class BrandingForm(forms.Form):
    theme = forms.ChoiceField(label=_("Theme"), choices=Theme.choices)
    primary_color = forms.RegexField(
        label=_("Primary colour"), regex=r"^#[0-9a-fA-F]{6}$",
        widget=forms.TextInput(attrs={"type": "color", "data-preview": "primary"}),
        help_text=_("Buttons and the header carry white text on it: contrast 4.5:1 at least."))
    accent_color = forms.RegexField(
        label=_("Accent colour"), regex=r"^#[0-9a-fA-F]{6}$",
        widget=forms.TextInput(attrs={"type": "color", "data-preview": "accent"}))
    tagline = forms.CharField(label=_("Tagline"), max_length=200, required=False,
                              widget=forms.TextInput(attrs={"data-preview": "tagline"}))
    logo = forms.ImageField(label=_("Logo"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/*",
                                                                   "data-preview": "logo"}))
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    favicon = forms.FileField(label=_("Favicon"), required=False,
                              help_text=_("PNG or ICO, square."),
                              widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    remove_favicon = forms.BooleanField(label=_("Remove the favicon"), required=False)
    dispatch_phone = forms.CharField(label=_("Emergency dispatch phone"), max_length=32,
                                     required=False)
    support_phone = forms.CharField(label=_("Support phone"), max_length=32, required=False)
    support_email = forms.EmailField(label=_("Support e-mail"), required=False)
    postal_address = forms.CharField(label=_("Office address"), max_length=300,
                                     required=False)
    office_hours = forms.CharField(label=_("Office hours"), max_length=200, required=False)


class SettingsForm(forms.Form):
    timezone = forms.ChoiceField(label=_("Time zone"), choices=TIMEZONE_CHOICES,
                                 help_text=_("Dates such as \"today\" and reading windows "
                                             "follow this time zone."))
    reading_window_start_day = forms.IntegerField(
        label=_("Readings accepted from day"), min_value=1, max_value=31, required=False,
        help_text=_("Day of the month, in the utility's time zone."))
    reading_window_end_day = forms.IntegerField(
        label=_("Readings accepted until day"), min_value=1, max_value=31, required=False)
