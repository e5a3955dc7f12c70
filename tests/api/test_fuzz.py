"""Schemathesis against the live schema, in-process through Django's WSGI handler (so the
test's own data and transaction are visible): bounded, deterministic examples per
operation, valid and malformed, anonymous and signed in. No 5xx, no status/content-type/
body that the schema does not describe, malformed input refused."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from lk_core.devices.services import device_session_create

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
MAX_EXAMPLES = 20


@contextmanager
def _in_process_wsgi():
    """Like Django's test client: keep the test's connection (and transaction) open."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _operations(schema):
    operations = [result.ok() for result in schema.get_all_operations()]
    # Signing the device out last keeps the token alive for the other operations.
    return sorted(operations, key=lambda op: (op.path == "/api/v1/auth/logout/", op.label))


def _has_input(operation) -> bool:
    return bool(len(operation.body) or operation.path_parameters or operation.query)


def _fuzz(operation, *, base_url, headers, mode, checks, aim=None):
    if mode == schemathesis.GenerationMode.NEGATIVE and not _has_input(operation):
        return  # nothing to malform
    strategy = operation.as_strategy(generation_mode=mode)

    @hypothesis_settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None,
                         database=None,
                         suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case):
        if aim:
            aim(case)
        case.call_and_validate(base_url=base_url, headers=headers, checks=checks)

    run()


@pytest.fixture
def live_schema(utility_a, settings):
    # Generous rates, so the examples reach the views rather than the throttle.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "auth": "10000/min", "read": "10000/min", "write": "10000/min",
        "appeals": "10000/min", "receipts": "10000/min"}}
    with _in_process_wsgi() as app:
        host = utility_a.get_primary_domain().domain
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app,
                                                headers={"Host": host})
        yield schema, f"http://{host}"


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE,
                                  schemathesis.GenerationMode.NEGATIVE])
def test_anonymous_fuzz_finds_no_server_error_and_no_schema_break(live_schema, mode):
    schema, base_url = live_schema
    checks = CHECKS + ([negative_data_rejection]
                       if mode == schemathesis.GenerationMode.NEGATIVE else [])
    operations = _operations(schema)
    assert len(operations) >= 6
    for operation in operations:
        _fuzz(operation, base_url=base_url, headers={}, mode=mode, checks=checks)


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE,
                                  schemathesis.GenerationMode.NEGATIVE])
def test_signed_in_fuzz_finds_no_server_error_and_no_schema_break(live_schema, in_schema,
                                                                  utility_a, alice, mode):
    schema, base_url = live_schema
    for operation in _operations(schema):
        # A fresh device per operation: fuzzing "sign out" or "revoke" must not starve the
        # operations after it of a valid token.
        # (Issued by the service: the test client would re-arm the connection closing that
        # the in-process WSGI handler must not do inside the test's transaction.)
        with in_schema(utility_a):
            issued = device_session_create(user=alice, device_name=f"fuzz {operation.label}")
        _fuzz(operation, base_url=base_url, mode=mode, checks=CHECKS,
              headers={"Authorization": f"Bearer {issued.access}"})


@pytest.fixture
def alices_things(utility_a, in_schema, alice, settings, tmp_path):
    """Something of Alice's behind every id the fuzzer can aim at: an appeal with a photo,
    a topic, an inbox message, a help page."""
    import io

    import segno
    from django.core.files.uploadedfile import SimpleUploadedFile

    from lk_core.appeals.models import AppealCategory
    from lk_core.appeals.services import appeal_create
    from lk_core.notifications.models import InboxMessage, Kind
    from lk_core.notifications.services import notification_enqueue
    from lk_core.portal.models import HelpPage

    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    segno.make("leak").save(buffer, kind="png", scale=2)
    with in_schema(utility_a):
        category = AppealCategory.objects.create(name="Протечка", is_emergency=True,
                                                 destination="dispatch")
        account = alice.resident.current_account
        appeal = appeal_create(user=alice, account=account, category_id=category.pk,
                               text="Течёт", photos=[SimpleUploadedFile("a.png",
                                                                        buffer.getvalue())])
        notification_enqueue(kind=Kind.PAYMENT_RECEIVED, user=alice, account=account,
                             context={"amount": "1.00", "account_number": account.number,
                                      "paid_on": "24.11.2026"})
        message = InboxMessage.objects.get(user=alice)
        HelpPage.objects.create(slug="tariffs", title="Тарифы", body="**Тарифы**")
        return {"appeal_id": appeal.pk, "token": appeal.attachments.get().token,
                "message_id": message.pk, "slug": "tariffs", "category": category.pk}


