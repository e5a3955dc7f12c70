"""Help pages and the utility's public branding: what the app needs before anyone signs
in. Each utility's pages, logo and settings are its own."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lk_core.identity.services import identity_settings_update
from lk_core.portal.models import HelpPage
from tenants.services import utility_update_branding
from tests.api.conftest import api_client
from tests.payments.conftest import configure
from tests.portal.test_appeals import png_bytes


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def pages(utility_a, utility_b, in_schema):
    with in_schema(utility_a):
        HelpPage.objects.create(slug="tariffs", language="ru", title="Тарифы", position=1,
                                body="# Тарифы\n\n<script>alert(1)</script>\n\n"
                                     "[Сайт](javascript:alert(2)) и **вода**")
        HelpPage.objects.create(slug="tariffs", language="en", title="Tariffs", position=1,
                                body="Water is **cheap**.")
        HelpPage.objects.create(slug="office", language="ru", title="Офис", position=2,
                                body="Ул. Ленина, 1")
    with in_schema(utility_b):
        HelpPage.objects.create(slug="beta-only", language="ru", title="Бета", body="Бета")


def test_help_index_in_russian_and_english(utility_a, pages):
    ru = api_client(utility_a).get("/api/v1/help/").json()
    assert [(p["slug"], p["title"]) for p in ru["pages"]] == [("tariffs", "Тарифы"),
                                                             ("office", "Офис")]
    assert ru["guide"]["language"] == "ru" and "<h2>" in ru["guide"]["html"]
    assert ru["guide"]["markdown"].startswith("## ")
    en = api_client(utility_a, HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/help/").json()
    assert [(p["slug"], p["title"]) for p in en["pages"]] == [("tariffs", "Tariffs")]
    assert en["guide"]["title"] == "Help" and "Getting started" in en["guide"]["html"]


def test_help_page_is_sanitised_and_keeps_its_source(utility_a, pages):
    page = api_client(utility_a).get("/api/v1/help/tariffs/").json()
    assert page["title"] == "Тарифы" and page["language"] == "ru"
    assert "<script" not in page["html"] and "&lt;script&gt;" in page["html"]
    assert "href" not in page["html"]  # no javascript: link
    assert "<strong>вода</strong>" in page["html"]
    assert "<script>alert(1)</script>" in page["markdown"]  # the source, as staff wrote it
    english = api_client(utility_a, HTTP_ACCEPT_LANGUAGE="en")
    assert english.get("/api/v1/help/tariffs/").json()["html"] == (
        "<p>Water is <strong>cheap</strong>.</p>\n")
    # A page that exists only in Russian is shown in Russian.
    assert english.get("/api/v1/help/office/").json()["language"] == "ru"


def test_unknown_and_other_utilitys_pages_are_404(utility_a, utility_b, pages):
    client = api_client(utility_a, HTTP_ACCEPT_LANGUAGE="en")
    for path in ("/api/v1/help/nothing/", "/api/v1/help/beta-only/"):
        response = client.get(path)
        assert response.status_code == 404 and response.json()["message"] == "Not found."
    assert api_client(utility_b).get("/api/v1/help/beta-only/").json()["title"] == "Бета"
    assert api_client(utility_b).get("/api/v1/help/tariffs/").status_code == 404


def test_branding_without_logo_and_with_defaults(utility_a):
    body = api_client(utility_a, HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/utility/").json()
    assert body["name"] == "Alpha Water" and body["primary_color"] == "#0b5cad"
    assert body["logo_url"] is None and body["favicon_url"] is None
    assert body["payments"] == {"card": False, "sbp": False, "currency": "RUB"}
    assert body["languages"] == [{"code": "ru", "name": "Russian"},
                                 {"code": "en", "name": "English"}]
    assert body["default_language"] == "ru"
    assert (body["registration_method"], body["self_registration"]) == ("amount", True)


def test_branding_logo_urls_are_absolute_and_serve_the_image(utility_a, in_schema):
    utility_update_branding(utility=utility_a, actor="tests", dispatch_phone="112",
                            logo=SimpleUploadedFile("logo.png", png_bytes()),
                            favicon=SimpleUploadedFile("icon.png", png_bytes()))
    client = api_client(utility_a)
    body = client.get("/api/v1/utility/").json()
    assert body["dispatch_phone"] == "112"
    assert body["logo_url"].startswith("http://alpha.localhost/branding/logo?v=")
    assert body["favicon_url"].startswith("http://alpha.localhost/branding/favicon?v=")
    image = client.get(body["logo_url"].removeprefix("http://alpha.localhost"))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == png_bytes()


def test_branding_payments_and_registration_follow_the_tenant(utility_a, utility_b, in_schema):
    with in_schema(utility_a):
        configure("yookassa", sbp_enabled=True)
        identity_settings_update(registration_method="office", actor=None)
    alpha = api_client(utility_a).get("/api/v1/utility/").json()
    assert alpha["payments"] == {"card": True, "sbp": True, "currency": "RUB"}
    assert (alpha["registration_method"], alpha["self_registration"]) == ("office", False)
    beta = api_client(utility_b).get("/api/v1/utility/").json()
    assert beta["payments"]["card"] is False and beta["self_registration"] is True


def _local_today(utility) -> dt.date:
    return timezone.localtime(timezone.now(), utility.tzinfo).date()


def test_reading_window_in_the_utilitys_time_zone(utility_b):
    # Beta runs on Vladivostok time: "today" and the window are counted there.
    today = _local_today(utility_b)
    day = today.day % 28 + 1  # another day than today, in every month
    utility_b.reading_window_start_day = utility_b.reading_window_end_day = day
    utility_b.save(update_fields=["reading_window_start_day", "reading_window_end_day"])
    window = api_client(utility_b).get("/api/v1/utility/").json()["reading_window"]
    year, month = (today.year, today.month) if day > today.day else (
        (today.year + today.month // 12, today.month % 12 + 1))
    opens = dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))
    assert window == {"start_day": day, "end_day": day, "timezone": "Asia/Vladivostok",
                      "today": today.isoformat(), "is_open": False, "current": None,
                      "next": {"opens_on": opens.isoformat(), "closes_on": opens.isoformat()}}
    utility_b.reading_window_start_day, utility_b.reading_window_end_day = 1, 31
    utility_b.save(update_fields=["reading_window_start_day", "reading_window_end_day"])
    window = api_client(utility_b).get("/api/v1/utility/").json()["reading_window"]
    assert window["is_open"] is True and window["current"]["opens_on"] <= today.isoformat()
