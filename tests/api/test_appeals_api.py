"""Appeals through the API: the appeals services and the portal's access helpers. Alice
writes with photos, the desk replies, she replies and closes; Bob and the other utility's
Charlie reach none of it; the photo checks are the portal's."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lk_core.appeals import services
from lk_core.appeals.models import Appeal, AppealAttachment, AppealCategory, AppealEvent
from lk_core.users.models import User
from tests.api.conftest import api_client, sign_in
from tests.portal.test_appeals import png_bytes

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def categories(utility_a, in_schema):
    with in_schema(utility_a):
        leak = AppealCategory.objects.create(name="Протечка", destination="dispatch",
                                             is_emergency=True, position=1)
        billing = AppealCategory.objects.create(
            name="Вопрос по начислениям", destination="company", department="Абоненты",
            position=2)
        AppealCategory.objects.create(name="Старая тема", is_active=False)
    return leak, billing


@pytest.fixture
def alices(utility_a, alice):
    return api_client(utility_a, sign_in(utility_a, "100000001")["access"],
                      HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def bobs(utility_a, bob):
    return api_client(utility_a, sign_in(utility_a, "100000002")["access"],
                      HTTP_ACCEPT_LANGUAGE="en")


def _photo(name="leak.png", content=None):
    return SimpleUploadedFile(name, png_bytes() if content is None else content,
                              content_type="image/png")


def _create(client, category, text="Течёт труба в ванной", photos=()):
    return client.post("/api/v1/appeals/", {"category": category.pk, "text": text,
                                            "photos": list(photos)}, format="multipart")


def test_categories_name_the_dispatch_phone_for_emergencies(utility_a, categories, alices):
    utility_a.dispatch_phone = "+7 800 000-00-01"
    utility_a.save(update_fields=["dispatch_phone"])
    rows = alices.get("/api/v1/appeals/categories/").json()
    assert [(r["name"], r["is_emergency"], r["dispatch_phone"]) for r in rows] == [
        ("Протечка", True, "+7 800 000-00-01"), ("Вопрос по начислениям", False, "")]
    assert rows[0]["destination"] == "dispatch"


def test_create_with_photos_then_timeline_with_the_desks_reply(
        utility_a, in_schema, categories, alices, alice):
    leak, _billing = categories
    created = _create(alices, leak, photos=[_photo("снимок.jpg"),
                                            _photo("b.jpg", JPEG)])
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["is_emergency"], body["destination"]) == ("new", True,
                                                                         "dispatch")
    assert [(a["name"], a["content_type"]) for a in body["attachments"]] == [
        ("снимок.jpg", "image/png"), ("b.jpg", "image/jpeg")]
    with in_schema(utility_a):
        appeal = Appeal.objects.get()
        assert appeal.author_id == alice.pk
        stored = AppealAttachment.objects.filter(appeal=appeal).first()
        assert f"/{utility_a.schema_name}/appeals/" in stored.file.path  # per tenant
        staff = User.objects.create_user(username="desk", kind="staff", is_staff=True)
        services.appeal_reply_by_staff(appeal=appeal, staff_user=staff,
                                       text="Бригада выехала", status="in_progress")
    photo = alices.get(body["attachments"][0]["url"].removeprefix("http://alpha.localhost"))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert b"".join(photo.streaming_content) == png_bytes()
    shown = alices.get(f"/api/v1/appeals/{body['id']}/").json()
    assert [(e["kind"], e["by"], e["text"]) for e in shown["events"]] == [
        ("created", "resident", "Течёт труба в ванной"),
        ("staff_reply", "company", "Бригада выехала")]
    assert shown["status"] == "in_progress" and shown["can_reply"] is True
    assert "desk" not in str(shown)  # staff names are not shown


def test_json_create_without_photos(categories, alices):
    _leak, billing = categories
    response = alices.post("/api/v1/appeals/", {"category": billing.pk, "text": "Почему?"},
                           format="json")
    assert response.status_code == 201, response.content
    assert response.json()["department"] == "Абоненты"


def test_internal_desk_events_never_reach_the_resident(utility_a, in_schema, categories,
                                                       alices, client_a):
    from tests.identity.helpers import log_in

    leak, _billing = categories
    appeal_id = _create(alices, leak).json()["id"]
    with in_schema(utility_a):
        # A kind the resident's timeline does not list (the desk's own notes).
        AppealEvent.objects.create(appeal_id=appeal_id, kind="note",
                                   text="Жилец звонил трижды", status="new")
        staff = User.objects.create_user(username="desk", kind="staff", is_staff=True)
        services.appeal_note_add(appeal=Appeal.objects.get(pk=appeal_id), staff_user=staff,
                                 text="Проверить соседей сверху")
    shown = alices.get(f"/api/v1/appeals/{appeal_id}/").json()
    assert [e["kind"] for e in shown["events"]] == ["created"]
    assert "трижды" not in str(shown) and "соседей" not in str(shown)
    assert log_in(client_a, "100000001").status_code == 302
    page = client_a.get(f"/appeals/{appeal_id}/").content.decode()
    assert "Течёт труба" in page and "трижды" not in page and "соседей" not in page


def test_the_desks_reply_reaches_the_apps_inbox(utility_a, in_schema, categories, alices,
                                                bobs):
    leak, _billing = categories
    appeal_id = _create(alices, leak).json()["id"]
    with in_schema(utility_a):
        staff = User.objects.create_user(username="desk", kind="staff", is_staff=True)
        services.appeal_reply_by_staff(appeal=Appeal.objects.get(pk=appeal_id),
                                       staff_user=staff, text="Бригада выехала")
    [message] = alices.get("/api/v1/notifications/").json()["results"]
    assert message["kind"] == "appeal_status"
    assert message["title"].startswith(f"Your appeal {appeal_id}:")
    assert "Бригада выехала" in message["text"]
    assert bobs.get("/api/v1/notifications/").json()["count"] == 0


def test_reply_and_close_then_both_refused(categories, alices):
    leak, _billing = categories
    appeal_id = _create(alices, leak).json()["id"]
    replied = alices.post(f"/api/v1/appeals/{appeal_id}/reply/", {"text": "Жду"},
                          format="json")
    assert replied.status_code == 201
    assert [e["kind"] for e in replied.json()["events"]] == ["created", "resident_reply"]
    closed = alices.post(f"/api/v1/appeals/{appeal_id}/close/")
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["can_reply"]) == ("closed", False)
    again = alices.post(f"/api/v1/appeals/{appeal_id}/close/")
    assert again.status_code == 400 and again.json()["code"] == "closed"
    assert again.json()["message"] == "The appeal is already closed."
    late = alices.post(f"/api/v1/appeals/{appeal_id}/reply/", {"text": "Ещё"}, format="json")
    assert late.status_code == 400 and late.json()["code"] == "closed"


def test_list_is_paged_newest_first(categories, alices):
    leak, billing = categories
    ids = [_create(alices, leak if i % 2 else billing, text=f"№{i}").json()["id"]
           for i in range(3)]
    page = alices.get("/api/v1/appeals/?page_size=2").json()
    assert page["count"] == 3 and page["next"] and page["previous"] is None
    assert [a["id"] for a in page["results"]] == ids[::-1][:2]
    assert page["results"][0]["category"]["name"] == "Вопрос по начислениям"


@pytest.mark.parametrize("photos,field_message", [
    ([_photo("x.png", b"<svg onload=alert(1)>")], "x.png is not a JPEG, PNG or WebP photo."),
    ([_photo(f"{i}.png") for i in range(4)], "Attach at most 3 photos."),
    ([_photo("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024))],
     "big.png is larger than 5 MB."),
])
def test_bad_photos_are_refused_and_nothing_is_saved(utility_a, in_schema, categories, alices,
                                                     photos, field_message):
    leak, _billing = categories
    response = _create(alices, leak, photos=photos)
    assert response.status_code == 400
    assert response.json()["fields"]["photos"] == [field_message]
    with in_schema(utility_a):
        assert not Appeal.objects.exists() and not AppealAttachment.objects.exists()


def test_bad_input_in_russian_and_english(categories, utility_a, alice):
    token = sign_in(utility_a, "100000001")["access"]
    ru = api_client(utility_a, token).post("/api/v1/appeals/", {"category": 999999,
                                                                 "text": "  "},
                                           format="json")
    assert ru.status_code == 400
    assert ru.json()["fields"] == {"category": ["Выберите тему."],
                                   "text": ["Опишите, что случилось."]}
    en = api_client(utility_a, token, HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/appeals/", {"text": "x"}, format="json")
    assert en.json()["fields"] == {"category": ["This field is required."]}


def test_bob_gets_404_for_alices_appeal_and_photo(categories, alices, bobs):
    leak, _billing = categories
    body = _create(alices, leak, photos=[_photo()]).json()
    photo_path = body["attachments"][0]["url"].removeprefix("http://alpha.localhost")
    for response in (bobs.get(f"/api/v1/appeals/{body['id']}/"),
                     bobs.post(f"/api/v1/appeals/{body['id']}/reply/", {"text": "x"},
                               format="json"),
                     bobs.post(f"/api/v1/appeals/{body['id']}/close/"),
                     bobs.get(photo_path),
                     bobs.get("/api/v1/appeals/files/0123456789abcdef0123456789abcdef/")):
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert bobs.get("/api/v1/appeals/").json()["count"] == 0
    assert alices.get(f"/api/v1/appeals/{body['id']}/").json()["status"] == "new"


def test_other_tenants_token_and_ids_are_refused(utility_a, utility_b, categories, alices,
                                                 charlie_b):
    leak, _billing = categories
    body = _create(alices, leak, photos=[_photo()]).json()
    alice_token_on_b = api_client(utility_b, alices._credentials["HTTP_AUTHORIZATION"]
                                  .removeprefix("Bearer "))
    assert alice_token_on_b.get("/api/v1/appeals/").status_code == 401
    charlies = api_client(utility_b, sign_in(utility_b, "100000001")["access"])
    assert charlies.get(f"/api/v1/appeals/{body['id']}/").status_code == 404
    photo_path = body["attachments"][0]["url"].removeprefix("http://alpha.localhost")
    assert charlies.get(photo_path).status_code == 404
    assert charlies.get("/api/v1/appeals/categories/").json() == []


def test_anonymous_is_401(utility_a, categories):
    client = api_client(utility_a)
    assert client.get("/api/v1/appeals/").status_code == 401
    assert client.get("/api/v1/appeals/categories/").status_code == 401


def test_creating_appeals_has_its_own_rate(settings, categories, alices):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "appeals": "2/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    leak, _billing = categories
    assert [_create(alices, leak).status_code for _i in range(3)] == [201, 201, 429]
    assert alices.get("/api/v1/appeals/").status_code == 200  # reading is not limited


def test_a_photo_whose_file_is_gone_is_404_not_500(utility_a, in_schema, categories, alices):
    leak, _billing = categories
    body = _create(alices, leak, photos=[_photo()]).json()
    with in_schema(utility_a):
        AppealAttachment.objects.get().file.delete(save=False)
    response = alices.get(body["attachments"][0]["url"].removeprefix("http://alpha.localhost"))
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_the_portal_shows_the_appeals_and_timeline_the_app_shows(categories, alices, bobs,
                                                                 client_a):
    from tests.identity.helpers import log_in

    leak, billing = categories
    mine = [_create(alices, leak).json()["id"],
            _create(alices, billing, text="Вопрос").json()["id"]]
    alices.post(f"/api/v1/appeals/{mine[0]}/close/")
    bobs_id = _create(bobs, leak).json()["id"]
    assert log_in(client_a, "100000001").status_code == 302
    page = client_a.get("/appeals/").content.decode()
    listed = [a["id"] for a in alices.get("/api/v1/appeals/").json()["results"]]
    assert listed == mine[::-1]
    assert all(f"№{appeal_id}" in page for appeal_id in mine) and f"№{bobs_id}" not in page
    detail = client_a.get(f"/appeals/{mine[0]}/").content.decode()
    shown = alices.get(f"/api/v1/appeals/{mine[0]}/").json()
    assert [e["kind"] for e in shown["events"]] == ["created", "closed"]
    assert detail.count('class="event event-') == len(shown["events"])
