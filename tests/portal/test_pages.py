"""Every portal page for a resident with data and one without; fixed query counts;
nobody reaches another resident's objects by changing an id; other tenant."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lk_core.appeals import services as appeal_services
from lk_core.appeals.models import Appeal, AppealCategory
from lk_core.meters.models import Reading
from lk_core.notifications.models import NotificationPreference
from lk_core.portal.models import HelpPage, ResidentPreferences
from tests.portal import data
from tests.portal.test_appeals import photo

BACKEND = "lk_core.identity.backends.AccountNumberBackend"
IN_WINDOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def alice(in_tenant_a):
    user, account = data.resident("700001")
    stuff = data.history(account, months=24, meters=2)
    return user, account, stuff


@pytest.fixture
def carol(in_tenant_a):
    """Registered, but the billing system has sent nothing for her account yet."""
    return data.resident("700002")


@pytest.fixture
def category(in_tenant_a):
    return AppealCategory.objects.create(name="Протечка", destination="dispatch",
                                         is_emergency=True)


def login(client, user):
    client.force_login(user, backend=BACKEND)
    return client


def pages():
    return ["/", "/invoices/", "/charges/", "/charges/?start=2026-01&end=2026-10",
            "/charges.csv", "/meters/", "/appeals/", "/appeals/new/", "/settings/", "/help/"]


@pytest.fixture
def frozen_window(monkeypatch):
    """Pages compute 'today' in the utility's time zone; pin it inside the window."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: IN_WINDOW)


def test_every_page_with_data(client_a, alice, category, frozen_window, utility_a):
    user, account, stuff = alice
    type(utility_a).objects.filter(pk=utility_a.pk).update(dispatch_phone="+7 (4852) 00-11-22")
    login(client_a, user)
    invoice = account.invoices.order_by("-period").first()
    meter = stuff["meters"][0]
    appeal = appeal_services.appeal_create(user=user, account=account,
                                           category_id=category.pk, text="Течёт кран")
    expectations = {
        "/": ["Начало", "К оплате", "Приём показаний открыт до 25 ноября", "Протечка"],
        "/invoices/": ["Октябрь 2026", "Не оплачено", "Оплачено"],
        f"/invoices/{invoice.pk}/": ["Начисления по услугам", "Холодное водоснабжение",
                                   "Скачать квитанцию"],
        "/charges/": ["Детализация", "<svg", "Горячее водоснабжение"],
        "/meters/": ["Счётчики и показания", "Отправить", meter.serial_number],
        f"/meters/{meter.pk}/": ["История", "<svg", "169"],
        "/appeals/": ["Протечка", "Новое"],
        f"/appeals/{appeal.pk}/": ["Течёт кран", "Обращение отправлено"],
        "/appeals/new/": ["Позвоните в аварийно-диспетчерскую службу",
                          'href="tel:+7(4852)00-11-22"', "Протечка"],
        "/settings/": ["Уведомления", "Электронная квитанция", "Сменить пароль",
                        "Новая квитанция"],
        "/help/": ["Руководство пользователя", "Показания счётчиков"],
    }
    for url, needles in expectations.items():
        response = client_a.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for needle in needles:
            assert needle in body, (url, needle)


def test_every_page_without_data(client_a, carol, frozen_window):
    user, _account = carol
    login(client_a, user)
    for url in pages():
        response = client_a.get(url)
        assert response.status_code == 200, url
    assert "Пока нет данных" in client_a.get("/invoices/").content.decode()
    assert "Пока нет данных" in client_a.get("/meters/").content.decode()
    assert client_a.get("/receipts/2026-10.pdf").status_code == 404


def test_pages_need_a_resident_login(client_a, alice):
    for url in ["/invoices/", "/meters/", "/appeals/", "/settings/", "/charges/"]:
        response = client_a.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "Зарегистрироваться" in client_a.get("/").content.decode()  # the landing page


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


def test_query_counts_do_not_grow_with_history(client_a, in_tenant_a, frozen_window,
                                               category):
    small_user, small = data.resident("700010")
    big_user, big = data.resident("700011")
    small_stuff = data.history(small, months=2, meters=1)
    big_stuff = data.history(big, months=24, meters=6)
    for user, account in ((small_user, small), (big_user, big)):
        for text in ("one", "two"):
            appeal_services.appeal_create(user=user, account=account, category_id=category.pk,
                                          text=text, photos=[photo()])
    counts = {}
    for name, user, account, stuff in (("small", small_user, small, small_stuff),
                                       ("big", big_user, big, big_stuff)):
        client = login(type(client_a)(HTTP_HOST=client_a.defaults["HTTP_HOST"]), user)
        client.get("/")  # session, rules and caches settle
        invoice = account.invoices.order_by("-period").first()
        appeal = Appeal.objects.filter(account=account).first()
        urls = {"home": "/", "invoices": "/invoices/", "invoice": f"/invoices/{invoice.pk}/",
                "charges": "/charges/?start=2024-01&end=2026-10", "meters": "/meters/",
                "meter": f"/meters/{stuff['meters'][0].pk}/", "appeals": "/appeals/",
                "appeal": f"/appeals/{appeal.pk}/", "settings": "/settings/"}
        counts[name] = {page: _count(client, url) for page, url in urls.items()}
    assert counts["small"] == counts["big"]
    assert max(counts["big"].values()) <= 16, counts["big"]


