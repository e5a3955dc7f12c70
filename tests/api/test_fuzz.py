"""Schemathesis against the live schema, in-process through Django's WSGI handler (so the
test's own data and transaction are visible): bounded, deterministic examples per
operation, valid and malformed, anonymous and signed in. No 5xx, no status/content-type/
body that the schema does not describe, malformed input refused."""

from __future__ import annotations

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
        "auth": "10000/min", "read": "10000/min", "write": "10000/min"}}
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
