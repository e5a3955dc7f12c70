"""Resident portal pages. Each view reads through access helpers and selectors and writes
through services; nothing here decides business rules."""

from __future__ import annotations

import csv
import datetime as dt
import math

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language

from lk_core.api.throttling import receipt_download_allowed
from lk_core.appeals import selectors as appeal_selectors
from lk_core.appeals import services as appeal_services
from lk_core.appeals.models import AppealStatus
from lk_core.appeals.responses import attachment_response
from lk_core.identity.http import client_ip
from lk_core.meters.services import ConfirmationRequired, reading_submit
from lk_core.meters.windows import window_state
from lk_core.notifications import selectors as notification_selectors
from lk_core.notifications import services as notification_services
from lk_core.notifications.rendering import TemplateCache, render_inbox_message
from lk_core.portal import charts, forms, help, pagecache, selectors, services
from lk_core.portal.access import (
    appeal_get_for_resident,
    attachment_get_for_resident,
    invoice_get_for_resident,
    meter_get_for_resident,
    portal_resident,
    resident_required,
)
from lk_core.portal.models import ResidentPreferences
from lk_core.receipts.responses import receipt_download
from lk_core.users.models import UserKind


def _today() -> dt.date:
    return timezone.localdate()  # the utility's time zone is active for the request


def _window(request: HttpRequest):
    utility = request.tenant
    return window_state(today=_today(), start_day=utility.reading_window_start_day,
                        end_day=utility.reading_window_end_day)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_authenticated and user.kind == UserKind.RESIDENT:
        return dashboard(request)
    return render(request, "portal/home.html")