def test_submit_reading_with_confirmation_steps(client_a, alice, frozen_window):
    user, _account, stuff = alice
    meter = stuff["meters"][0]  # last reading 169, about 3 a month
    login(client_a, user)
    prefix = f"m{meter.pk}"
    response = client_a.post(f"/meters/{meter.pk}/submit/", {f"{prefix}-t1": "200"})
    body = response.content.decode()
    assert response.status_code == 200 and "Подтвердите" in body
    assert f'name="{prefix}-confirm_jump" value="True"' in body
    assert not Reading.objects.filter(meter=meter, source="resident").exists()
    response = client_a.post(f"/meters/{meter.pk}/submit/",
                             {f"{prefix}-t1": "200", f"{prefix}-confirm_jump": "True"})
    assert response.status_code == 200 and "Показания приняты" in response.content.decode()
    assert Reading.objects.get(meter=meter, source="resident").t1 == Decimal(200)
    response = client_a.post(f"/meters/{meter.pk}/submit/", {f"{prefix}-t1": "abc"})
    assert response.status_code == 400 and "Введите число" in response.content.decode()


def test_submit_outside_the_window_explains(client_a, alice, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 11, 3, 9, tzinfo=dt.UTC))
    user, _account, stuff = alice
    meter = stuff["meters"][0]
    login(client_a, user)
    body = client_a.get("/meters/").content.decode()
    assert "Следующий приём: 15 ноября" in body and "<form method=\"post\" action=\"/meters" \
        not in body
    response = client_a.post(f"/meters/{meter.pk}/submit/", {f"m{meter.pk}-t1": "170"})
    assert response.status_code == 400
    assert "Следующий приём показаний начнётся 15 ноября 2026" in response.content.decode()


