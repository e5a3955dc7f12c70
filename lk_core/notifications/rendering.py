"""Turn an outbox row into the e-mail or SMS the recipient gets: staff's wording or the
built-in one, the utility's branding, and an unsubscribe link for non-essential kinds."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.template import Context, Template, TemplateSyntaxError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from lk_core.billing.money import money, quantity
from lk_core.notifications.models import ESSENTIAL_KINDS, Kind, MessageTemplate, Notification
from lk_core.notifications.texts import (
    CODE_LABELS,
    DATE_PLACEHOLDERS,
    DEFAULT_TEXTS,
    FIGURES_PLACEHOLDERS,
    MOMENT_PLACEHOLDERS,
    MONEY_PLACEHOLDERS,
    MONTH_FORMAT,
    MONTH_PLACEHOLDERS,
)
from tenants.urls import utility_url

UNSUBSCRIBE_SALT = "lk.notifications.unsubscribe"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    unsubscribe_url: str


def unsubscribe_token(*, schema: str, user_id: int, kind: str) -> str:
    return signing.dumps({"s": schema, "u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT,
                         compress=True)


def unsubscribe_token_read(token: str) -> dict:
    """The signed payload, or signing.BadSignature. No expiry: a link in an old e-mail
    must still work (the payload only ever turns messages off)."""
    return signing.loads(token, salt=UNSUBSCRIBE_SALT)


def _fill(template: Template, context: dict) -> str:
    return template.render(Context(context, autoescape=False)).strip()


class TemplateCache:
    """What a batch shares: staff overrides and compiled templates (compiling them per
    message was most of the cost), and the utility's portal address."""

    def __init__(self, utility) -> None:
        self.rows = {row.kind: row for row in MessageTemplate.objects.all()}
        self.portal_url = utility_url(utility, "/")
        self.compiled: dict[str, Template] = {}

    def template(self, text: str) -> Template:
        if text not in self.compiled:
            self.compiled[text] = Template(text)
        return self.compiled[text]

    def wording(self, kind: str) -> tuple[str, str, str]:
        default, custom = DEFAULT_TEXTS[kind], self.rows.get(kind)
        return ((custom and custom.email_subject) or str(default.subject),
                (custom and custom.email_body) or str(default.body),
                (custom and custom.sms_text) or str(default.sms))


def _context(notification, utility, templates: TemplateCache) -> dict:
    # An outbox row or an inbox message: both carry `context`.
    context = {**notification.context, "utility_name": utility.name,
               "portal_url": templates.portal_url, "support_phone": utility.support_phone}
    _localise(context, utility.tzinfo)
    for name, (code_key, label) in CODE_LABELS.get(notification.kind, {}).items():
        if code_key in context:  # rows written before codes were stored carry the label
            context[name] = label(context[code_key], context)
    if notification.kind == Kind.APPEAL_STATUS:
        context["appeal_url"] = _appeal_url(context.get("appeal_number"), templates)
    return context


def _localise(context: dict, tz) -> None:
    """Plain values (lk_core.notifications.texts) as the active language writes them."""
    formatters = [(MONEY_PLACEHOLDERS, money),  # older "1234,56" reads too
                  (DATE_PLACEHOLDERS, lambda value: _day(value, "SHORT_DATE_FORMAT")),
                  (MONTH_PLACEHOLDERS, lambda value: _day(value, str(MONTH_FORMAT))),
                  (MOMENT_PLACEHOLDERS, lambda value: _moment(value, tz)),
                  (FIGURES_PLACEHOLDERS, _figures)]
    for names, formatter in formatters:
        for name in names:
            if name in context:
                context[name] = formatter(context[name])


def _parsed(parse, value):
    """parse(value) for a string in its form, else None (older rows: formatted text)."""
    try:
        return parse(value) if isinstance(value, str) else None
    except ValueError:  # the form, not a real date ("2026-02-30")
        return None


def _day(value, format_name: str) -> str:
    day = _parsed(parse_date, value)
    return str(value) if day is None else date_format(day, format_name)


