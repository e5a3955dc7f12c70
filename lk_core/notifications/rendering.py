"""Turn an outbox row into the e-mail or SMS the recipient gets: staff's wording or the
built-in one, the utility's branding, and an unsubscribe link for non-essential kinds."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.template import Context, Template, TemplateSyntaxError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from lk_core.notifications.models import ESSENTIAL_KINDS, MessageTemplate, Notification
from lk_core.notifications.texts import CODE_LABELS, DEFAULT_TEXTS
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
    for name, (code_key, label) in CODE_LABELS.get(notification.kind, {}).items():
        if code_key in context:  # rows written before codes were stored carry the label
            context[name] = label(context[code_key])
    return context


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
                "portal_url": context["portal_url"]}
        return RenderedEmail(
            subject=" ".join(page["subject"].split()),
            text=render_to_string("notifications/email/message.txt", page),
            html=render_to_string("notifications/email/message.html", page),
            unsubscribe_url=page["unsubscribe_url"])


def render_sms(notification: Notification, utility, templates: TemplateCache) -> str:
    with translation.override(notification.context.get("language") or settings.LANGUAGE_CODE):
        sms = templates.template(templates.wording(notification.kind)[2])
        return _fill(sms, _context(notification, utility, templates))


@dataclass(frozen=True)
class RenderedInboxMessage:
    title: str
    text: str


def render_inbox_message(message, utility, templates: TemplateCache) -> RenderedInboxMessage:
    """An inbox message (lk_core.notifications.models.InboxMessage) in the active language:
    the e-mail's subject and text, staff's wording where they changed it. A broken staff
    template falls back to the built-in text rather than break the resident's inbox."""
    context = _context(message, utility, templates)
    subject, body, _sms = templates.wording(message.kind)
    try:
        return _inbox_fill(subject, body, context, templates)
    except TemplateSyntaxError:
        default = DEFAULT_TEXTS[message.kind]
        return _inbox_fill(str(default.subject), str(default.body), context, templates)


def _inbox_fill(subject: str, body: str, context: dict,
                templates: TemplateCache) -> RenderedInboxMessage:
    return RenderedInboxMessage(
        title=" ".join(_fill(templates.template(subject), context).split()),
        text=_fill(templates.template(body), context))
