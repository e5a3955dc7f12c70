"""Built-in wording per kind (translatable, English msgids). Staff override any part in
MessageTemplate. Placeholders are Django template variables filled from the
notification's context plus utility_name, portal_url and support_phone (and appeal_url,
the appeal's own page, for the appeal status kind)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from lk_core.notifications.models import Kind


@dataclass(frozen=True)
class Text:
    subject: Promise
    body: Promise
    sms: Promise


DEFAULT_TEXTS: dict[str, Text] = {
    Kind.REGISTRATION_PASSWORD: Text(
        _("Your password for the {{ utility_name }} personal account"),
        _("You are registered in the personal account of {{ utility_name }}.\n\n"
          "Account: {{ account_number }}\nPassword: {{ password }}\n\n"
          "Log in at {{ portal_url }} and change the password at first login."),
        _("{{ utility_name }}: account {{ account_number }}, password {{ password }}")),
    Kind.PASSWORD_RESET: Text(
        _("Password reset at {{ utility_name }}"),
        _("Someone asked to reset the password of account {{ account_number }}.\n\n"
          "To choose a new password open {{ reset_url }}\n\n"
          "If it was not you, ignore this message."),
        _("{{ utility_name }}: password reset code {{ code }}")),
    Kind.SECURITY_NOTICE: Text(
        _("Security notice from {{ utility_name }}"),
        _("{{ message }}\n\nIf it was not you, call us at {{ support_phone }}."),
        _("{{ utility_name }}: {{ message }}")),
    Kind.INVOICE_AVAILABLE: Text(
        _("Your invoice for {{ period }} is ready"),
        _("The invoice of account {{ account_number }} for {{ period }} is ready.\n"
          "Amount due: {{ amount_due }} RUB.\n\nSee and pay it at {{ portal_url }}"),
        _("{{ utility_name }}: invoice for {{ period }}, due {{ amount_due }} RUB")),
    Kind.READING_WINDOW_OPENS: Text(
        _("Meter readings are accepted from today"),
        _("Submit your meter readings for account {{ account_number }} until "
          "{{ closes_on }} at {{ portal_url }}"),
        _("{{ utility_name }}: submit meter readings until {{ closes_on }}")),
    Kind.READING_WINDOW_CLOSES: Text(
        _("Meter readings: last days"),
        _("Reading submission for account {{ account_number }} closes on {{ closes_on }}. "
          "Submit them at {{ portal_url }}"),
        _("{{ utility_name }}: readings are accepted until {{ closes_on }}")),
    Kind.PAYMENT_RECEIVED: Text(
        _("Payment received"),
        _("We received {{ amount }} RUB for account {{ account_number }} on {{ paid_on }}. "
          "Thank you!"),
        _("{{ utility_name }}: payment {{ amount }} RUB received")),
    Kind.APPEAL_STATUS: Text(
        _("Your appeal {{ appeal_number }}: {{ status }}"),
        _("The status of your appeal {{ appeal_number }} is now: {{ status }}.\n\n"
          "{{ comment }}\n\nDetails: {{ appeal_url }}"),
        _("{{ utility_name }}: appeal {{ appeal_number }} - {{ status }}")),
    Kind.DEBT_REMINDER: Text(
        _("Reminder: {{ amount_due }} RUB due on account {{ account_number }}"),
        _("The amount due on account {{ account_number }} is {{ amount_due }} RUB.\n"
          "Please pay at {{ pay_url|default:portal_url }} to avoid penalties."),
        _("{{ utility_name }}: {{ amount_due }} RUB due, account {{ account_number }}")),
    Kind.RECEIPT: Text(
        _("Your receipt for {{ period }}"),
        _("The receipt of account {{ account_number }} for {{ period }} is attached "
          "(PDF).\nAmount due: {{ amount_due }} RUB.\n\nPay it at {{ portal_url }}\n\n"
          "You get receipts by e-mail because you chose paperless receipts in the "
          "settings of your personal account."),
        _("{{ utility_name }}: receipt for {{ period }}, due {{ amount_due }} RUB")),
    Kind.READING_RECEIPT: Text(
        _("Meter readings received: {{ serial }}"),
        _("{{ utility_name }}: your meter readings were received.\n\n"
          "Account: {{ account_number }}\nMeter: {{ meter }}\nValues: {{ values }}\n"
          "Consumption: {{ consumption }}\nReceived at: {{ received_at }}\n"
          "Receipt number: {{ receipt_number }}\n\n"
          "You get this e-mail because you asked for receipts of submitted readings in "
          "the settings of your personal account."),
        _("{{ utility_name }}: readings of meter {{ serial }} received")),
    Kind.AUTOPAY_UPCOMING: Text(
        _("Autopay on {{ charge_on }}: {{ amount }} RUB"),
        _("On {{ charge_on }} autopay will charge {{ amount }} RUB for account "
          "{{ account_number }} to {{ method }} (your limit: {{ cap }} RUB).\n"
          "Change or cancel autopay at {{ settings_url }}"),
        _("{{ utility_name }}: autopay {{ amount }} RUB on {{ charge_on }}, "
          "account {{ account_number }}")),
    Kind.AUTOPAY_SUCCEEDED: Text(
        _("Autopay: {{ amount }} RUB paid"),
        _("Autopay charged {{ amount }} RUB for account {{ account_number }} on "
          "{{ paid_on }}. Thank you!"),
        _("{{ utility_name }}: autopay {{ amount }} RUB paid, account {{ account_number }}")),
    Kind.AUTOPAY_FAILED: Text(
        _("Autopay did not charge {{ amount }} RUB"),
        _("Autopay did not charge {{ amount }} RUB for account {{ account_number }}: "
          "{{ reason }}.\nPlease pay at {{ pay_url }}"),
        _("{{ utility_name }}: autopay failed, pay {{ amount }} RUB at {{ pay_url }}")),
}


def _appeal_status_label(code: str, context: dict) -> str:
    from lk_core.appeals.models import AppealStatus

    return str(AppealStatus(code).label) if code in AppealStatus.values else code


# Why autopay did not charge (lk_core.payments.autopay), as the notice's context keeps it.
AUTOPAY_OVER_CAP = "over_cap"
AUTOPAY_DECLINED = "declined"


def _autopay_failure_label(code: str, context: dict) -> str:
    if code == AUTOPAY_OVER_CAP:
        return gettext("the amount is above your limit of %(cap)s RUB") % {
            "cap": context.get("cap", "")}
    if code == AUTOPAY_DECLINED:
        return gettext("the bank declined the charge")
    return code


# Values stored plain and shown as the reader writes them, in the same language as the
# labels below (lk_core.notifications.rendering). Older rows wrote them already formatted
# in Russian; a value that does not read as plain is shown as it is.
# Amounts of money, "12345.67": "12 345,67" / "12,345.67" (lk_core.billing.money).
MONEY_PLACEHOLDERS = ("amount", "amount_due", "cap")
# Days, "2026-11-10": "10.11.2026" / "10 Nov 2026" (SHORT_DATE_FORMAT).
DATE_PLACEHOLDERS = ("closes_on", "paid_on", "charge_on")
# Billing periods, the month's first day "2026-11-01": "11.2026" / "November 2026".
MONTH_PLACEHOLDERS = ("period",)
# Moments, an aware datetime's isoformat(): in the utility's time zone,
# "10.11.2026 14:05" / "10 Nov 2026 14:05" (SHORT_DATETIME_FORMAT).
MOMENT_PLACEHOLDERS = ("received_at",)
# Meter figures, a list of plain numbers ["1749.461", "12.5"]: "1 749,461 / 12,5".
FIGURES_PLACEHOLDERS = ("values", "consumption")
# Django has no short month-and-year format; as the portal's pages name a period.
MONTH_FORMAT = pgettext_lazy("date format of a billing period in notifications", "F Y")

# Context values stored as a code and shown as its label in the reader's language (at
# read time for the inbox, in the recipient's language for e-mail and SMS), after the
# values above are formatted: kind -> {placeholder: (context key of the code,
# (code, context) -> label)}.
CODE_LABELS = {
    Kind.APPEAL_STATUS: {"status": ("status_code", _appeal_status_label)},
    Kind.AUTOPAY_FAILED: {"reason": ("reason_code", _autopay_failure_label)},
}
