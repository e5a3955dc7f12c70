"""Appeal routes' delivery kinds: the desk, e-mail, and a signed webhook received by a real
local HTTP server that checks the signature; a receiver that is down gets the appeal later,
never loses it. Routes are configured in the staff console, audited, secrets encrypted."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.test import override_settings
from django_tenants.utils import schema_context

from lk_core.appeals import delivery, services
from lk_core.appeals.models import AppealCategory, AppealDelivery, AppealEvent
from lk_core.payments.crypto import credentials_decrypt
from lk_core.staff.models import StaffAuditEvent
from lk_core.users.models import StaffRole
from tests.portal import data
from tests.tasks.conftest import tasks_setting

SECRET = "whsec-utility-system-2026"


@pytest.fixture(autouse=True)
def immediate_engine():
    with override_settings(TASKS=tasks_setting("immediate", "")):
        yield


class Receiver:
    """The utility's own system: verifies every request as its documentation says."""

    def __init__(self, port: int = 0, status: int = 200):
        self.requests: list[dict] = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                timestamp = self.headers["X-LK-Timestamp"]
                expected = "sha256=" + hmac.new(SECRET.encode(), f"{timestamp}.".encode()
                                                + body, hashlib.sha256).hexdigest()
                valid = hmac.compare_digest(expected, self.headers["X-LK-Signature"])
                fresh = abs(time.time() - int(timestamp)) < 300
                receiver.requests.append({"body": json.loads(body), "valid": valid,
                                          "fresh": fresh, "headers": {
                                              k.lower(): v for k, v in self.headers.items()}})
                self.send_response(receiver.status if valid and fresh else 401)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/lk/appeals"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _route(utility, **route) -> AppealCategory:
    with schema_context(utility.schema_name):
        category = AppealCategory(name="Протечка", destination="dispatch", is_emergency=True,
                                  **route)
        return services.appeal_category_save(actor="tests", category=category, fields=[
            "name", *route], webhook_secret=SECRET if route.get("webhook_url") else "")


def _appeal(utility, category, commit, number="930001", text="Топит сверху"):
    with schema_context(utility.schema_name):
        user, account = data.resident(number)
        with commit(execute=True):
            return services.appeal_create(user=user, account=account,
                                          category_id=category.pk, text=text)


def test_desk_route_forwards_nothing(utility_a, django_capture_on_commit_callbacks, staff_of):
    category = _route(utility_a, delivery="desk")
    appeal = _appeal(utility_a, category, django_capture_on_commit_callbacks)
    with schema_context(utility_a.schema_name):
        assert not AppealDelivery.objects.exists()
    page = staff_of(utility_a, StaffRole.DISPATCHER).get(
        f"/staff/appeals/appeal/{appeal.pk}/change/").content.decode()
    assert "Только в консоли" in page and "Топит сверху" in page


def test_email_route(utility_a, django_capture_on_commit_callbacks, staff_of):
    category = _route(utility_a, delivery="email", delivery_email="ads@alpha.test")
    appeal = _appeal(utility_a, category, django_capture_on_commit_callbacks)
    [message] = [m for m in mail.outbox if m.to == ["ads@alpha.test"]]
    assert message.subject.startswith(f"[!] #{appeal.pk} Протечка (930001)")
    assert "Топит сверху" in message.body and message.extra_headers["X-LK-Appeal"] == \
        str(appeal.pk)
    with schema_context(utility_a.schema_name):
        row = AppealDelivery.objects.get(appeal=appeal)
        assert (row.kind, row.status, row.attempts) == ("email", "delivered", 1)
    page = staff_of(utility_a, StaffRole.DISPATCHER).get(
        f"/staff/appeals/appeal/{appeal.pk}/change/").content.decode()
    assert "desk-delivery-delivered" in page and "ads@alpha.test" in page


