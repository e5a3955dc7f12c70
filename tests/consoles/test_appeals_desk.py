"""The appeals desk in the staff console: the queue (scope by role, filters, emergencies
first, SLA timers in the utility's time zone), take / assign, replies that notify the
resident, internal notes the resident never sees, attachments, history; the routes'
configuration (SLA per category) audited and in effect for new appeals."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import schema_context

from lk_core.appeals import selectors, services
from lk_core.appeals.models import Appeal, AppealCategory, AppealEvent
from lk_core.notifications.models import Kind, Notification
from lk_core.staff.models import StaffAuditEvent
from lk_core.users.models import StaffRole, User
from tests.conftest import tenant_client
from tests.consoles.conftest import staff_user
from tests.portal import data
from tests.portal.test_appeals import png_bytes

BACKEND = "lk_core.identity.backends.AccountNumberBackend"


def _appeals(utility):
    """A company question, a dispatch leak (emergency, 1 h to respond), a dispatch
    complaint about noise (high priority, no SLA), each by its own resident."""
    with schema_context(utility.schema_name):
        question = AppealCategory.objects.create(name="Вопрос по начислениям",
                                                 response_hours=48, resolution_hours=120)
        leak = AppealCategory.objects.create(name="Протечка", destination="dispatch",
                                             is_emergency=True, response_hours=1,
                                             resolution_hours=24)
        noise = AppealCategory.objects.create(name="Шум насоса", destination="dispatch",
                                              priority=1)
        made = {}
        for number, (key, category) in enumerate(
                [("question", question), ("leak", leak), ("noise", noise)]):
            user, account = data.resident(f"91000{number}")
            photos = [SimpleUploadedFile("leak.png", png_bytes(), content_type="image/png")] \
                if key == "leak" else []
            made[key] = services.appeal_create(user=user, account=account,
                                               category_id=category.pk, text=f"Текст {key}",
                                               photos=photos)
        return made


@pytest.fixture
def appeals(utility_a):
    return _appeals(utility_a)


def _queue_numbers(body: str) -> list[int]:
    return [int(n) for n in re.findall(r'class="field-number"><a [^>]*>№(\d+)[ <]', body)]


def test_each_role_sees_its_destinations_emergencies_first(appeals, utility_a, staff_of):
    leak, noise, question = appeals["leak"].pk, appeals["noise"].pk, appeals["question"].pk
    expected = {StaffRole.ADMIN: [leak, noise, question], StaffRole.READONLY: [
        leak, noise, question], StaffRole.DISPATCHER: [leak, noise],
        StaffRole.OPERATOR: [question]}
    for role, numbers in expected.items():
        body = staff_of(utility_a, role).get("/staff/appeals/appeal/").content.decode()
        assert _queue_numbers(body) == numbers, role


def test_the_emergency_is_highlighted_with_its_sla_timer(appeals, utility_a, staff_of):
    body = staff_of(utility_a, StaffRole.DISPATCHER).get(
        "/staff/appeals/appeal/").content.decode()
    leak_row = body.split(f">№{appeals['leak'].pk} ", 1)[1].split("</tr>", 1)[0]
    assert 'class="desk-emergency"' in leak_row
    assert "desk-sla-ok" in leak_row
    assert re.search(r"ответ: осталось (59|60) мин<", leak_row)
    # The deadline is shown in the utility's time zone (alpha: Moscow).
    deadline = timezone.localtime(appeals["leak"].respond_by, utility_a.tzinfo)
    assert deadline.strftime("%d.%m.%Y %H:%M MSK") in leak_row
    noise_row = body.split(f">№{appeals['noise'].pk}<", 1)[1].split("</tr>", 1)[0]
    assert "desk-emergency" not in noise_row and "—" in noise_row  # no SLA


def test_sla_timer_counts_down_and_turns_overdue(appeals, utility_b, in_tenant_a):
    leak = appeals["leak"]
    start = leak.respond_by - timedelta(hours=1)  # when the SLA started
    timer = selectors.sla_timer(leak, tz=utility_b.tzinfo, now=start + timedelta(minutes=15))
    assert (timer.label, timer.seconds_left, timer.overdue) == ("respond", 45 * 60, False)
    assert timer.deadline.utcoffset() == timedelta(hours=10)  # Vladivostok, as asked
    late = selectors.sla_timer(leak, tz=utility_b.tzinfo, now=start + timedelta(hours=3))
    assert late.overdue and late.seconds_left == -2 * 3600
    # After the first reply the resolution deadline counts.
    staff = staff_user(in_tenant_a, StaffRole.DISPATCHER)
    services.appeal_reply_by_staff(appeal=leak, staff_user=staff, text="Едем")
    leak.refresh_from_db()
    timer = selectors.sla_timer(leak, tz=in_tenant_a.tzinfo, now=start + timedelta(hours=3))
    assert (timer.label, timer.seconds_left) == ("resolve", 21 * 3600)


def test_overdue_shows_in_the_queue(appeals, utility_a, staff_of):
    with schema_context(utility_a.schema_name):
        Appeal.objects.filter(pk=appeals["leak"].pk).update(
            respond_by=timezone.now() - timedelta(hours=2, minutes=5))
    body = staff_of(utility_a, StaffRole.ADMIN).get("/staff/appeals/appeal/").content.decode()
    assert "desk-sla-overdue" in body and "просрочено на 2 ч 5 мин" in body


@pytest.mark.parametrize(("query", "key"), [("destination=company", "question"),
                                            ("priority=1", "noise"),
                                            ("is_emergency__exact=1", "leak")])
def test_queue_filters(appeals, utility_a, staff_of, query, key):
    body = staff_of(utility_a, StaffRole.ADMIN).get(
        f"/staff/appeals/appeal/?{query}").content.decode()
    assert _queue_numbers(body) == [appeals[key].pk]


def test_status_and_assignee_filters(appeals, utility_a, staff_of):
    client = staff_of(utility_a, StaffRole.DISPATCHER, "disp")
    assert client.post(f"/staff/appeals/appeal/{appeals['noise'].pk}/take/").status_code == 302
    mine = client.get("/staff/appeals/appeal/?assigned=me").content.decode()
    assert _queue_numbers(mine) == [appeals["noise"].pk]
    new = client.get("/staff/appeals/appeal/?status__exact=new").content.decode()
    assert _queue_numbers(new) == [appeals["leak"].pk]


def test_dispatcher_takes_replies_and_the_resident_is_notified(appeals, utility_a, staff_of):
    leak = appeals["leak"]
    client = staff_of(utility_a, StaffRole.DISPATCHER, "disp")
    response = client.post(f"/staff/appeals/appeal/{leak.pk}/take/")
    assert response.status_code == 302
    with schema_context(utility_a.schema_name):
        me = User.objects.get(username="disp@alpha.test")
    url = f"/staff/appeals/appeal/{leak.pk}/change/"
    # As the browser posts it: the assignee select shows the dispatcher now.
    response = client.post(url, {"assignee": me.pk, "new_priority": "2", "new_status":
                                 "in_progress", "reply": "Бригада выехала", "note": ""})
    assert response.status_code == 302
    with schema_context(utility_a.schema_name):
        leak.refresh_from_db()
        assert leak.status == "in_progress" and leak.first_response_at is not None
        assert leak.assignee_id == me.pk
        kinds = list(AppealEvent.objects.filter(appeal=leak).values_list("kind", "internal"))
        assert kinds == [("created", False), ("assigned", True), ("staff_reply", False)]
        note = Notification.objects.get(kind=Kind.APPEAL_STATUS, account=leak.account)
        assert note.user_id == leak.author_id and note.recipient == leak.author.email
        assert note.context["comment"] == "Бригада выехала"
        assert note.context["status_code"] == "in_progress"  # its label: at render time


def test_take_assigns_and_starts_work(appeals, utility_a, staff_of):
    client = staff_of(utility_a, StaffRole.DISPATCHER, "disp")
    leak = appeals["leak"]
    client.post(f"/staff/appeals/appeal/{leak.pk}/take/")
    with schema_context(utility_a.schema_name):
        leak.refresh_from_db()
        assert leak.assignee.username == "disp@alpha.test" and leak.status == "in_progress"
        event = AppealEvent.objects.get(appeal=leak, kind="assigned")
        assert event.internal and event.author.username == "disp@alpha.test"


def test_assign_to_a_colleague_of_the_right_role_only(appeals, utility_a, staff_of):
    client = staff_of(utility_a, StaffRole.ADMIN, "boss")
    dispatcher = staff_user(utility_a, StaffRole.DISPATCHER, "night")
    clerk = staff_user(utility_a, StaffRole.OPERATOR, "clerk")
    url = f"/staff/appeals/appeal/{appeals['leak'].pk}/change/"
    form = client.get(url).content.decode()
    assert f'value="{dispatcher.pk}"' in form and f'value="{clerk.pk}"' not in form
    response = client.post(url, {"assignee": clerk.pk, "new_status": "new"})
    assert response.status_code == 200  # not a choice for a dispatch appeal
    response = client.post(url, {"assignee": dispatcher.pk, "new_status": "new"})
    assert response.status_code == 302
    with schema_context(utility_a.schema_name):
        assert Appeal.objects.get(pk=appeals["leak"].pk).assignee_id == dispatcher.pk
    with schema_context(utility_a.schema_name), pytest.raises(ValidationError) as refused:
        services.appeal_assign(appeal=appeals["leak"], staff_user=dispatcher, assignee=clerk)
    assert "assignee" in refused.value.message_dict


def test_internal_notes_never_reach_the_resident(appeals, utility_a, staff_of):
    leak = appeals["leak"]
    client = staff_of(utility_a, StaffRole.DISPATCHER, "disp")
    url = f"/staff/appeals/appeal/{leak.pk}/change/"
    response = client.post(url, {"note": "Жилец грубил по телефону", "new_status": "new",
                                 "new_priority": "1"})
    assert response.status_code == 302
    desk = client.get(url).content.decode()
    assert "Жилец грубил по телефону" in desk and "Внутренняя заметка" in desk
    with schema_context(utility_a.schema_name):
        leak.refresh_from_db()
        assert leak.priority == 1
        resident = tenant_client(utility_a)
        resident.force_login(leak.author, backend=BACKEND)
        page = resident.get(f"/appeals/{leak.pk}/").content.decode()
        assert "Текст leak" in page and "грубил" not in page and "Приоритет" not in page
        assert not Notification.objects.filter(account=leak.account).exists()
        assert [e.kind for e in selectors.appeal_timeline(appeal=leak).events] == ["created"]


def test_attachments_and_history_on_the_desk(appeals, utility_a, staff_of):
    leak = appeals["leak"]
    client = staff_of(utility_a, StaffRole.DISPATCHER, "disp")
    page = client.get(f"/staff/appeals/appeal/{leak.pk}/change/").content.decode()
    token = re.search(r'href="/appeals/files/(\w+)/"', page).group(1)
    assert client.get(f"/appeals/files/{token}/").status_code == 200
    assert "leak.png" in page and "Текст leak" in page
    # Customer service does not work dispatch appeals: neither the page nor the photo.
    clerk = staff_of(utility_a, StaffRole.OPERATOR, "clerk")
    assert clerk.get(f"/staff/appeals/appeal/{leak.pk}/change/").status_code == 302
    assert clerk.get(f"/appeals/files/{token}/").status_code == 404
    assert clerk.post(f"/staff/appeals/appeal/{leak.pk}/take/").status_code == 404


def test_read_only_sees_the_desk_but_changes_nothing(appeals, utility_a, staff_of):
    client = staff_of(utility_a, StaffRole.READONLY)
    leak = appeals["leak"]
    url = f"/staff/appeals/appeal/{leak.pk}/change/"
    page = client.get(url).content.decode()
    assert "Текст leak" in page and 'name="reply"' not in page
    assert client.post(url, {"reply": "Нельзя", "new_status": "answered"}).status_code == 403
    assert client.post(f"/staff/appeals/appeal/{leak.pk}/take/").status_code == 403
    with schema_context(utility_a.schema_name):
        assert list(AppealEvent.objects.filter(appeal=leak).values_list("kind", flat=True)) \
            == ["created"]


def test_bad_input_is_refused_and_changes_nothing(appeals, utility_a, staff_of):
    client = staff_of(utility_a, StaffRole.DISPATCHER)
    url = f"/staff/appeals/appeal/{appeals['leak'].pk}/change/"
    for bad in ({"new_priority": "9", "new_status": "new"},
                {"new_status": "lost"}, {"assignee": "999999", "new_status": "new"}):
        assert client.post(url, bad).status_code == 200, bad
    assert client.get("/staff/appeals/appeal/99999/change/").status_code == 302
    with schema_context(utility_a.schema_name):
        leak = Appeal.objects.get(pk=appeals["leak"].pk)
        assert (leak.status, leak.priority, leak.assignee_id) == ("new", 2, None)


def test_desk_detail_costs_three_queries(appeals, in_tenant_a, django_assert_num_queries):
    leak = appeals["leak"]
    staff = staff_user(in_tenant_a, StaffRole.DISPATCHER)
    for n in range(5):
        services.appeal_note_add(appeal=leak, staff_user=staff, text=f"заметка {n}")
    with django_assert_num_queries(3):
        detail = selectors.appeal_desk_detail(appeal=leak)
    assert len(detail.events) == 6 and len(detail.attachments) == 1


# --- categories: SLA and routes are configuration ------------------------------------------

def test_sla_change_is_audited_and_applies_to_new_appeals(utility_a, staff_of):
    with schema_context(utility_a.schema_name):
        category = AppealCategory.objects.create(name="Нет отопления", destination="dispatch")
    client = staff_of(utility_a, StaffRole.ADMIN, "boss")
    response = client.post(f"/staff/appeals/appealcategory/{category.pk}/change/", {
        "name": "Нет отопления", "destination": "dispatch", "priority": "1",
        "response_hours": "2", "resolution_hours": "12", "delivery": "desk",
        "is_active": "on", "position": "0"})
    assert response.status_code == 302, response.content.decode()[:2000]
    with schema_context(utility_a.schema_name):
        event = StaffAuditEvent.objects.get(action="appealcategory_changed")
        assert event.actor == "staff:boss@alpha.test" and event.section == "appeal_routes"
        assert event.details["response_hours"] == {"from": None, "to": 2}
        user, account = data.resident("920001")
        appeal = services.appeal_create(user=user, account=account, category_id=category.pk,
                                        text="Холодно")
        assert appeal.priority == 1
        assert appeal.resolve_by - appeal.respond_by == timedelta(hours=10)
        assert abs(appeal.respond_by - appeal.created_at - timedelta(hours=2)) \
            < timedelta(seconds=5)


@pytest.mark.parametrize("role", [role.value for role in StaffRole])
def test_only_the_administrator_changes_routes(role, utility_a, staff_of):
    client = staff_of(utility_a, role)
    response = client.post("/staff/appeals/appealcategory/add/", {
        "name": "Новая тема", "destination": "company", "priority": "2", "delivery": "desk",
        "is_active": "on", "position": "0"})
    allowed = role == StaffRole.ADMIN
    assert response.status_code == (302 if allowed else 403)
    listing = client.get("/staff/appeals/appealcategory/").status_code
    assert listing == (200 if role in (StaffRole.ADMIN, StaffRole.READONLY) else 403)
    with schema_context(utility_a.schema_name):
        assert AppealCategory.objects.filter(name="Новая тема").exists() is allowed


def test_other_tenant_staff_see_nothing_of_tenant_a(appeals, utility_a, utility_b, staff_of):
    leak = appeals["leak"]
    b_admin = staff_of(utility_b, StaffRole.ADMIN, "boss")
    assert _queue_numbers(b_admin.get("/staff/appeals/appeal/").content.decode()) == []
    assert b_admin.get(f"/staff/appeals/appeal/{leak.pk}/change/").status_code == 302
    assert b_admin.post(f"/staff/appeals/appeal/{leak.pk}/take/").status_code == 404
    # B's session on A's host is nobody's: to the login page, nothing changes.
    on_a = tenant_client(utility_a)
    on_a.cookies["lk_session"] = b_admin.cookies["lk_session"].value
    response = on_a.post(f"/staff/appeals/appeal/{leak.pk}/take/")
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    with schema_context(utility_a.schema_name):
        assert Appeal.objects.get(pk=leak.pk).assignee_id is None


def test_other_resident_never_sees_the_reply(appeals, utility_a, in_tenant_a):
    leak, question = appeals["leak"], appeals["question"]
    staff = staff_user(utility_a, StaffRole.DISPATCHER)
    services.appeal_reply_by_staff(appeal=leak, staff_user=staff, text="Ответ для жильца")
    other = tenant_client(utility_a)
    other.force_login(question.author, backend=BACKEND)
    assert other.get(f"/appeals/{leak.pk}/").status_code == 404
    assert "Ответ для жильца" not in other.get("/appeals/").content.decode()


def test_queue_page_costs_the_same_queries_for_more_appeals(appeals, utility_a, staff_of):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = staff_of(utility_a, StaffRole.ADMIN, "boss")
    client.get("/staff/appeals/appeal/")  # warm: session, content types
    with CaptureQueriesContext(connection) as few:
        client.get("/staff/appeals/appeal/")
    with schema_context(utility_a.schema_name):
        category = AppealCategory.objects.get(name="Протечка")
        for n in range(10):
            user, account = data.resident(f"95000{n}")
            services.appeal_create(user=user, account=account, category_id=category.pk,
                                   text=f"Ещё {n}")
    client.get("/staff/appeals/appeal/")  # warm again: the connection's search path
    with CaptureQueriesContext(connection) as more:
        body = client.get("/staff/appeals/appeal/").content.decode()
    assert len(_queue_numbers(body)) == 13
    assert len(more) == len(few)
