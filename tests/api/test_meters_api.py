"""Meters, reading history and reading submission through the API: the web page's rules and
messages (the same service), confirmation answered with a machine code and resent with a
flag, bob cannot reach alice's meters, a token from the other utility is refused."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection

from lk_core.devices.services import device_session_create
from lk_core.meters.models import Reading
from lk_core.portal.models import ResidentPreferences
from tenants.models import UtilityState
from tenants.services import utility_set_state
from tests.api.conftest import api_client
from tests.api.portal_data import IN_WINDOW, OUT_OF_WINDOW, freeze, in_window, someone

__all__ = ["in_window"]


@pytest.fixture
def alice(in_tenant_a):
    # Twelve months; each meter's last reading is 133 on 20 October, about 3 a month.
    return someone("720001", months=12)


@pytest.fixture
def bob(in_tenant_a):
    return someone("720002", months=3, meters=1, device="bob's phone")


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["status"] == status and body["code"] == code, body
    return body


def _submit(client, meter, values, **flags):
    return client.post(f"/api/v1/meters/{meter.pk}/readings/", {"values": values, **flags},
                       format="json")


def _resident_readings(meter):
    return list(Reading.objects.filter(meter=meter, source="resident"))


# --- reading -----------------------------------------------------------------------------

def test_meters_say_whether_they_take_readings_and_why_not(alice, utility_a, in_window):
    hvs, gvs = alice.stuff["meters"]
    gvs.verified_until = dt.date(2026, 11, 1)
    gvs.save(update_fields=["verified_until"])
    body = _ok(alice.client(utility_a).get("/api/v1/meters/"))
    assert body["reading_window"] == {"is_open": True, "open_until": "2026-11-25",
                                      "opens_on": "2026-12-15", "next_closes_on": "2026-12-25"}
    meters = {m["id"]: m for m in body["meters"]}
    assert [m["id"] for m in body["meters"]] == [gvs.pk, hvs.pk]  # by service code
    ok = meters[hvs.pk]
    assert ok["service"] == {"code": "HVS", "name": "Холодное водоснабжение", "unit": "м³"}
    assert (ok["serial_number"], ok["zones"], ok["digits"]) == (hvs.serial_number, 1, 5)
    assert (ok["can_take_readings"], ok["reason_code"], ok["reason"]) == (True, None, None)
    assert ok["last_reading"]["values"] == ["133.0000"]
    assert ok["last_reading"]["taken_on"] == "2026-10-20"
    assert ok["last_reading"]["source"] == "utility"
    refused = meters[gvs.pk]
    assert (refused["can_take_readings"], refused["reason_code"]) == (False, "meter_refused")
    assert "поверки счётчика истёк 1 ноября 2026" in refused["reason"]


def test_out_of_the_window_every_meter_says_when_the_next_one_opens(alice, utility_a,
                                                                   monkeypatch):
    freeze(monkeypatch, OUT_OF_WINDOW)
    body = _ok(alice.client(utility_a).get("/api/v1/meters/"))
    assert body["reading_window"]["is_open"] is False
    for meter in body["meters"]:
        assert (meter["can_take_readings"], meter["reason_code"]) == (False, "window_closed")
        assert "Следующий приём показаний начнётся 15 ноября 2026" in meter["reason"]


def test_meter_detail_has_the_consumption_series(alice, utility_a, in_window):
    meter = alice.meter
    body = _ok(alice.client(utility_a).get(f"/api/v1/meters/{meter.pk}/"))
    assert body["id"] == meter.pk and body["can_take_readings"] is True
    assert len(body["consumption"]) == 11
    assert body["consumption"][-1] == {"taken_on": "2026-10-20", "consumption": "3.0000"}


def test_reading_history_is_paged_newest_first(alice, utility_a):
    client = alice.client(utility_a)
    meter = alice.meter
    first = _ok(client.get(f"/api/v1/meters/{meter.pk}/readings/?page_size=5"))
    assert first["count"] == 12 and first["next"].endswith("page=2&page_size=5")
    assert [r["taken_on"] for r in first["results"][:2]] == ["2026-10-20", "2026-09-20"]
    assert first["results"][0]["values"] == ["133.0000"]
    assert first["results"][0]["source_display"] == "Организация"
    last = _ok(client.get(f"/api/v1/meters/{meter.pk}/readings/?page=3&page_size=5"))
    assert [r["values"] for r in last["results"]] == [["103.0000"], ["100.0000"]]


# --- submitting --------------------------------------------------------------------------

def test_submit_then_resubmit_in_the_same_window_replaces(alice, utility_a, in_window):
    client, meter = alice.client(utility_a), alice.meter
    first = _ok(_submit(client, meter, ["134.5"]), 201)
    assert (first["values"], first["consumption"], first["replaced"]) == (
        ["134.5000"], ["1.5000"], False)
    assert first["window"] == {"opens_on": "2026-11-15", "closes_on": "2026-11-25"}
    assert first["meter_id"] == meter.pk and first["reading"]["taken_on"] == "2026-11-20"
    [stored] = _resident_readings(meter)
    assert (stored.pk, stored.t1, stored.channel, stored.submitted_by_id) == (
        first["receipt_number"], Decimal("134.5"), "api", alice.user.pk)
    second = _ok(_submit(client, meter, ["135,2"]), 201)  # a comma works as on the page
    assert second["replaced"] is True and second["receipt_number"] == first["receipt_number"]
    assert second["consumption"] == ["2.2000"]  # from the billing reading, not the replaced
    assert [r.t1 for r in _resident_readings(meter)] == [Decimal("135.2")]
    history = _ok(client.get(f"/api/v1/meters/{meter.pk}/readings/"))["results"]
    assert (history[0]["values"], history[0]["source"]) == (["135.2000"], "resident")


def test_an_implausible_jump_needs_confirmation(alice, utility_a, in_window):
    client, meter = alice.client(utility_a), alice.meter
    body = _error(_submit(client, meter, ["150"]), 400, "jump_confirmation_required")
    assert "больше чем втрое превышает ваш обычный месячный расход" in body["message"]
    assert _resident_readings(meter) == []
    accepted = _ok(_submit(client, meter, ["150"], confirm_jump=True), 201)
    assert accepted["consumption"] == ["17.0000"]


def test_below_the_previous_reading_needs_a_rollover_confirmation(utility_a, in_tenant_a,
                                                                  in_window):
    carol = someone("720003", months=3, meters=1, meter_digits=3)
    meter = carol.meter
    Reading.objects.filter(meter=meter, taken_on=dt.date(2026, 10, 20)).update(t1=998)
    client = carol.client(utility_a, HTTP_ACCEPT_LANGUAGE="en")
    body = _error(_submit(client, meter, ["2"]), 400, "rollover_confirmation_required")
    assert body["message"].startswith("The value is below the previous reading (998)")
    assert "999" in body["message"] and body["fields"] == {}
    assert _resident_readings(meter) == []
    accepted = _ok(_submit(client, meter, ["2"], confirm_rollover=True), 201)
    assert accepted["consumption"] == ["4.0000"]


@pytest.mark.parametrize(("values", "code", "fields"), [
    (["abc"], "invalid", {"values.0": ["Введите число."]}),
    (["-1"], "invalid", {"values.0": ["Введите число не меньше нуля."]}),
    (["100000"], "invalid",
     {"values.0": ["Счётчик показывает не больше 5 цифр до запятой."]}),
    (["134.1234"], "invalid", {"values.0": ["Введите не больше трёх знаков после запятой."]}),
    (["134", "12"], "zones", {}),
    ([], "invalid", None),
])
def test_bad_values_are_refused_with_the_page_s_messages(alice, utility_a, in_window, values,
                                                         code, fields):
    body = _error(_submit(alice.client(utility_a), alice.meter, values), 400, code)
    assert body["fields"] == fields if fields is not None else list(body["fields"]) == [
        "values"]
    if code == "zones":
        assert body["message"] == "Введите по одному значению на каждую тарифную зону (1)."
    assert _resident_readings(alice.meter) == []


def test_junk_bodies_are_refused(alice, utility_a, in_window):
    client, meter = alice.client(utility_a), alice.meter
    for junk in ({}, {"values": "134"}, {"values": [["1"]]}, {"values": ["1"] * 4},
                 {"values": ["1" * 21]}, {"values": ["1"], "confirm_jump": "perhaps"}):
        _error(client.post(f"/api/v1/meters/{meter.pk}/readings/", junk, format="json"), 400,
               "invalid")
    assert _resident_readings(meter) == []


def test_one_value_per_zone(alice, utility_a, in_window):
    meter = alice.meter
    meter.zones = 2
    meter.save(update_fields=["zones"])
    client = alice.client(utility_a)
    shown = _ok(client.get(f"/api/v1/meters/{meter.pk}/"))
    assert shown["zones"] == 2 and shown["last_reading"]["values"] == ["133.0000", None]
    _error(_submit(client, meter, ["134"]), 400, "zones")
    body = _ok(_submit(client, meter, ["134", "12"]), 201)
    assert body["values"] == ["134.0000", "12.0000"]
    [stored] = _resident_readings(meter)
    assert (stored.t1, stored.t2, stored.t3) == (Decimal(134), Decimal(12), None)


def test_outside_the_window_the_page_s_explanation_in_the_request_language(
        alice, utility_a, monkeypatch):
    freeze(monkeypatch, OUT_OF_WINDOW)
    ru = _error(_submit(alice.client(utility_a), alice.meter, ["134"]), 400, "window_closed")
    assert ru["message"] == ("Показания принимаются с 15 по 25 число месяца. Следующий приём "
                             "показаний начнётся 15 ноября 2026 г.")
    en = _error(_submit(alice.client(utility_a, HTTP_ACCEPT_LANGUAGE="en"), alice.meter,
                        ["134"]), 400, "window_closed")
    assert en["message"].startswith("Readings are accepted from day 15 to day 25 of the month.")
    assert _resident_readings(alice.meter) == []


def test_window_is_counted_in_the_utility_s_time_zone(alice, utility_a, monkeypatch):
    # 25 Nov 23:59 in Moscow is 20:59 UTC: still open; two minutes later it is closed.
    freeze(monkeypatch, dt.datetime(2026, 11, 25, 20, 59, tzinfo=dt.UTC))
    alice.sign_in_again()  # a token issued at that time
    _ok(_submit(alice.client(utility_a), alice.meter, ["134"]), 201)
    freeze(monkeypatch, dt.datetime(2026, 11, 25, 21, 1, tzinfo=dt.UTC))
    _error(_submit(alice.client(utility_a), alice.meter, ["135"]), 400, "window_closed")


def test_expired_or_removed_meters_are_refused_with_the_reason(alice, utility_a, in_window):
    hvs, gvs = alice.stuff["meters"]
    hvs.verified_until = dt.date(2026, 11, 1)
    hvs.save(update_fields=["verified_until"])
    gvs.removed_on = dt.date(2026, 11, 2)
    gvs.save(update_fields=["removed_on"])
    client = alice.client(utility_a)
    body = _error(_submit(client, hvs, ["134"]), 400, "meter_refused")
    assert "поверки счётчика истёк 1 ноября 2026" in body["message"]
    body = _error(_submit(client, gvs, ["134"]), 400, "meter_refused")
    assert "снят" in body["message"]
    assert _resident_readings(hvs) == _resident_readings(gvs) == []


def test_receipt_by_email_when_the_resident_asked_for_it(alice, utility_a, in_window, settings,
                                                         django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ResidentPreferences.objects.create(user=alice.user, email_reading_receipt=True)
    with django_capture_on_commit_callbacks(execute=True):
        _ok(_submit(alice.client(utility_a), alice.meter, ["134.5"]), 201)
    [message] = mail.outbox
    assert message.to == [alice.user.email] and "134,5" in message.body


# --- whose, which utility, limits --------------------------------------------------------

def test_bob_cannot_reach_alice_s_meters(alice, bob, utility_a, in_window):
    meter = alice.meter
    client = bob.client(utility_a)
    for path in (f"/api/v1/meters/{meter.pk}/", f"/api/v1/meters/{meter.pk}/readings/",
                 "/api/v1/meters/999999999/"):
        _error(client.get(path), 404, "not_found")
    _error(_submit(client, meter, ["134"]), 404, "not_found")
    assert _resident_readings(meter) == []
    assert [m["id"] for m in _ok(client.get("/api/v1/meters/"))["meters"]] == [bob.meter.pk]


def test_a_token_from_the_other_utility_is_refused(alice, utility_b, in_window):
    client = alice.client(utility_b)
    meter = alice.meter
    for path in ("/api/v1/meters/", f"/api/v1/meters/{meter.pk}/",
                 f"/api/v1/meters/{meter.pk}/readings/"):
        _error(client.get(path), 401, "token_invalid")
    _error(_submit(client, meter, ["134"]), 401, "token_invalid")
    assert _resident_readings(meter) == []


def test_the_other_utility_s_resident_does_not_see_alice_s_meters(alice, utility_b, in_schema,
                                                                  in_window):
    with in_schema(utility_b):
        dave = someone("720001", months=2, meters=1)
    body = _ok(dave.client(utility_b).get("/api/v1/meters/"))
    assert [m["serial_number"] for m in body["meters"]] == [dave.meter.serial_number]
    if alice.meter.pk != dave.meter.pk:  # ids are per utility
        _error(dave.client(utility_b).get(f"/api/v1/meters/{alice.meter.pk}/"), 404,
               "not_found")


def test_submissions_are_throttled_as_writes(alice, utility_a, in_window, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "write": "2/min"}}
    client = alice.client(utility_a)
    for value in ("134", "135"):
        _ok(_submit(client, alice.meter, [value]), 201)
    _error(_submit(client, alice.meter, ["136"]), 429, "throttled")
    assert [r.t1 for r in _resident_readings(alice.meter)] == [Decimal(135)]
    _ok(client.get("/api/v1/meters/"))  # reads have their own budget


def test_maintenance_refuses_submissions_but_not_reads(alice, utility_a, in_window):
    utility_set_state(utility=utility_a, state=UtilityState.MAINTENANCE, message="До 14:00",
                      actor="tests")
    client = alice.client(utility_a)
    _ok(client.get("/api/v1/meters/"))
    body = _error(_submit(client, alice.meter, ["134"]), 503, "maintenance")
    assert body["utility_message"] == "До 14:00"
    assert _resident_readings(alice.meter) == []


# --- concurrency: two devices at once, real transactions, on a utility of our own ----------

def test_two_devices_submitting_at_once_store_one_reading(race_utility, monkeypatch):
    freeze(monkeypatch, IN_WINDOW)
    connection.set_tenant(race_utility)
    erin = someone("750001", months=3, meters=1)
    second_token = device_session_create(user=erin.user, device_name="tablet").access
    connection.set_schema_to_public()
    barrier = threading.Barrier(2)
    answers: list[object] = []

    def device(token: str, value: str) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            answers.append(_submit(api_client(race_utility, token), erin.meter, [value]))
        except Exception as exc:  # the assertion below shows it
            answers.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=device, args=args)
               for args in ((erin.token, "110"), (second_token, "111"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [getattr(a, "status_code", a) for a in answers] == [201, 201], answers
    bodies = [a.json() for a in answers]
    assert sorted(b["replaced"] for b in bodies) == [False, True]
    assert len({b["receipt_number"] for b in bodies}) == 1
    connection.set_tenant(race_utility)
    [stored] = _resident_readings(erin.meter)
    assert stored.t1 in (Decimal(110), Decimal(111)) and stored.channel == "api"