@resident_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Rendered once per change of what it shows (lk_core.portal.pagecache)."""
    resident, utility, today = request.resident, request.tenant, _today()
    data_key = selectors.dashboard_cache_key(
        account=resident.account, user=resident.user, today=today,
        tenant_version=getattr(resident.resident, "tenant_data_version", None))
    key = pagecache.page_key(request, data_key=data_key, language=get_language())

    def build(csrf_token: str) -> str:
        summary = selectors.dashboard_summary(account=resident.account, user=resident.user,
                                              utility=utility, today=today)
        return render_to_string("portal/dashboard.html", {
            "summary": summary, "nav": "home", "csrf_token": csrf_token}, request=request)

    return HttpResponse(pagecache.page_html(request, key, build))


# --- invoices and charges ------------------------------------------------------------------

@require_GET
@resident_required
def invoices(request: HttpRequest) -> HttpResponse:
    rows = selectors.invoice_list(account=request.resident.account)
    return render(request, "portal/invoices.html", {"rows": rows, "nav": "invoices"})


@require_GET
@resident_required
def invoice(request: HttpRequest, invoice_id: int) -> HttpResponse:
    found = invoice_get_for_resident(resident=request.resident, invoice_id=invoice_id)
    detail = selectors.invoice_detail(invoice=found)
    return render(request, "portal/invoice.html", {"detail": detail, "nav": "invoices"})


def _report(request: HttpRequest):
    form = forms.PeriodForm(request.GET or None)
    start = end = None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    return form, selectors.charges_report_for(account=request.resident.account, start=start,
                                              end=end, today=_today())


@require_GET
@resident_required
def charges(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    if not form.is_bound and report.start:  # show the range the page shows
        form = forms.PeriodForm(initial={"start": f"{report.start:%Y-%m}",
                                         "end": f"{report.end:%Y-%m}"})
    chart = charts.stacked_bars(months=report.months, series=report.series,
                                title=_("Charges per month by service, ₽"))
    return render(request, "portal/charges.html",
                  {"form": form, "report": report, "chart": chart, "nav": "charges"})


@require_GET
@resident_required
def charges_csv(request: HttpRequest) -> HttpResponse:
    _form, report = _report(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="charges-{report.start:%Y-%m}-{report.end:%Y-%m}.csv"')
    response.write("\ufeff")  # a BOM so spreadsheet programs read UTF-8
    writer = csv.writer(response, delimiter=";")
    writer.writerow([_("Month"), _("Service"), _("Quantity"), _("Unit"), _("Tariff"),
                     _("Amount"), _("Recalculation"), _("Total")])
    for service in report.services:
        for period, row in service.rows:
            writer.writerow([f"{period:%Y-%m}", service.name, row.quantity or "", service.unit,
                             row.tariff or "", row.amount, row.recalculation, row.total])
    writer.writerow([_("Total"), "", "", "", "", report.amount, report.recalculation,
                     report.total])
    return response


@require_GET
@resident_required
def receipt_pdf(request: HttpRequest, year: int, month: int) -> HttpResponse:
    allowed, wait = receipt_download_allowed(request)
    if not allowed:
        response = render(request, "portal/receipt_throttled.html",
                          {"minutes": max(1, math.ceil(wait / 60)), "nav": "invoices"},
                          status=429)
        response["Retry-After"] = str(wait)
        return response
    return receipt_download(account=request.resident.account, year=year, month=month,
                            utility=request.tenant)


# --- meters --------------------------------------------------------------------------------

@require_GET
@resident_required
def meters(request: HttpRequest) -> HttpResponse:
    views = selectors.meter_views(account=request.resident.account, today=_today())
    rows = [(view, forms.ReadingForm(zones=view.meter.zones, prefix=f"m{view.meter.pk}"))
            for view in views]
    return render(request, "portal/meters.html",
                  {"rows": rows, "window": _window(request), "nav": "meters"})


@require_GET
@resident_required
def meter(request: HttpRequest, meter_id: int) -> HttpResponse:
    found = meter_get_for_resident(resident=request.resident, meter_id=meter_id)
    return _meter_page(request, found, forms.ReadingForm(zones=found.zones,
                                                          prefix=f"m{found.pk}"))


def _meter_page(request, found, form, question=None, status=200) -> HttpResponse:
    view = selectors.meter_views(account=request.resident.account, today=_today(),
                                 meter_id=found.pk)[0]
    chart = charts.bars(points=view.consumption()[-24:], name=view.meter.service.unit,
                        title=_("Consumption between readings"))
    return render(request, "portal/meter.html",
                  {"view": view, "form": form, "question": question, "chart": chart,
                   "window": _window(request), "nav": "meters"}, status=status)


@require_POST
@resident_required
def meter_submit(request: HttpRequest, meter_id: int) -> HttpResponse:
    resident = request.resident
    found = meter_get_for_resident(resident=resident, meter_id=meter_id)
    form = forms.ReadingForm(request.POST, zones=found.zones, prefix=f"m{found.pk}")
    if not form.is_valid():
        return _meter_page(request, found, form, status=400)
    preferences = ResidentPreferences.objects.filter(user=resident.user).first()
    try:
        receipt = reading_submit(
            user=resident.user, account=resident.account, meter=found, values=form.values(),
            confirm_rollover=form.cleaned_data["confirm_rollover"],
            confirm_jump=form.cleaned_data["confirm_jump"], channel="web",
            utility=request.tenant,
            email_receipt=bool(preferences and preferences.email_reading_receipt))
    except ConfirmationRequired as question:
        data = request.POST.copy()
        data[form.add_prefix(f"confirm_{question.kind}")] = "True"
        confirm = forms.ReadingForm(data, zones=found.zones, prefix=f"m{found.pk}")
        confirm.is_valid()
        return _meter_page(request, found, confirm, question=question)
    except ValidationError as error:
        for field, problems in error.message_dict.items() if hasattr(
                error, "error_dict") else [(None, error.messages)]:
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
        return _meter_page(request, found, form, status=400)
    return render(request, "portal/reading_receipt.html",
                  {"receipt": receipt, "nav": "meters"})


# --- appeals -------------------------------------------------------------------------------

@require_GET
@resident_required
def appeals(request: HttpRequest) -> HttpResponse:
    rows = appeal_selectors.appeal_list(account=request.resident.account,
                                        user=request.resident.user)
    return render(request, "portal/appeals.html", {"rows": rows, "nav": "appeals"})


@resident_required
def appeal_new(request: HttpRequest) -> HttpResponse:
    resident = request.resident
    categories = list(appeal_selectors.appeal_categories())
    form = forms.AppealForm(request.POST or None, request.FILES or None, categories=categories)
    status = 200
    if request.method == "POST":
        if resident.account is None:
            raise Http404
        if form.is_valid():
            try:
                created = appeal_services.appeal_create(
                    user=resident.user, account=resident.account,
                    category_id=form.cleaned_data["category"], text=form.cleaned_data["text"],
                    photos=form.cleaned_data["photos"])
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
            else:
                messages.success(request, _("Your appeal was sent."))
                return redirect("portal-appeal", appeal_id=created.pk)
        status = 400
    emergency = [c for c in categories if c.is_emergency]
    return render(request, "portal/appeal_new.html",
                  {"form": form, "emergency": emergency, "categories": categories,
                   "nav": "appeals"}, status=status)


@require_GET
@resident_required
def appeal(request: HttpRequest, appeal_id: int) -> HttpResponse:
    found = appeal_get_for_resident(resident=request.resident, appeal_id=appeal_id)
    return _appeal_page(request, found, forms.ReplyForm())


def _appeal_page(request, found, form, status=200) -> HttpResponse:
    timeline = appeal_selectors.appeal_timeline(appeal=found)
    return render(request, "portal/appeal.html",
                  {"timeline": timeline, "form": form, "closed": found.status ==
                   AppealStatus.CLOSED, "nav": "appeals"}, status=status)


@require_POST
@resident_required
def appeal_reply(request: HttpRequest, appeal_id: int) -> HttpResponse:
    found = appeal_get_for_resident(resident=request.resident, appeal_id=appeal_id)
    form = forms.ReplyForm(request.POST)
    if form.is_valid():
        try:
            appeal_services.appeal_reply_by_resident(appeal=found, user=request.resident.user,
                                                     text=form.cleaned_data["text"])
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        else:
            return redirect("portal-appeal", appeal_id=found.pk)
    return _appeal_page(request, found, form, status=400)


@require_POST
@resident_required
def appeal_close(request: HttpRequest, appeal_id: int) -> HttpResponse:
    found = appeal_get_for_resident(resident=request.resident, appeal_id=appeal_id)
    try:
        appeal_services.appeal_close(appeal=found, user=request.resident.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect("portal-appeal", appeal_id=found.pk)


@require_GET
def appeal_attachment(request: HttpRequest, token: str) -> HttpResponse:
    """Photos are never public media: the owner resident or this utility's staff only."""
    user = request.user
    if user.is_authenticated and user.kind == UserKind.STAFF and user.is_staff:
        # Staff see the photos of the appeals in their own queue (role and destination).
        attachment = appeal_selectors.attachment_get_for_staff(user=user, token=token)
    elif user.is_authenticated and user.kind == UserKind.RESIDENT:
        attachment = attachment_get_for_resident(resident=portal_resident(request), token=token)
    else:
        raise Http404
    return attachment_response(attachment)


