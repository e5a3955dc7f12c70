"""Appeals: routing, attachment checks, the timeline, and who may see what."""

from __future__ import annotations

import io
import re

import pytest
import segno
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from lk_core.appeals import selectors, services
from lk_core.appeals.models import Appeal, AppealCategory
from tests.portal import data


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    segno.make("leak").save(buffer, kind="png", scale=3)
    return buffer.getvalue()


def photo(name="leak.png", content=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes() if content is None else content,
                              content_type="image/png")


@pytest.fixture
def categories(in_tenant_a):
    leak = AppealCategory.objects.create(name="Протечка", destination="dispatch",
                                         is_emergency=True)
    billing = AppealCategory.objects.create(name="Вопрос по начислениям",
                                            destination="company", department="Абонентский отдел")
    hidden = AppealCategory.objects.create(name="Старая тема", is_active=False)
    return leak, billing, hidden


def test_routing_is_copied_from_the_category(categories):
    leak, billing, _hidden = categories
    user, account = data.resident("600001")
    urgent = services.appeal_create(user=user, account=account, category_id=leak.pk,
                                    text="Течёт труба в ванной")
    question = services.appeal_create(user=user, account=account, category_id=billing.pk,
                                      text="Почему так много?")
    assert (urgent.destination, urgent.is_emergency) == ("dispatch", True)
    assert (question.destination, question.department) == ("company", "Абонентский отдел")
    billing.department = "Другой отдел"
    billing.save()
    question.refresh_from_db()
    assert question.department == "Абонентский отдел"


def test_photo_is_sniffed_stored_per_tenant(categories, in_tenant_a):
    leak, *_ = categories
    user, account = data.resident("600002")
    appeal = services.appeal_create(user=user, account=account, category_id=leak.pk,
                                    text="Фото", photos=[photo("снимок.jpg")])
    attachment = appeal.attachments.get()
    assert attachment.content_type == "image/png"  # the content, not the name, decides
    assert attachment.original_name == "снимок.jpg"
    assert attachment.file.name.endswith(".png") and "снимок" not in attachment.file.name
    assert default_storage.path(attachment.file.name).startswith(
        str(default_storage.base_location))
    assert f"/{in_tenant_a.schema_name}/" in default_storage.path(attachment.file.name)


@pytest.mark.parametrize("photos,message", [
    ([SimpleUploadedFile("x.png", b"<svg onload=alert(1)>")], "не фотография в формате JPEG"),
    ([photo()] * 4, "не больше 3 фотографий"),
    ([SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024))],
     "больше 5 МБ"),
])
def test_bad_photos_are_refused_and_nothing_saved(categories, photos, message):
    leak, *_ = categories
    user, account = data.resident("600003")
    with pytest.raises(ValidationError) as error:
        services.appeal_create(user=user, account=account, category_id=leak.pk, text="x",
                               photos=photos)
    assert message in " ".join(error.value.message_dict["photos"])
    assert not Appeal.objects.exists()


def test_missing_or_inactive_category_and_empty_text(categories):
    _leak, _billing, hidden = categories
    user, account = data.resident("600004")
    with pytest.raises(ValidationError) as error:
        services.appeal_create(user=user, account=account, category_id=hidden.pk, text=" ")
    assert set(error.value.message_dict) == {"category", "text"}


def test_timeline_replies_and_close(categories, django_assert_num_queries):
    leak, *_ = categories
    user, account = data.resident("600005")
    staff = data.User.objects.create_user(username="desk", kind="staff", is_staff=True)
    appeal = services.appeal_create(user=user, account=account, category_id=leak.pk,
                                    text="Нет воды")
    services.appeal_reply_by_staff(appeal=appeal, staff_user=staff, text="Бригада выехала")
    services.appeal_reply_by_resident(appeal=appeal, user=user, text="Спасибо, ждём")
    services.appeal_close(appeal=appeal, user=user)
    with django_assert_num_queries(2):
        timeline = selectors.appeal_timeline(appeal=appeal)
    assert [e.kind for e in timeline.events] == ["created", "staff_reply", "resident_reply",
                                                 "closed"]
    appeal.refresh_from_db()
    assert appeal.status == "closed" and appeal.closed_at is not None
    with pytest.raises(ValidationError):
        services.appeal_reply_by_resident(appeal=appeal, user=user, text="Ещё")
    with pytest.raises(ValidationError):
        services.appeal_close(appeal=appeal, user=user)


def test_list_shows_only_own_appeals(categories):
    leak, *_ = categories
    user, account = data.resident("600006")
    bob, bob_account = data.resident("600007")
    services.appeal_create(user=user, account=account, category_id=leak.pk, text="Моё")
    services.appeal_create(user=bob, account=bob_account, category_id=leak.pk, text="Боба")
    assert [a.text for a in selectors.appeal_list(account=account, user=user)] == ["Моё"]
    assert selectors.appeal_list(account=account, user=bob) == []


def test_other_tenant_sees_no_appeals(categories, utility_b, in_schema):
    leak, *_ = categories
    user, account = data.resident("600008")
    services.appeal_create(user=user, account=account, category_id=leak.pk, text="Alpha")
    with in_schema(utility_b):
        assert not Appeal.objects.exists()
        assert not AppealCategory.objects.exists()


def test_staff_reply_through_the_console(categories, client_a, in_tenant_a):
    from lk_core.users.services import staff_user_create

    leak, *_ = categories
    user, account = data.resident("600009")
    appeal = services.appeal_create(user=user, account=account, category_id=leak.pk,
                                    text="Нет горячей воды")
    # Dispatch appeals are in the dispatchers' queue (customer service works the company's).
    staff, _password = staff_user_create(email="desk@alpha.test", role="dispatcher")
    staff.must_change_password = False
    staff.is_superuser = True
    staff.save()
    client_a.force_login(staff)
    assert client_a.get("/staff/appeals/appeal/").status_code == 200
    # Help pages are the administrator's (content section), not the dispatcher's.
    assert client_a.get("/staff/portal/helppage/").status_code == 403
    url = f"/staff/appeals/appeal/{appeal.pk}/change/"
    page = client_a.get(url).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    hidden.pop("csrfmiddlewaretoken", None)
    response = client_a.post(url, {**hidden, "reply": "Бригада выехала",
                                   "new_status": "in_progress"})
    assert response.status_code == 302, response.content.decode()[:2000]
    timeline = selectors.appeal_timeline(appeal=appeal)
    assert [e.kind for e in timeline.events] == ["created", "staff_reply"]
    assert timeline.events[-1].text == "Бригада выехала"
    appeal.refresh_from_db()
    assert appeal.status == "in_progress"