def test_webhook_route_is_signed_and_received(utility_a, receiver,
                                              django_capture_on_commit_callbacks, staff_of):
    category = _route(utility_a, delivery="webhook", webhook_url=receiver.url)
    appeal = _appeal(utility_a, category, django_capture_on_commit_callbacks)
    [request] = receiver.requests
    assert request["valid"] and request["fresh"]
    assert request["headers"]["x-lk-delivery"] == str(_delivery(utility_a, appeal).pk)
    assert request["headers"]["content-type"] == "application/json; charset=utf-8"
    body = request["body"]
    assert body["event"] == "appeal.created" and body["utility"] == "alpha"
    assert body["appeal"]["id"] == appeal.pk and body["appeal"]["text"] == "Топит сверху"
    assert body["appeal"]["is_emergency"] and body["appeal"]["account_number"] == "930001"
    row = _delivery(utility_a, appeal)
    assert (row.status, row.response, row.attempts) == ("delivered", "HTTP 200", 1)
    page = staff_of(utility_a, StaffRole.DISPATCHER).get(
        f"/staff/appeals/appeal/{appeal.pk}/change/").content.decode()
    assert "desk-delivery-delivered" in page and receiver.url in page


def _delivery(utility, appeal) -> AppealDelivery:
    with schema_context(utility.schema_name):
        return AppealDelivery.objects.get(appeal=appeal)


def test_receiver_down_is_retried_not_lost(utility_a, django_capture_on_commit_callbacks):
    port = _free_port()  # nobody listens yet
    category = _route(utility_a, delivery="webhook",
                      webhook_url=f"http://127.0.0.1:{port}/lk/appeals")
    appeal = _appeal(utility_a, category, django_capture_on_commit_callbacks)
    row = _delivery(utility_a, appeal)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "cannot reach" in row.last_error and row.enqueued_at is None
    assert 50 <= (row.next_attempt_at - row.claimed_at).total_seconds() <= 70  # 1 min backoff
    with schema_context(utility_a.schema_name), django_capture_on_commit_callbacks(execute=True):
        assert delivery.deliveries_flush() == 0  # not due yet
    server = Receiver(port=port)
    try:
        with schema_context(utility_a.schema_name):
            # A minute and more later, the scheduler's flush runs again.
            AppealDelivery.objects.filter(pk=row.pk).update(
                next_attempt_at=row.next_attempt_at.replace(year=2020))
            with django_capture_on_commit_callbacks(execute=True):
                assert delivery.deliveries_flush() == 1
        assert len(server.requests) == 1 and server.requests[0]["valid"]
        row = _delivery(utility_a, appeal)
        assert (row.status, row.attempts, row.last_error) == ("delivered", 2, "")
        with schema_context(utility_a.schema_name), \
                django_capture_on_commit_callbacks(execute=True):
            assert delivery.deliveries_flush() == 0  # sent once, not again
        assert len(server.requests) == 1
    finally:
        server.close()


def test_refused_webhook_fails_and_staff_retry_it(utility_a, django_capture_on_commit_callbacks,
                                                  staff_of):
    server = Receiver(status=400)
    try:
        category = _route(utility_a, delivery="webhook", webhook_url=server.url)
        appeal = _appeal(utility_a, category, django_capture_on_commit_callbacks)
        row = _delivery(utility_a, appeal)
        assert row.status == "failed" and "HTTP 400" in row.last_error
        with schema_context(utility_a.schema_name):
            event = AppealEvent.objects.get(appeal=appeal, kind="delivery")
            assert event.internal and "HTTP 400" in event.text
        server.status = 200
        client = staff_of(utility_a, StaffRole.DISPATCHER)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/staff/appeals/appeal/{appeal.pk}/retry-deliveries/")
        assert response.status_code == 302
        assert _delivery(utility_a, appeal).status == "delivered"
        assert len(server.requests) == 2
        # Read-only staff cannot resend.
        readonly = staff_of(utility_a, StaffRole.READONLY)
        assert readonly.post(
            f"/staff/appeals/appeal/{appeal.pk}/retry-deliveries/").status_code == 403
    finally:
        server.close()


