"""URLs staff configure (appeal webhooks, billing pull sources) cannot reach the platform's
own network in production (OUTBOUND_ALLOW_PRIVATE_NETWORKS off): refused with a clear,
translated error when saved, and refused again when the request is made, on the address
actually connected to (a host name that resolves elsewhere at send time, DNS rebinding,
and a redirect into the network are refused too). The rest of the suite runs with the
setting on, as development does, so local receivers work."""

from __future__ import annotations

import socket
from http.server import BaseHTTPRequestHandler

import pytest
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation
from django_tenants.utils import schema_context

from integrations.billing.pull import billing_pull_tenant
from lk_core.appeals.models import AppealCategory
from lk_core.billing.interfaces import PullError
from lk_core.billing.models import ImportRun, PullSource
from lk_core.users.models import StaffRole
from lk_platform import outbound
from lk_platform.checks import development_switches_check
from tests.billing.test_pull import LocalServer, PackageServer
from tests.consoles.test_appeal_routing import SECRET, Receiver, _appeal, _delivery, _route
from tests.tasks.conftest import tasks_setting

PRODUCTION = override_settings(OUTBOUND_ALLOW_PRIVATE_NETWORKS=False)

REFUSED_URLS = [
    "http://127.0.0.1:8080/hook",
    "http://10.20.30.40/hook",
    "http://192.168.1.10/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:8080/hook",
    "http://0.0.0.0:8080/hook",
    "http://localhost:8080/hook",  # a host name that resolves to loopback
]


@pytest.fixture(autouse=True)
def immediate_engine():
    with override_settings(TASKS=tasks_setting("immediate", "")):
        yield


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def package_server():
    server = PackageServer()
    yield server
    server.stop()