def _moment(value, tz) -> str:
    moment = _parsed(parse_datetime, value)
    if moment is None or timezone.is_naive(moment):
        return str(value)
    return date_format(timezone.localtime(moment, tz), "SHORT_DATETIME_FORMAT")


def _figures(value) -> str:
    if not isinstance(value, list):  # older rows: "1 749,461 / 12,5" as written
        return str(value)
    return " / ".join(quantity(figure) for figure in value)


def _appeal_url(number, templates: TemplateCache) -> str:
    """The appeal's own page on the utility's host (derived when rendered, so rows written
    before the link existed get it too); the portal's home without a usable number."""
    if not str(number or "").isdigit():
        return templates.portal_url
    path = reverse("portal-appeal", urlconf=settings.ROOT_URLCONF, args=[int(number)])
    return templates.portal_url.rstrip("/") + path


def page_url(context: dict) -> str:
    """The page a message is about: the e-mail's button and the inbox's link open it."""
    return context.get("appeal_url") or context["portal_url"]


def _unsubscribe_url(notification: Notification, utility, templates: TemplateCache) -> str:
    if notification.kind in ESSENTIAL_KINDS or notification.user_id is None:
        return ""
    token = unsubscribe_token(schema=utility.schema_name, user_id=notification.user_id,
                              kind=notification.kind)
    return templates.portal_url.rstrip("/") + reverse("notifications:unsubscribe",
                                                      args=[token])


def render_email(notification: Notification, utility, templates: TemplateCache
                 ) -> RenderedEmail:
    with translation.override(notification.context.get("language") or settings.LANGUAGE_CODE):
        subject, body, _sms = templates.wording(notification.kind)
        context = _context(notification, utility, templates)
        text = _fill(templates.template(body), context)
        page = {"utility": utility, "subject": _fill(templates.template(subject), context),
                "text": text,
                "unsubscribe_url": _unsubscribe_url(notification, utility, templates),
                "portal_url": context["portal_url"], "page_url": page_url(context),
                "page_label": _page_label(notification.kind)}
        return RenderedEmail(
            subject=" ".join(page["subject"].split()),
            text=render_to_string("notifications/email/message.txt", page),
            html=render_to_string("notifications/email/message.html", page),
            unsubscribe_url=page["unsubscribe_url"])


def render_sms(notification: Notification, utility, templates: TemplateCache) -> str:
    with translation.override(notification.context.get("language") or settings.LANGUAGE_CODE):
        sms = templates.template(templates.wording(notification.kind)[2])
        return _fill(sms, _context(notification, utility, templates))


def _page_label(kind: str) -> str:
    return str(_("Open the appeal") if kind == Kind.APPEAL_STATUS
               else _("Open the personal account"))


@dataclass(frozen=True)
class RenderedInboxMessage:
    title: str
    text: str
    url: str = ""  # the page the message is about, when it is not just the portal
    url_label: str = ""


def render_inbox_message(message, utility, templates: TemplateCache) -> RenderedInboxMessage:
    """An inbox message (lk_core.notifications.models.InboxMessage) in the active language:
    the e-mail's subject and text, staff's wording where they changed it. A broken staff
    template falls back to the built-in text rather than break the resident's inbox."""
    context = _context(message, utility, templates)
    subject, body, _sms = templates.wording(message.kind)
    try:
        return _inbox_fill(message.kind, subject, body, context, templates)
    except TemplateSyntaxError:
        default = DEFAULT_TEXTS[message.kind]
        return _inbox_fill(message.kind, str(default.subject), str(default.body), context,
                           templates)


def _inbox_fill(kind: str, subject: str, body: str, context: dict,
                templates: TemplateCache) -> RenderedInboxMessage:
    url = page_url(context)
    return RenderedInboxMessage(
        title=" ".join(_fill(templates.template(subject), context).split()),
        text=_fill(templates.template(body), context),
        url=url if url != context["portal_url"] else "",
        url_label=_page_label(kind) if url != context["portal_url"] else "")
