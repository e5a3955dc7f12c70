"""Per-IP limits see the real client: a forged X-Forwarded-For is ignored unless a trusted
proxy appended it."""

from django.http import HttpResponse
from django.test import RequestFactory

from lk_platform.middleware import ProxiedClientAddressMiddleware


def _seen_address(settings, hops, forwarded):
    settings.TRUSTED_PROXY_COUNT = hops
    seen = {}

    def view(request):
        seen["ip"] = request.META["REMOTE_ADDR"]
        return HttpResponse()

    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5",
                                   HTTP_X_FORWARDED_FOR=forwarded)
    ProxiedClientAddressMiddleware(view)(request)
    return seen["ip"]


def test_no_trusted_proxy_ignores_the_header(settings):
    assert _seen_address(settings, 0, "203.0.113.9") == "10.0.0.5"


def test_one_trusted_proxy_takes_the_address_it_appended(settings):
    # The client forged "1.2.3.4"; the proxy appended the address it saw.
    assert _seen_address(settings, 1, "1.2.3.4, 198.51.100.7") == "198.51.100.7"


def test_two_trusted_proxies(settings):
    assert _seen_address(settings, 2, "1.2.3.4, 198.51.100.7, 10.1.1.1") == "198.51.100.7"