def test_signature_covers_the_timestamp():
    from integrations.appeals.webhook import signature

    body = b'{"a": 1}'
    assert signature(secret=SECRET, timestamp="1700000000", body=body) == "sha256=" + hmac.new(
        SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature(secret=SECRET, timestamp="1700000001", body=body) != signature(
        secret=SECRET, timestamp="1700000000", body=body)


# --- configuration in the console ----------------------------------------------------------

def _route_form(**extra):
    return {"name": "Протечка", "destination": "dispatch", "is_emergency": "on",
            "priority": "1", "is_active": "on", "position": "0", **extra}


def test_webhook_route_configured_in_the_console(utility_a, staff_of, receiver,
                                                 django_capture_on_commit_callbacks):
    client = staff_of(utility_a, StaffRole.ADMIN, "boss")
    response = client.post("/staff/appeals/appealcategory/add/", _route_form(
        delivery="webhook", webhook_url=receiver.url, webhook_secret=SECRET))
    assert response.status_code == 302, response.content.decode()[:3000]
    with schema_context(utility_a.schema_name):
        category = AppealCategory.objects.get(name="Протечка")
        assert SECRET not in category.webhook_secret_encrypted
        assert credentials_decrypt(category.webhook_secret_encrypted) == {"secret": SECRET}
        event = StaffAuditEvent.objects.get(action="appealcategory_changed")
        assert event.section == "appeal_routes" and SECRET not in json.dumps(event.details)
        assert event.details["webhook_secret_encrypted"]["to"] == "••••"
    form = client.get(f"/staff/appeals/appealcategory/{category.pk}/change/").content.decode()
    assert SECRET not in form and category.webhook_secret_encrypted not in form
    # Saved again without a secret: the stored one is kept, and it works.
    response = client.post(f"/staff/appeals/appealcategory/{category.pk}/change/", _route_form(
        delivery="webhook", webhook_url=receiver.url, webhook_secret="", response_hours="1"))
    assert response.status_code == 302
    _appeal(utility_a, category, django_capture_on_commit_callbacks)
    assert [r["valid"] for r in receiver.requests] == [True]


@pytest.mark.parametrize(("form", "field"), [
    ({"delivery": "webhook", "webhook_url": "http://127.0.0.1:9/x", "webhook_secret": "short"},
     "webhook_secret"),
    ({"delivery": "webhook", "webhook_url": "", "webhook_secret": SECRET}, "webhook_url"),
    ({"delivery": "webhook", "webhook_url": "http://127.0.0.1:9/x"}, "webhook_secret"),
    ({"delivery": "email", "delivery_email": ""}, "delivery_email"),
    ({"delivery": "email", "delivery_email": "not-an-address"}, "delivery_email"),
    ({"delivery": "pigeon"}, "delivery"),
])
def test_bad_routes_are_refused_and_change_nothing(utility_a, staff_of, form, field):
    client = staff_of(utility_a, StaffRole.ADMIN, "boss")
    response = client.post("/staff/appeals/appealcategory/add/", _route_form(**form))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    with schema_context(utility_a.schema_name):
        assert not AppealCategory.objects.exists()
        assert not StaffAuditEvent.objects.filter(section="appeal_routes").exists()


@override_settings(APPEAL_WEBHOOK_ALLOW_HTTP=False)
def test_webhook_must_be_https_in_production(utility_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        _route(utility_a, delivery="webhook", webhook_url="http://lk.utility.example/hook")
    assert "webhook_url" in refused.value.message_dict


# --- tenants and residents -----------------------------------------------------------------

def test_other_tenant_neither_sees_nor_sends_a_delivery(utility_a, utility_b, receiver,
                                                        django_capture_on_commit_callbacks):
    category = _route(utility_a, delivery="webhook", webhook_url=receiver.url)
    with schema_context(utility_a.schema_name):
        user, account = data.resident("930002")
        with django_capture_on_commit_callbacks(execute=False):  # the task never ran
            appeal = services.appeal_create(user=user, account=account,
                                            category_id=category.pk, text="Течёт")
        row = AppealDelivery.objects.get(appeal=appeal)
    with schema_context(utility_b.schema_name):
        assert not AppealDelivery.objects.exists()
        assert delivery.appeal_deliver(delivery_id=row.pk) == "skipped"
        assert delivery.deliveries_flush() == 0
    assert receiver.requests == []


def test_each_residents_appeal_carries_only_their_own_account(
        utility_a, receiver, django_capture_on_commit_callbacks):
    category = _route(utility_a, delivery="webhook", webhook_url=receiver.url)
    _appeal(utility_a, category, django_capture_on_commit_callbacks, "930003", "Алиса")
    _appeal(utility_a, category, django_capture_on_commit_callbacks, "930004", "Боб")
    sent = {r["body"]["appeal"]["text"]: r["body"]["appeal"]["account_number"]
            for r in receiver.requests}
    assert sent == {"Алиса": "930003", "Боб": "930004"}
