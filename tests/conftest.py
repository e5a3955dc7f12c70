"""Test harness: real PostgreSQL (embedded or DATABASE_URL), tenants created once per
session, every test in a transaction, and a live server for browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

# Playwright's sync API keeps an event loop running in the main thread for the whole
# session; Django would then refuse every ORM call of later tests as "async context".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"

TENANT_SPECS = {
    "alpha": {"name": "Alpha Water", "primary_color": "#0b5cad", "kind": "water"},
    "beta": {"name": "Beta Heat", "primary_color": "#a3261c", "kind": "heating",
             "timezone_name": "Asia/Vladivostok"},
}


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker,
                    django_db_modify_db_settings):
    """Build the test database, always, then onboard the session's utilities.

    pytest-django's own fixture creates a test database only when some collected test is
    marked for the database; a run of only browser tests or benchmarks (which commit data
    through `django_db_blocker.unblock()`) would then write into the development database.
    """
    from django.test.utils import setup_databases, teardown_databases

    from tenants.models import Utility
    from tenants.services import utility_create

    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        db_config = setup_databases(verbosity=verbosity, interactive=False,
                                    aliases={"default"}, serialized_aliases=set())
        assert connection.settings_dict["NAME"].startswith("test_")
        for slug, spec in TENANT_SPECS.items():
            if not Utility.objects.filter(slug=slug).exists():
                utility_create(slug=slug, actor="tests", staff_email=f"admin@{slug}.test",
                               send_staff_email=False, **spec)
    yield
    with django_db_blocker.unblock():
        name = connection.settings_dict["NAME"]
        connection.close()
        # Workers, live servers and threads of the session may still hold a connection.
        with connection._nodb_cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = %s AND pid <> pg_backend_pid()", [name])
        teardown_databases(db_config, verbosity=verbosity)


@pytest.fixture(autouse=True)
def _start_in_public_schema():
    """Each test starts where a request starts: in the public schema."""
    connection.set_schema_to_public()
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language. A request activates its own language and
    Django leaves it active in the thread, so a test that calls services directly after an
    English request in the previous test would otherwise get English messages."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _utility(slug):
    from tenants.models import Utility

    return Utility.objects.get(slug=slug)


@pytest.fixture
def utility_a(db):
    return _utility("alpha")


@pytest.fixture
def utility_b(db):
    return _utility("beta")


@pytest.fixture
def in_tenant_a(utility_a):
    """Run the test body inside tenant A's schema."""
    connection.set_tenant(utility_a)
    yield utility_a
    connection.set_schema_to_public()


@pytest.fixture
def in_tenant_b(utility_b):
    connection.set_tenant(utility_b)
    yield utility_b
    connection.set_schema_to_public()


def tenant_client(utility) -> Client:
    return Client(HTTP_HOST=utility.get_primary_domain().domain)


@pytest.fixture
def client_a(utility_a) -> Client:
    return tenant_client(utility_a)


@pytest.fixture
def client_b(utility_b) -> Client:
    return tenant_client(utility_b)


def staff_login(client: Client, utility, username: str):
    """Log `client` in as a staff user of `utility` who is past the forced password change
    of the first login. The session and last_login live in the utility's schema."""
    from lk_core.users.models import User

    with schema_context(utility.schema_name):
        staff = User.objects.get(username=username)
        staff.must_change_password = False
        staff.save(update_fields=["must_change_password"])
        client.force_login(staff)
    return staff


@pytest.fixture
def public_client(db) -> Client:
    from django.conf import settings

    return Client(HTTP_HOST=settings.PLATFORM_DOMAIN)


@pytest.fixture
def in_schema():
    """`with in_schema(utility): ...` for a test that hops between tenants."""
    return lambda utility: schema_context(utility.schema_name)


# --- live server and browser ----------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _test_database_url() -> str:
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    host = settings_dict["HOST"] or "127.0.0.1"
    from urllib.parse import quote

    return (f"postgres://{settings_dict['USER']}@{quote(host, safe='')}:"
            f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}")


@pytest.fixture(scope="session")
def live_server_url(django_db_setup, django_db_blocker):
    """gunicorn serving the test database, as production would. Tenant hosts are
    <slug>.localhost:<port>; Chromium resolves *.localhost to the loopback itself."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "LK_TESTING": "1",
           "DEBUG": "0", "PUBLIC_PORT": str(port), "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}"}
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "gunicorn.log", "w")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "lk_platform.wsgi", "-b", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "4", "--timeout", "60"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {ARTIFACTS / 'gunicorn.log'}") from None
            time.sleep(0.2)
    yield f"http://{{host}}:{port}"
    proc.terminate()
    proc.wait(10)
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="ru-RU")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def race_utility(django_db_setup, django_db_blocker, monkeypatch):
    """A utility created outside the test's transaction, for real transactions in threads
    (two devices, two workers at once); deleted afterwards."""
    from tenants.services import utility_create, utility_delete

    # Playwright's sync API (browser tests earlier in the session) leaves its event loop
    # registered on the main thread, which Django's async guard takes for an async context.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with django_db_blocker.unblock():
        utility = utility_create(slug="race", name="Race Water", actor="tests",
                                 send_staff_email=False).utility
        try:
            yield utility
        finally:
            connection.set_schema_to_public()
            utility_delete(utility=utility, actor="tests")
            connection.close()