def test_receipt_pdf_download(client_a, alice):
    user, account, _stuff = alice
    login(client_a, user)
    response = client_a.get("/receipts/2026-10.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f"receipt-{account.number}-2026-10.pdf" in response["Content-Disposition"]
    assert client_a.get("/receipts/2026-13.pdf").status_code == 404
    assert client_a.get("/receipts/0-10.pdf").status_code == 404  # no year 0: not a 500


def test_charges_csv(client_a, alice):
    user, _account, _stuff = alice
    login(client_a, user)
    response = client_a.get("/charges.csv?start=2026-09&end=2026-10")
    text = response.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("Месяц;Услуга")
    assert len(lines) == 1 + 3 * 2 + 1
    assert lines[-1].startswith("Итого")
    response = client_a.get("/charges/?start=bad")
    assert response.status_code == 200 and "ГГГГ-ММ" in response.content.decode()


def test_appeal_with_photo_through_the_page(client_a, alice, category):
    user, _account, _stuff = alice
    login(client_a, user)
    response = client_a.post("/appeals/new/", {"category": category.pk, "text": "Протечка",
                                               "photos": [photo(), photo("b.png")]})
    assert response.status_code == 302
    appeal = Appeal.objects.get(author=user)
    assert appeal.attachments.count() == 2
    token = appeal.attachments.first().token
    image = client_a.get(f"/appeals/files/{token}/")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image["X-Content-Type-Options"] == "nosniff"
    gone = appeal.attachments.last()
    gone.file.delete(save=False)  # the row outlived its file: 404, not 500
    assert client_a.get(f"/appeals/files/{gone.token}/").status_code == 404
    response = client_a.post("/appeals/new/", {"category": category.pk, "text": "x",
                                               "photos": [photo("evil.png", b"GIF89a...")]})
    assert response.status_code == 400 and "не фотография" in response.content.decode()
    response = client_a.post(f"/appeals/{appeal.pk}/reply/", {"text": "Добавлю"})
    assert response.status_code == 302
    response = client_a.post(f"/appeals/{appeal.pk}/close/")
    appeal.refresh_from_db()
    assert appeal.status == "closed"
    assert "Ответить" not in client_a.get(f"/appeals/{appeal.pk}/").content.decode()


def test_appeal_page_without_categories_says_whom_to_contact(client_a, alice, utility_a):
    user, _account, _stuff = alice
    utility_a.support_phone = "+7 (4852) 00-33-44"
    utility_a.save(update_fields=["support_phone"])
    login(client_a, user)
    page = client_a.get("/appeals/new/").content.decode()
    assert 'data-testid="no-categories"' in page and "+7 (4852) 00-33-44" in page
    assert 'name="category"' not in page  # no form that can never be sent
    response = client_a.post("/appeals/new/", {"category": "", "text": "Протечка"})
    assert response.status_code == 400 and not Appeal.objects.filter(author=user).exists()


def test_appeal_page_with_a_category_shows_the_form(client_a, alice, category):
    user, _account, _stuff = alice
    login(client_a, user)
    page = client_a.get("/appeals/new/").content.decode()
    assert 'name="category"' in page and 'data-testid="no-categories"' not in page


def test_charges_range_reads_as_russian(client_a, alice):
    user, _account, _stuff = alice
    login(client_a, user)
    page = client_a.get("/charges/?start=2026-01&end=2026-10",
                        HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Период: Январь 2026 — Октябрь 2026" in page  # not "С Январь 2026 по ..."
    assert 'name="start" value="2026-01"' in page and 'name="end" value="2026-10"' in page


def test_charges_form_shows_the_default_range(client_a, alice):
    user, _account, _stuff = alice
    login(client_a, user)
    page = client_a.get("/charges/").content.decode()
    start = page.split('name="start"')[1].split(">")[0]
    end = page.split('name="end"')[1].split(">")[0]
    assert 'value="20' in start and 'value="20' in end  # not an empty "--------- ----"


def test_header_language_switch_becomes_the_saved_language(client_a, alice, carol):
    user, _account, _stuff = alice
    other, _other_account = carol
    for who in (user, other):
        ResidentPreferences.objects.create(user=who, language="en")
    login(client_a, user)
    response = client_a.post("/i18n/setlang/", {"language": "ru", "next": "/settings/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "ru"
    assert ResidentPreferences.objects.get(user=user).language == "ru"
    assert ResidentPreferences.objects.get(user=other).language == "en"  # not hers
    page = client_a.get("/settings/").content.decode()
    assert '<option value="ru" selected>' in page
    client_a.post("/i18n/setlang/", {"language": "xx", "next": "/settings/"})
    assert ResidentPreferences.objects.get(user=user).language == "ru"


def test_language_switch_without_login_or_saved_settings(client_a, carol):
    response = client_a.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "en"
    user, _account = carol
    login(client_a, user)
    client_a.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert not ResidentPreferences.objects.filter(user=user).exists()


def test_settings_save_and_validation(client_a, alice):
    user, _account, _stuff = alice
    login(client_a, user)
    response = client_a.post("/settings/", {"contact_phone": "8 (912) 345-67-89",
                                            "paperless_receipt": "on", "language": "en",
                                            "email_enabled": "on", "sms_enabled": "on",
                                            "kind_invoice_available": "on",
                                            "kind_appeal_status": "on"})
    assert response.status_code == 302
    preferences = ResidentPreferences.objects.get(user=user)
    assert preferences.contact_phone == "+79123456789" and preferences.paperless_receipt
    consent = NotificationPreference.objects.get(user=user)
    assert consent.email_enabled and consent.sms_enabled
    assert set(consent.muted_kinds) == {"reading_window_opens", "reading_window_closes",
                                        "payment_received", "debt_reminder"}
    page = client_a.get("/settings/").content.decode()
    assert 'name="kind_appeal_status" id="id_kind_appeal_status" checked' in page
    user.resident.refresh_from_db()
    assert user.resident.email_notices and user.resident.sms_notices
    client_a.cookies["django_language"] = "ru"
    response = client_a.post("/settings/", {"contact_phone": "12", "language": "ru"})
    assert response.status_code == 400
    assert NotificationPreference.objects.get(user=user).sms_enabled
    response = client_a.post("/settings/", {"contact_phone": "", "language": "ru",
                                            "sms_enabled": "on"})
    assert response.status_code == 400 and "укажите номер" in response.content.decode()
    assert ResidentPreferences.objects.get(user=user).contact_phone == "+79123456789"


def test_help_pages_are_sanitised(client_a, alice):
    user, _account, _stuff = alice
    HelpPage.objects.create(slug="oplata", title="Как оплатить", language="ru",
                            body="# Оплата\n\n<script>alert(1)</script>\n\n"
                                 "[ссылка](javascript:alert(2)) **важно**")
    login(client_a, user)
    body = client_a.get("/help/").content.decode()
    assert "Как оплатить" in body
    page = client_a.get("/help/oplata/").content.decode()
    assert "<strong>важно</strong>" in page
    assert "<script>" not in page and 'href="javascript:' not in page
    assert client_a.get("/help/missing/").status_code == 404
    english = client_a.get("/help/", HTTP_COOKIE="django_language=en")
    assert "Getting started" in english.content.decode()


def test_other_resident_cannot_reach_by_id(client_a, alice, category, in_tenant_a):
    user, _account, _stuff = alice
    bob, bob_account = data.resident("700003")
    bob_stuff = data.history(bob_account, months=2, meters=1)
    bob_appeal = appeal_services.appeal_create(user=bob, account=bob_account,
                                               category_id=category.pk, text="Боб",
                                               photos=[photo()])
    token = bob_appeal.attachments.get().token
    login(client_a, user)
    for url in [f"/invoices/{bob_account.invoices.first().pk}/",
                f"/meters/{bob_stuff['meters'][0].pk}/", f"/appeals/{bob_appeal.pk}/",
                f"/appeals/files/{token}/"]:
        assert client_a.get(url).status_code == 404, url
    for url in [f"/meters/{bob_stuff['meters'][0].pk}/submit/",
                f"/appeals/{bob_appeal.pk}/reply/", f"/appeals/{bob_appeal.pk}/close/"]:
        assert client_a.post(url, {"text": "x"}).status_code == 404, url
    bob_appeal.refresh_from_db()
    assert bob_appeal.status == "new"
    assert not Reading.objects.filter(meter__account=bob_account, source="resident").exists()
    # Staff whose queue has the appeal (a dispatcher: it went to the dispatch service) may
    # see the photo; customer service (the company's queue) and anonymous visitors may not.
    clerk = data.User.objects.create_user(username="clerk@alpha", kind="staff", is_staff=True,
                                          staff_role="operator")
    login(client_a, clerk)
    assert client_a.get(f"/appeals/files/{token}/").status_code == 404
    staff = data.User.objects.create_user(username="desk@alpha", kind="staff", is_staff=True,
                                          staff_role="dispatcher")
    login(client_a, staff)
    assert client_a.get(f"/appeals/files/{token}/").status_code == 200
    client_a.logout()
    assert client_a.get(f"/appeals/files/{token}/").status_code == 404


def test_other_tenant(client_a, client_b, alice, category, utility_b):
    user, account, _stuff = alice
    appeal = appeal_services.appeal_create(user=user, account=account, category_id=category.pk,
                                           text="Альфа", photos=[photo()])
    token = appeal.attachments.get().token
    login(client_a, user)
    client_b.cookies["lk_session"] = client_a.cookies["lk_session"].value
    response = client_b.get("/invoices/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client_b.get(f"/appeals/files/{token}/").status_code == 404


def test_dashboard_says_when_a_meter_s_verification_has_expired(client_a, carol):
    from tests.factories import MeterFactory

    user, account = carol
    today = dt.date.today()
    MeterFactory(account=account, serial_number="EXPIRED-1",
                 verified_until=today - dt.timedelta(days=10))
    MeterFactory(account=account, serial_number="SOON-2",
                 verified_until=today + dt.timedelta(days=10))
    body = login(client_a, user).get("/").content.decode()
    expired = body[body.index("EXPIRED-1"):].split("</li>")[0]
    soon = body[body.index("SOON-2"):].split("</li>")[0]
    assert "поверка истекла" in expired and "поверен до" not in expired
    assert "поверен до" in soon



def test_charges_tables_mark_services_never_recalculated(client_a, alice):
    """A phone hides the recalculation column of a service that was never recalculated in
    the range (all zeros); a service with a recalculation keeps it."""
    from lk_core.billing.models import ChargeLine

    user, account, _stuff = alice
    line = ChargeLine.objects.filter(account=account, period="2026-10-01").first()
    ChargeLine.objects.filter(account=account).update(recalculation=0)
    ChargeLine.objects.filter(pk=line.pk).update(recalculation=Decimal("-12.30"))
    login(client_a, user)
    page = client_a.get("/charges/?start=2026-01&end=2026-10").content.decode()
    tables = page.split("<h2>")[1:]
    recalculated = [t for t in tables if t.startswith(line.service.name)]
    others = [t for t in tables if not t.startswith(line.service.name) and "<table" in t]
    assert len(recalculated) == 1 and "no-recalculation" not in recalculated[0]
    assert "−12,30" in recalculated[0] or "-12,30" in recalculated[0]
    assert others and all('class="data no-recalculation"' in t for t in others)
