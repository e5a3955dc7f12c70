"""Portal pages under gunicorn (2 workers): the dashboard and an invoice page for a resident
with 24 months of history, against a bare Django view (/branding.css, the same middleware
and tenant resolution, no page work) on the same server in the same run."""

from __future__ import annotations

import datetime as dt
import http.client
import os
import statistics
import threading
import time
from urllib.parse import urlparse

import pytest
from django.db import connection

from tests.bench.report import write_section
from tests.portal import data

pytestmark = pytest.mark.bench
SLUG = "portalbench"
CLIENTS = 4  # concurrent keep-alive connections
REQUESTS = 400  # per page, bounded


def test_database_is_ready(db):
    # pytest-django runs tests with the db fixture first; that builds the test database
    # before the module fixture below commits its data (a bench-only run has no other).
    from tenants.models import Utility

    assert Utility.objects.filter(slug="alpha").exists()


@pytest.fixture
def resident_session(django_db_setup, django_db_blocker):
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from tenants.services import utility_create, utility_delete

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        utility = utility_create(slug=SLUG, name="Bench Water", actor="bench",
                                 send_staff_email=False).utility
        try:
            connection.set_tenant(utility)
            user, account = data.resident("990001")
            data.history(account, months=24, meters=3, last_period=dt.date(2026, 10, 1))
            invoice = account.invoices.order_by("-period").first()
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "lk_core.identity.backends.AccountNumberBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            connection.set_schema_to_public()
            yield {"cookie": f"lk_session={session.session_key}", "invoice": invoice.pk}
        finally:
            connection.set_schema_to_public()
            utility_delete(utility=utility, actor="bench")
            connection.close()


def _load(port: int, host: str, path: str, cookie: str, marker: bytes) -> dict:
    latencies: list[float] = []
    lock = threading.Lock()
    remaining = [REQUESTS]

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            started = time.perf_counter()
            conn.request("GET", path, headers={"Host": host, "Cookie": cookie})
            response = conn.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - started
            assert response.status == 200 and marker in body, (path, response.status)
            with lock:
                latencies.append(elapsed)
        conn.close()

    for _ in range(20):  # warm both workers: templates, translations, connections
        warm = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        warm.request("GET", path, headers={"Host": host, "Cookie": cookie})
        warm.getresponse().read()
        warm.close()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {"rps": len(ordered) / wall, "p50": statistics.median(ordered) * 1000,
            "p99": ordered[int(len(ordered) * 0.99) - 1] * 1000}


def test_portal_pages_bench(resident_session, live_server_url):
    port = urlparse(live_server_url.format(host="x")).port
    host = f"{SLUG}.localhost:{port}"
    cookie = resident_session["cookie"]
    pages = [
        ("bare view `/branding.css` (baseline)", "/branding.css", b"--brand-primary"),
        ("dashboard `/`", "/", "К оплате".encode()),
        ("invoice page `/invoices/<id>/`", f"/invoices/{resident_session['invoice']}/",
         "Начисления по услугам".encode()),
    ]
    load_before = os.getloadavg()[0]
    results = [(name, _load(port, host, path, cookie, marker)) for name, path, marker in pages]
    load_after = os.getloadavg()[0]
    bare = results[0][1]["rps"]
    rows = "\n".join(
        f"| {name} | {r['rps']:.0f} | {r['p50']:.1f} ms | {r['p99']:.1f} ms | "
        f"{r['rps'] / bare:.2f} |" for name, r in results)
    body = f"""
gunicorn (2 workers × 4 threads, as the test live server) on this machine, a resident with
24 months of invoices, charges, payments and 3 meters with monthly readings; {CLIENTS}
keep-alive clients on 127.0.0.1 send {REQUESTS} requests per page (load average
{load_before:.1f} before, {load_after:.1f} after, on 2 cores shared with other work). The
baseline is a bare
Django view on the same server in the same run (`/branding.css`: the same middleware,
tenant resolution and session, no page work). Each portal page runs a fixed number of
queries (tests/portal/test_pages.py asserts the same count for 2 and 24 months). The
dashboard is served from its page cache (docs/portal.md, "Speed") after the first request:
four queries (tenant, session, user, resident with its data versions) and no template
rendering; the invoice page is rendered on every request.

| page | requests/s | p50 | p99 | throughput vs. bare view |
| --- | --- | --- | --- | --- |
{rows}

Target: the dashboard at least half the bare view's throughput.
"""
    write_section("portal-pages", "Portal pages", body)
    assert results[1][1]["rps"] >= 0.5 * bare