def test_signed_in_fuzz_on_alices_own_objects(live_schema, in_schema, utility_a, alice,
                                              alices_things):
    """The operations on one object, aimed at Alice's real ones (random ids are almost
    always 404): replies, closing, marking read and the photo download run for real."""
    schema, base_url = live_schema

    def aim(case):
        for name in case.path_parameters or {}:
            if name in alices_things:
                case.path_parameters[name] = alices_things[name]
        if isinstance(case.body, dict) and "category" in case.body:
            case.body["category"] = alices_things["category"]

    aimed = [op for op in _operations(schema)
             if set(re.findall(r"{(\w+)}", op.path)) & set(alices_things)
             or op.path.startswith(("/api/v1/appeals/", "/api/v1/notifications/",
                                    "/api/v1/help/"))]
    assert len(aimed) >= 11
    # Closing last: replies to a closed appeal are refused.
    for operation in sorted(aimed, key=lambda op: op.path.endswith("/close/")):
        with in_schema(utility_a):
            issued = device_session_create(user=alice, device_name=f"aim {operation.label}")
        _fuzz(operation, base_url=base_url, mode=schemathesis.GenerationMode.POSITIVE,
              checks=CHECKS, aim=aim, headers={"Authorization": f"Bearer {issued.access}"})


RESIDENT_DATA_PATHS = {
    "/api/v1/dashboard/", "/api/v1/invoices/", "/api/v1/invoices/{invoice_id}/",
    "/api/v1/charges/", "/api/v1/receipts/{period}/", "/api/v1/meters/",
    "/api/v1/meters/{meter_id}/", "/api/v1/meters/{meter_id}/readings/"}


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE,
                                  schemathesis.GenerationMode.NEGATIVE])
def test_fuzz_of_a_resident_s_own_invoices_charges_and_meters(live_schema, in_schema, utility_a,
                                                              monkeypatch, mode):
    """A resident with history, inside the reading window, her own ids in the paths: the
    examples reach the selectors, the receipt renderer and the reading rules."""
    from tests.api.portal_data import IN_WINDOW, freeze, someone

    schema, base_url = live_schema
    freeze(monkeypatch, IN_WINDOW)
    with in_schema(utility_a):
        resident = someone("740001", months=6, meters=2)
        own = {"invoice_id": resident.account.invoices.order_by("-period").first().pk,
               "meter_id": resident.meter.pk}

    def aim(case):  # her own ids, so the examples reach past the 404
        for name in case.path_parameters or {}:
            if name in own:
                case.path_parameters[name] = own[name]

    operations = [op for op in _operations(schema) if op.path in RESIDENT_DATA_PATHS]
    assert {op.path for op in operations} == RESIDENT_DATA_PATHS
    positive = mode == schemathesis.GenerationMode.POSITIVE
    for operation in operations:
        with in_schema(utility_a):
            issued = device_session_create(user=resident.user,
                                           device_name=f"fuzz {operation.label}")
        headers = {"Authorization": f"Bearer {issued.access}"}
        _fuzz(operation, base_url=base_url, mode=mode,
              checks=CHECKS + ([] if positive else [negative_data_rejection]),
              headers=headers, aim=aim if positive else None)
        if positive and operation.path == "/api/v1/receipts/{period}/":
            # The month is the only input: one real receipt (a PDF render each) is enough.
            response = operation.Case(path_parameters={"period": "2026-10"}).call_and_validate(
                base_url=base_url, headers=headers, checks=CHECKS)
            assert response.status_code == 200 and response.content.startswith(b"%PDF")
