"""Configuration changes in the staff console take effect on the portal and are audited."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context
from PIL import Image

from lk_core.staff.models import StaffAuditEvent
from lk_core.users.models import StaffRole
from tenants.models import Utility
from tenants.services import utility_update_branding
from tests.conftest import tenant_client

BRANDING = {"theme": "modern", "primary_color": "#0d4f8b", "accent_color": "#ffcc00",
            "tagline": "Вода для всех", "dispatch_phone": "+7 800 100-20-30",
            "support_phone": "", "support_email": "help@alpha.test",
            "postal_address": "", "office_hours": ""}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def png(color=(200, 30, 30), size=(64, 32), fmt="PNG", name="logo.png"):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def audit(utility, action):
    with schema_context(utility.schema_name):
        return list(StaffAuditEvent.objects.filter(action=action))


def test_branding_change_shows_on_the_portal_and_is_audited(utility_a, utility_b, staff_of):
    client = staff_of(utility_a, StaffRole.ADMIN)
    response = client.post("/staff/branding/", {**BRANDING, "logo": png(),
                                                "favicon": png(size=(32, 32), name="f.png")})
    assert response.status_code == 302
    portal = tenant_client(utility_a)
    assert "--brand-primary: #0d4f8b" in portal.get("/branding.css").content.decode()
    home = portal.get("/").content.decode()
    assert "theme-modern" in home and "+7 800 100-20-30" in home
    assert 'src="/branding/logo?v=' in home and 'rel="icon" href="/branding/favicon' in home
    logo = portal.get("/branding/logo")
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"
    assert b"".join(logo.streaming_content).startswith(b"\x89PNG")
    [event] = audit(utility_a, "branding_changed")
    assert event.actor == "staff:role-admin@alpha.test"
    assert event.details["primary_color"] == {"from": utility_a.primary_color,
                                              "to": "#0d4f8b"}
    assert event.details["logo"]["to"].startswith("branding/logo-")
    # The other tenant is untouched: no logo there, its colours and audit log unchanged.
    other = tenant_client(utility_b)
    assert other.get("/branding/logo").status_code == 404
    assert utility_b.primary_color in other.get("/branding.css").content.decode()
    assert audit(utility_b, "branding_changed") == []


def test_low_contrast_colour_is_refused_with_a_translated_error(utility_a, staff_of):
    client = staff_of(utility_a, StaffRole.ADMIN)
    response = client.post("/staff/branding/", {**BRANDING, "primary_color": "#ffee88"},
                           HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    assert "контраст" in response.content.decode().lower()
    assert Utility.objects.get(pk=utility_a.pk).primary_color == utility_a.primary_color
    assert audit(utility_a, "branding_changed") == []


def test_a_non_image_logo_is_refused_and_nothing_changes(utility_a, staff_of):
    client = staff_of(utility_a, StaffRole.ADMIN)
    fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = client.post("/staff/branding/", {**BRANDING, "logo": fake})
    assert response.status_code == 200 and b"errorlist" in response.content
    fresh = Utility.objects.get(pk=utility_a.pk)
    assert fresh.logo == "" and fresh.theme == utility_a.theme


def test_service_refuses_an_svg_even_without_the_form(utility_a):
    svg = SimpleUploadedFile("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    with pytest.raises(ValidationError) as info:
        utility_update_branding(utility=utility_a, actor="tests", logo=svg)
    assert "logo" in info.value.message_dict


def test_removing_the_logo(utility_a, staff_of):
    utility_update_branding(utility=utility_a, actor="tests", logo=png())
    assert tenant_client(utility_a).get("/branding/logo").status_code == 200
    staff_of(utility_a, StaffRole.ADMIN).post("/staff/branding/",
                                              {**BRANDING, "remove_logo": "on"})
    assert Utility.objects.get(pk=utility_a.pk).logo == ""
    assert tenant_client(utility_a).get("/branding/logo").status_code == 404


def test_time_zone_change_is_used_by_the_portal_and_audited(utility_a, staff_of):
    client = staff_of(utility_a, StaffRole.ADMIN)
    assert client.post("/staff/settings/", {"timezone": "Asia/Kamchatka"}).status_code == 302
    assert Utility.objects.get(pk=utility_a.pk).timezone == "Asia/Kamchatka"
    response = tenant_client(utility_a).get("/")
    assert response.wsgi_request.tenant.timezone == "Asia/Kamchatka"
    [event] = audit(utility_a, "settings_changed")
    assert event.details == {"timezone": {"from": "Europe/Moscow", "to": "Asia/Kamchatka"}}


def test_unknown_time_zone_is_refused(utility_a, staff_of):
    response = staff_of(utility_a, StaffRole.ADMIN).post("/staff/settings/",
                                                         {"timezone": "Mars/Olympus"})
    assert response.status_code == 200 and b"errorlist" in response.content
    assert Utility.objects.get(pk=utility_a.pk).timezone == utility_a.timezone


def test_unchanged_save_writes_no_audit_row(utility_a, staff_of):
    client = staff_of(utility_a, StaffRole.ADMIN)
    client.post("/staff/settings/", {"timezone": utility_a.timezone})
    assert audit(utility_a, "settings_changed") == []


def _resident_client(utility, number):
    from tests.portal import data

    with schema_context(utility.schema_name):
        user, _account = data.resident(number)
    client = tenant_client(utility)
    with schema_context(utility.schema_name):
        client.force_login(user, backend="lk_core.identity.backends.AccountNumberBackend")
    return client


def test_reading_window_change_is_used_by_the_portal_and_audited(utility_a, utility_b,
                                                                  staff_of):
    from django.utils import timezone

    today = timezone.localdate(timezone=utility_a.tzinfo)
    other_day = 1 if today.day > 2 else 20
    client = staff_of(utility_a, StaffRole.ADMIN, "boss")
    resident = _resident_client(utility_a, "940001")
    for start, end, shown in ((today.day, today.day, "Приём показаний открыт"),
                              (other_day, other_day, "Приём показаний начнётся")):
        response = client.post("/staff/settings/", {
            "timezone": utility_a.timezone, "reading_window_start_day": start,
            "reading_window_end_day": end})
        assert response.status_code == 302
        assert shown in resident.get("/").content.decode()
    with schema_context(utility_a.schema_name):
        event = StaffAuditEvent.objects.filter(action="settings_changed").first()
        assert event.details["reading_window_start_day"]["to"] == other_day
    assert Utility.objects.get(pk=utility_b.pk).reading_window_start_day == \
        utility_b.reading_window_start_day


def test_reading_window_bad_day_is_refused(utility_a, staff_of):
    client = staff_of(utility_a, StaffRole.ADMIN, "boss")
    response = client.post("/staff/settings/", {"timezone": utility_a.timezone,
                                                "reading_window_start_day": "32"})
    assert response.status_code == 200 and "31" in response.content.decode()
    assert Utility.objects.get(pk=utility_a.pk).reading_window_start_day == \
        utility_a.reading_window_start_day


@pytest.mark.parametrize("role", [role.value for role in StaffRole])
def test_help_page_by_role_shows_on_the_portal_sanitised_and_audited(role, utility_a,
                                                                      staff_of):
    client = staff_of(utility_a, role)
    response = client.post("/staff/portal/helppage/add/", {
        "slug": "meters", "language": "ru", "title": "Как передать показания",
        "body": "**Просто**: до 25 числа.<script>alert(1)</script>", "position": "0"})
    allowed = role == StaffRole.ADMIN
    assert response.status_code == (302 if allowed else 403)
    listing = client.get("/staff/portal/helppage/").status_code
    assert listing == (200 if role in (StaffRole.ADMIN, StaffRole.READONLY) else 403)
    page = _resident_client(utility_a, "940002").get("/help/meters/")
    assert page.status_code == (200 if allowed else 404)
    with schema_context(utility_a.schema_name):
        audited = StaffAuditEvent.objects.filter(action="helppage_changed").exists()
    assert audited is allowed
    if allowed:
        body = page.content.decode()
        assert "<strong>Просто</strong>" in body and "<script>alert(1)" not in body


def test_overview_counts_open_appeals(utility_a, staff_of):
    from lk_core.appeals import services
    from lk_core.appeals.models import AppealCategory
    from lk_core.staff.selectors import overview_get
    from tests.portal import data

    with schema_context(utility_a.schema_name):
        leak = AppealCategory.objects.create(name="Протечка", destination="dispatch",
                                             is_emergency=True)
        question = AppealCategory.objects.create(name="Вопрос")
        user, account = data.resident("940003")
        for category in (leak, question, question):
            services.appeal_create(user=user, account=account, category_id=category.pk,
                                   text="Текст")
        done = services.appeal_create(user=user, account=account, category_id=leak.pk,
                                      text="Уже решено")
        services.appeal_close(appeal=done, user=user)
        figures = overview_get(utility=utility_a)
    assert (figures.open_appeals, figures.open_emergencies) == (3, 1)
    body = staff_of(utility_a, StaffRole.DISPATCHER).get("/staff/").content.decode()
    assert "Обращения в работе" in body


def test_deactivated_category_leaves_the_portal_form(utility_a, staff_of):
    from lk_core.appeals.models import AppealCategory

    with schema_context(utility_a.schema_name):
        old = AppealCategory.objects.create(name="Устаревшая тема")
    resident = _resident_client(utility_a, "940004")
    assert "Устаревшая тема" in resident.get("/appeals/new/").content.decode()
    response = staff_of(utility_a, StaffRole.ADMIN, "boss").post(
        f"/staff/appeals/appealcategory/{old.pk}/change/", {
            "name": "Устаревшая тема", "destination": "company", "priority": "2",
            "delivery": "desk", "position": "0"})  # "offered to residents" unticked
    assert response.status_code == 302
    assert "Устаревшая тема" not in resident.get("/appeals/new/").content.decode()
    with schema_context(utility_a.schema_name):
        event = StaffAuditEvent.objects.get(action="appealcategory_changed")
        assert event.details["is_active"] == {"from": True, "to": False}


@pytest.mark.parametrize("path", ["/staff/", "/staff/billing/", "/staff/appeals/appeal/"])
def test_console_pages_carry_no_inline_styles_the_csp_would_block(utility_a, utility_b,
                                                                   staff_of, path):
    """django-tenants' admin index and app list put <style> and style="" in the page;
    the consoles' Content-Security-Policy (style-src 'self') blocks them."""
    for utility in (utility_a, utility_b):
        response = staff_of(utility, StaffRole.ADMIN).get(path)
        body = response.content.decode()
        assert response.status_code == 200
        assert "style-src 'self'" in response["Content-Security-Policy"]
        assert "<style" not in body and ' style="' not in body, path
        assert 'class="app-billing module' in body  # the app list is still there
