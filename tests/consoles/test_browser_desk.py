"""In Chromium against the live server: a resident sends an emergency appeal from a phone;
a dispatcher logs into /staff/, finds it first in the queue, highlighted, with its SLA
timer, takes it and replies; the resident sees the reply in the portal."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.db import connection

from tests.conftest import screenshot
from tests.portal import data

pytestmark = pytest.mark.browser

SLUG = "deskdemo"
NUMBER = "770001"
DISPATCHER = "dispatcher@deskdemo.test"
DISPATCHER_PASSWORD = "Dispatcher-Browser-2026"


@pytest.fixture
def desk_utility(django_db_setup, django_db_blocker):
    """Committed data in a utility of its own (the live server must see it); removed at the
    end so other modules never see it."""
    from lk_core.appeals import services
    from lk_core.appeals.models import AppealCategory
    from lk_core.users.models import StaffRole, User, UserKind
    from tenants.services import utility_create, utility_delete

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        utility = utility_create(slug=SLUG, name="МУП «Диспетчерская»", actor="tests",
                                 send_staff_email=False, timezone_name="Asia/Novosibirsk",
                                 dispatch_phone="+7 (383) 000-11-22").utility
        try:
            connection.set_tenant(utility)
            user, _account = data.resident(NUMBER)
            AppealCategory.objects.create(name="Протечка", destination="dispatch",
                                          is_emergency=True, response_hours=1,
                                          resolution_hours=24)
            noise = AppealCategory.objects.create(name="Шум в подвале", destination="dispatch",
                                                  response_hours=48)
            # An older, ordinary dispatch appeal: the emergency must still come first.
            neighbour, neighbour_account = data.resident("770002")
            services.appeal_create(user=neighbour, account=neighbour_account,
                                   category_id=noise.pk, text="Гудит насос по ночам")
            User.objects.create_user(
                username=DISPATCHER, email=DISPATCHER, password=DISPATCHER_PASSWORD,
                kind=UserKind.STAFF, staff_role=StaffRole.DISPATCHER, is_staff=True)
            connection.set_schema_to_public()
            yield SimpleNamespace(utility=utility, user=user)
        finally:
            connection.set_schema_to_public()
            utility_delete(utility=utility, actor="tests")
            connection.close()


def test_database_is_ready(db):
    # Builds the test database when this module runs alone (see test_browser_portal).
    from tenants.models import Utility

    assert Utility.objects.filter(slug="alpha").exists()


def test_dispatcher_answers_an_emergency_appeal(desk_utility, live_server_url, phone_page,
                                                desktop_page):
    base = live_server_url.format(host=f"{SLUG}.localhost")

    # The resident, on a phone: an emergency appeal.
    resident = phone_page
    resident.goto(base + "/login/")
    resident.locator("input[name=account_number]").fill(NUMBER)
    resident.locator("input[name=password]").fill(data.PASSWORD)
    resident.locator("form button[type=submit], form input[type=submit]").last.click()
    resident.wait_for_url(base + "/")
    resident.goto(base + "/appeals/new/")
    resident.get_by_label("Тема").select_option(label="Протечка")
    resident.get_by_label("Что случилось").fill("Прорвало трубу в подвале, вода прибывает")
    resident.get_by_role("button", name="Отправить").click()
    resident.get_by_text("Обращение отправлено").first.wait_for()
    appeal_url = resident.url
    number = re.search(r"/appeals/(\d+)/", appeal_url).group(1)

    # The dispatcher, at the desk: the emergency first, highlighted, with its SLA timer.
    desk = desktop_page
    desk.goto(base + "/staff/")
    desk.locator("#id_username").fill(DISPATCHER)
    desk.locator("#id_password").fill(DISPATCHER_PASSWORD)
    desk.locator("input[type=submit]").click()
    desk.wait_for_url(base + "/staff/")
    desk.goto(base + "/staff/appeals/appeal/")
    first = desk.locator("#result_list tbody tr").first
    assert f"№{number}" in first.inner_text()
    assert first.locator(".desk-emergency").inner_text() == "Авария"
    assert first.locator("td").first.evaluate(
        "el => getComputedStyle(el).backgroundColor") == "rgb(253, 232, 232)"
    timer = first.locator(".desk-sla")
    assert "desk-sla-ok" in timer.get_attribute("class")
    assert re.fullmatch(r"ответ: осталось (59|60) мин", timer.inner_text())
    assert "+07" in timer.get_attribute("data-deadline")  # Novosibirsk time
    second = desk.locator("#result_list tbody tr").nth(1)
    assert "Гудит насос" not in first.inner_text() and second.locator(
        ".desk-emergency").count() == 0
    screenshot(desk, "console-desk-queue-emergency-first")

    first.get_by_role("link", name=f"№{number}").click()
    desk.get_by_role("button", name="Взять в работу").click()
    desk.locator(".messagelist .success").wait_for()
    assert "Обращение назначено на вас." in desk.locator(".messagelist").inner_text()
    desk.locator("#id_reply").fill("Бригада АДС выехала, будет через 20 минут.")
    desk.locator("#id_new_status").select_option("in_progress")
    desk.locator("#id_note").fill("Перекрыть стояк до приезда бригады")
    screenshot(desk, "console-desk-reply")
    desk.locator("input[name=_continue]").click()
    desk.locator(".messagelist .success").wait_for()
    history = desk.locator(".desk-history").inner_text()
    assert "Бригада АДС выехала" in history and "Перекрыть стояк" in history
    assert "только сотрудникам" in history
    screenshot(desk, "console-desk-answered")
    # The same appeal on a dispatcher's phone: the history is read, not cut off on the right.
    desk.set_viewport_size({"width": 390, "height": 844})
    desk.reload()
    cells = desk.locator(".desk-history td").evaluate_all(
        "tds => tds.map(td => [td.getBoundingClientRect().right, td.scrollWidth, td.clientWidth])")
    assert cells and all(right <= 390 and scroll <= client
                         for right, scroll, client in cells), cells
    screenshot(desk, "console-desk-answered-phone")

    # The resident sees the reply (and not the internal note).
    resident.goto(appeal_url)
    main = resident.locator("main").inner_text()
    assert "Бригада АДС выехала, будет через 20 минут." in main
    assert "Перекрыть стояк" not in main
    assert resident.get_by_test_id("appeal-status").inner_text() == "В работе"
    screenshot(resident, "portal-appeal-answered-phone")