def _resolver(monkeypatch, answers: dict[str, str]):
    """Stand in DNS for the names in `answers` (name -> IP); others resolve as usual."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in answers:
            return real(answers[host], port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(outbound, "getaddrinfo", fake)
    return answers


@pytest.mark.parametrize(("address", "allowed"), [
    ("93.184.216.34", True), ("2606:4700::1111", True), ("127.0.0.1", False),
    ("127.8.9.10", False), ("10.0.0.1", False), ("172.16.5.4", False),
    ("192.168.0.1", False), ("169.254.169.254", False), ("100.64.0.1", False),
    ("0.0.0.0", False),  # noqa: S104 - refused, not bound
    ("224.0.0.1", False), ("239.255.255.250", False),
    ("240.0.0.1", False), ("255.255.255.255", False), ("::1", False), ("fe80::1", False),
    ("fd00::1", False), ("ff02::1", False), ("::ffff:127.0.0.1", False),
    ("::ffff:93.184.216.34", True), ("2002:7f00:1::1", False), ("64:ff9b::a00:1", False),
    ("64:ff9b::5db8:d822", True),
])
def test_address_policy(address, allowed):
    assert outbound.address_allowed(address) is allowed


# --- when saved ----------------------------------------------------------------------------

@PRODUCTION
@pytest.mark.parametrize("url", REFUSED_URLS)
def test_webhook_url_into_the_network_is_refused_when_saved(utility_a, url):
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        _route(utility_a, delivery="webhook", webhook_url=url)
    [message] = refused.value.message_dict["webhook_url"]
    assert "loopback, private, link-local, multicast or reserved address" in message
    with schema_context(utility_a.schema_name):
        assert not AppealCategory.objects.exists()


@PRODUCTION
def test_refusal_is_translated_in_the_console(utility_a, staff_of):
    client = staff_of(utility_a, StaffRole.ADMIN, "boss")
    response = client.post("/staff/appeals/appealcategory/add/", {
        "name": "Протечка", "destination": "dispatch", "priority": "1", "is_active": "on",
        "position": "0", "delivery": "webhook", "webhook_secret": SECRET,
        "webhook_url": "http://169.254.169.254/latest/meta-data/"})
    assert response.status_code == 200
    [message] = response.context["adminform"].form.errors["webhook_url"]
    assert "169.254.169.254" in message and "частный" in message  # Russian by default
    with schema_context(utility_a.schema_name):
        assert not AppealCategory.objects.exists()


@PRODUCTION
@pytest.mark.parametrize("url", ["http://10.0.0.5/package.zip", "http://localhost/p.zip",
                                 "http://169.254.169.254/latest/"])
def test_pull_url_into_the_network_is_refused_in_the_console(utility_a, staff_of, url):
    client = staff_of(utility_a, StaffRole.ADMIN)
    response = client.post("/staff/billing/pullsource/add/", {"url": url, "enabled": "on"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    [message] = response.context["adminform"].form.errors["url"]
    assert "the platform does not send requests into its own network" in message
    with schema_context(utility_a.schema_name):
        assert not PullSource.objects.exists()


@PRODUCTION
def test_public_urls_are_saved(utility_a, staff_of, monkeypatch):
    _resolver(monkeypatch, {"billing.utility.example": "93.184.216.34"})
    client = staff_of(utility_a, StaffRole.ADMIN)
    response = client.post("/staff/billing/pullsource/add/", {
        "url": "https://billing.utility.example/package.zip", "enabled": "on"})
    assert response.status_code == 302
    # A name that does not resolve now is left to the check at send time.
    _route(utility_a, delivery="webhook", webhook_url="https://not-yet.invalid/hook")


def test_only_http_and_https(utility_a):
    with pytest.raises(ValidationError) as refused:
        outbound.outbound_url_validator("ftp://billing.example/package.zip")
    assert refused.value.code == "outbound_scheme"


# --- when sent -----------------------------------------------------------------------------

def test_webhook_delivery_into_the_network_records_a_clear_error(
        utility_a, receiver, django_capture_on_commit_callbacks, staff_of):
    category = _route(utility_a, delivery="webhook", webhook_url=receiver.url)  # dev: allowed
    with PRODUCTION, translation.override("en"):
        appeal = _appeal(utility_a, category, django_capture_on_commit_callbacks)
    row = _delivery(utility_a, appeal)
    assert (row.status, row.attempts) == ("failed", 1)  # permanent: not retried
    assert "127.0.0.1" in row.last_error and "private" in row.last_error
    assert receiver.requests == []  # never connected
    page = staff_of(utility_a, StaffRole.DISPATCHER).get(
        f"/staff/appeals/appeal/{appeal.pk}/change/").content.decode()
    assert "desk-delivery-failed" in page and "127.0.0.1" in page


def test_dns_rebinding_is_refused_at_send_time(utility_a, receiver, monkeypatch,
                                               django_capture_on_commit_callbacks):
    dns = _resolver(monkeypatch, {"hooks.utility.example": "93.184.216.34"})
    url = f"http://hooks.utility.example:{receiver.port}/lk/appeals"
    with PRODUCTION:
        category = _route(utility_a, delivery="webhook", webhook_url=url)  # public: saved
    dns["hooks.utility.example"] = "127.0.0.1"  # the name now points inside
    # In development the request goes to the address the check resolved (not a second
    # lookup): the receiver gets it under the configured host name.
    _appeal(utility_a, category, django_capture_on_commit_callbacks, "930010")
    assert [r["headers"]["host"] for r in receiver.requests] == [
        f"hooks.utility.example:{receiver.port}"]
    with PRODUCTION:
        appeal = _appeal(utility_a, category, django_capture_on_commit_callbacks, "930011")
    row = _delivery(utility_a, appeal)
    assert row.status == "failed" and "hooks.utility.example" in row.last_error
    assert "127.0.0.1" in row.last_error and len(receiver.requests) == 1


def test_pull_into_the_network_is_refused_at_fetch_time(in_tenant_a, package_server):
    PullSource.objects.create(url=package_server.url)
    with PRODUCTION, pytest.raises(PullError) as refused, translation.override("en"):
        billing_pull_tenant(in_tenant_a)
    assert not refused.value.retryable
    assert "127.0.0.1" in str(refused.value) and "own network" in str(refused.value)
    assert package_server.requests == [] and not ImportRun.objects.exists()


class Redirector(LocalServer):
    """Answers every GET with a redirect to `location`."""

    def __init__(self, location: str):
        owner = self
        self.hits = 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.hits += 1
                self.send_response(302)
                self.send_header("Location", location)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.serve(Handler)


@pytest.mark.parametrize("location", ["http://169.254.169.254/latest/meta-data/",
                                      "ftp://169.254.169.254/package.zip",
                                      "file:///etc/passwd"])
def test_pull_redirect_into_the_network_is_refused(in_tenant_a, monkeypatch, location):
    # The first hop stands for a public server (the policy allows 127.0.0.1 here only).
    policy = outbound.address_allowed
    monkeypatch.setattr(outbound, "address_allowed",
                        lambda address: address == "127.0.0.1" or policy(address))
    server = Redirector(location)
    try:
        PullSource.objects.create(url=server.url)
        with PRODUCTION, pytest.raises(PullError) as refused:
            billing_pull_tenant(in_tenant_a)
        assert server.hits == 1  # the redirect is never followed outside http(s)
        if location.startswith("http:"):
            assert "169.254.169.254" in str(refused.value) and not refused.value.retryable
    finally:
        server.stop()
    assert not ImportRun.objects.exists()


def test_deploy_check_warns_when_private_networks_are_allowed():
    with override_settings(OUTBOUND_ALLOW_PRIVATE_NETWORKS=True, APPEAL_WEBHOOK_ALLOW_HTTP=False):
        [warning] = development_switches_check(None)
    assert isinstance(warning, CheckWarning) and warning.id == "lk_platform.W001"
    assert warning.msg.startswith("OUTBOUND_ALLOW_PRIVATE_NETWORKS is on: ")
    with PRODUCTION, override_settings(APPEAL_WEBHOOK_ALLOW_HTTP=False):
        assert development_switches_check(None) == []


def test_pull_redirect_to_another_host_goes_without_credentials(in_tenant_a, package_server,
                                                                tmp_path):
    from tests.billing.conftest import ENSKVODA, zip_dir

    package_server.body = zip_dir(ENSKVODA, tmp_path / "p.zip").read_bytes()
    port = package_server.url.split(":")[2].split("/")[0]
    server = Redirector(f"http://localhost:{port}/package.zip")
    try:
        PullSource.objects.create(url=server.url, auth_header="Bearer pull-secret")
        (run,) = billing_pull_tenant(in_tenant_a)
    finally:
        server.stop()
    assert run.status == "succeeded" and server.hits == 1
    [request] = package_server.requests
    assert "Authorization" not in request and request["Host"] == f"localhost:{port}"
