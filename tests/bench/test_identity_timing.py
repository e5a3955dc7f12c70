"""How close in time the refusals are (no enumeration by timing), with production Argon2.

Run: `make bench` (or `.venv/bin/python -m pytest tests/bench/test_identity_timing.py -m bench
-s`). Writes medians as ratios to the "unknown account" case of the same run into
docs/performance.md (its own section)."""

from __future__ import annotations

import statistics
import time

import pytest

from lk_core.users.models import User
from tests.bench.report import write_section
from tests.identity.conftest import account_with_invoices, registration_data
from tests.identity.helpers import PASSWORD, log_in, resident_make

ROUNDS = 15


def _medians_ms(cases: dict) -> dict[str, float]:
    """Round-robin over the cases, so a busy moment on the machine hits them all alike."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for index in range(ROUNDS):
        for name, action in cases.items():
            start = time.perf_counter()
            action(index)
            samples[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def _write(rows: list[tuple[str, float, float]]) -> None:
    lines = [f"Median of {ROUNDS} requests each (cases interleaved), production Argon2 "
             "parameters, test client in-process (`tests/bench/test_identity_timing.py`). "
             "Ratio to the unknown-account case of the same kind.",
             "", "| case | median, ms | ratio |", "| --- | ---: | ---: |"]
    lines += [f"| {name} | {ms:.1f} | {ratio:.2f} |" for name, ms, ratio in rows]
    write_section("identity-timing", "Identity: refusal timing", "\n".join(lines))


@pytest.mark.bench
def test_refusals_take_about_as_long_as_each_other(client_a, in_tenant_a, settings,
                                                    django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    scopes = ("register_account", "register_ip", "login_account", "login_ip")
    settings.IDENTITY_RATE_LIMITS = dict.fromkeys(scopes, (10_000, 3600, 60))
    resident_make("900001", "owner@example.test", capture)
    blocked = resident_make("900002", "blocked@example.test", capture)
    User.objects.filter(pk=blocked.pk).update(is_active=False)
    account_with_invoices("900003")
    for n in range(ROUNDS):
        account_with_invoices(f"91{n:04d}")

    def register(number, proof):
        return lambda i: client_a.post("/register/", registration_data(number, proof))

    cases = {
        "registration: unknown account": register("999999", "1234.56"),
        "registration: wrong amount": register("900003", "1.00"),
        "registration: already registered": register("900001", "1234.56"),
        "registration: blocked": register("900002", "1234.56"),
        "registration: success": lambda i: client_a.post(
            "/register/", registration_data(f"91{i:04d}", "1234.56", f"n{i}@example.test")),
        "login: unknown account": lambda i: log_in(client_a, "999999", "x-wrong-1"),
        "login: wrong password": lambda i: log_in(client_a, "900001", "x-wrong-1"),
        "login: blocked": lambda i: log_in(client_a, "900002", PASSWORD),
    }
    medians = _medians_ms(cases)
    base_reg = medians["registration: unknown account"]
    base_login = medians["login: unknown account"]
    rows = [(name, ms, ms / (base_reg if name.startswith("reg") else base_login))
            for name, ms in medians.items()]
    _write(rows)
    for name, _ms, ratio in rows:
        print(f"{name:40s} {_ms:8.1f} ms  x{ratio:.2f}")
    refusal_ratios = [r for n, _m, r in rows if "success" not in n]
    assert max(refusal_ratios) < 1.6, rows