# --- settings and help ---------------------------------------------------------------------

def language_set(request: HttpRequest) -> HttpResponse:
    """Django's language switch (cookie and redirect); a logged-in resident's saved
    language follows, so the settings page and e-mails agree with what they read."""
    response = set_language(request)
    if request.method == "POST" and response.status_code in (200, 302):
        services.preferences_language_set(user=request.user,
                                          language=request.POST.get("language", ""))
    return response


@resident_required
def settings_page(request: HttpRequest) -> HttpResponse:
    user = request.resident.user
    form = forms.SettingsForm(request.POST or None, initial=_settings_initial(user))
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.preferences_update(
                user=user, contact_phone=form.cleaned_data["contact_phone"],
                paperless_receipt=form.cleaned_data["paperless_receipt"],
                language=form.cleaned_data["language"],
                email_reading_receipt=form.cleaned_data["email_reading_receipt"],
                email_enabled=form.cleaned_data["email_enabled"],
                sms_enabled=form.cleaned_data["sms_enabled"], muted_kinds=form.muted_kinds(),
                ip=client_ip(request))
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, _("Settings saved."))
            response = redirect("portal-settings")
            response.set_cookie("django_language", saved.language, samesite="Lax",
                                max_age=365 * 24 * 3600)
            return response
    return render(request, "portal/settings.html",
                  {"form": form, "nav": "settings"}, status=400 if form.errors else 200)


def _settings_initial(user) -> dict:
    shown = selectors.resident_settings(user=user)
    muted = set(shown.muted_kinds)
    initial = {"contact_phone": shown.contact_phone,
               "paperless_receipt": shown.paperless_receipt,
               "email_reading_receipt": shown.email_reading_receipt,
               "language": shown.language, "email_enabled": shown.email_enabled,
               "sms_enabled": shown.sms_enabled}
    initial.update({f"kind_{kind}": kind not in muted for kind, _l in forms.OPTIONAL_KINDS})
    return initial


@require_GET
def help_index(request: HttpRequest) -> HttpResponse:
    language = get_language() or "ru"
    return render(request, "portal/help.html",
                  {"guide": help.guide(language[:2]), "pages": help.help_pages(language=language),
                   "nav": "help"})


@require_GET
def help_page(request: HttpRequest, slug: str) -> HttpResponse:
    page = help.help_page_get(slug=slug, language=get_language() or "ru")
    return render(request, "portal/help_page.html",
                  {"page": page, "body": help.markdown_render(page.body), "nav": "help"})


# --- notifications (the inbox the app shows too) ---------------------------------------------

INBOX_PAGE_SIZE = 20


@require_GET
@resident_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = request.resident.user
    page = Paginator(notification_selectors.inbox_for_user(user=user), INBOX_PAGE_SIZE
                     ).get_page(request.GET.get("page"))
    templates = TemplateCache(request.tenant)
    rows = [(message, render_inbox_message(message, request.tenant, templates))
            for message in page]
    return render(request, "portal/inbox.html",
                  {"rows": rows, "page": page, "nav": "inbox",
                   "unread": notification_selectors.inbox_unread_count(user=user)})


@require_POST
@resident_required
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    notification_services.inbox_mark_all_read(user=request.resident.user)
    return redirect("portal-inbox")
