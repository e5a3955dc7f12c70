"""Requests to URLs that staff configure (appeal webhooks, billing pull sources) must not
reach the platform's own network: loopback, private, link-local (cloud metadata at
169.254.169.254), multicast or reserved addresses are refused unless
settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS (on in development and tests, off in production).

Checked twice: when the URL is saved (`outbound_url_validator`, a model field validator,
gives staff a clear error) and when the request is made. The second check is the one that
matters: `outbound_opener` resolves the host name itself, checks every address and
connects to the address it checked, so a DNS answer that changes between the check and
the connection (DNS rebinding) cannot redirect the request. Every redirect the pull
follows goes through the same connection, without the Authorization header when it leads
to another host. Only http and https; no proxy from the environment (the request goes
straight to the checked address)."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SCHEMES = ("http", "https")
NAT64 = ipaddress.ip_network("64:ff9b::/96")

# Module-level so tests can stand in a resolver (a host name whose answer changes).
getaddrinfo = socket.getaddrinfo


class OutboundAddressRefused(OSError):
    """The host is, or resolves to, an address requests must not go to. An OSError, so
    urllib wraps it in URLError like any failure to connect; `outbound_refusal` finds it."""


def address_allowed(address: str) -> bool:
    """A public unicast address (IPv4, IPv6, or IPv4 inside IPv6)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in NAT64 else None)
        if embedded is not None:
            return address_allowed(str(embedded))
        if ip.teredo:
            return all(address_allowed(str(part)) for part in ip.teredo)
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_private
                                 or ip.is_loopback or ip.is_link_local or ip.is_unspecified)


def _refused_message(host: str, address: str) -> str:
    return _("%(host)s is or resolves to %(address)s, a loopback, private, link-local, "
             "multicast or reserved address: the platform does not send requests into its "
             "own network.") % {"host": host, "address": address}


def resolve_checked(host: str, port: int) -> list[tuple]:
    """getaddrinfo for a TCP connection, refusing the host when any address is not
    allowed (unless the setting allows private networks)."""
    infos = getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    if not settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS:
        for *_rest, sockaddr in infos:
            if not address_allowed(sockaddr[0]):
                raise OutboundAddressRefused(_refused_message(host, sockaddr[0]))
    return infos


def _connect_checked(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None,
                     *args, **kwargs):
    """socket.create_connection, but to the addresses resolve_checked allowed."""
    host, port = address
    error: OSError | None = None
    for family, type_, proto, _canonname, sockaddr in resolve_checked(host, port):
        sock = socket.socket(family, type_, proto)
        try:
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error or OSError(f"getaddrinfo returned nothing for {host}")


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _connect_checked


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    """TLS still verifies the certificate against the host name (SNI too): only the TCP
    connection goes to the checked address."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _connect_checked


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_CheckedHTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_CheckedHTTPSConnection, req, context=self._context)


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    """urllib's, except that credentials stay with their host: a redirect to another host
    goes without the Authorization header."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urlsplit(newurl).netloc.lower() != urlsplit(
                req.full_url).netloc.lower():
            new.remove_header("Authorization")
        return new


def outbound_opener(*, follow_redirects: bool) -> urllib.request.OpenerDirector:
    """An opener for http and https only (a redirect elsewhere fails as an unknown URL
    type), every connection checked; no environment proxies, files or FTP."""
    opener = urllib.request.OpenerDirector()
    handlers = [_HTTPHandler(), _HTTPSHandler(), urllib.request.UnknownHandler(),
                urllib.request.HTTPDefaultErrorHandler(), urllib.request.HTTPErrorProcessor()]
    if follow_redirects:
        handlers.append(_RedirectHandler())
    for handler in handlers:
        opener.add_handler(handler)
    return opener


def outbound_refusal(exc: BaseException) -> OutboundAddressRefused | None:
    """The refusal behind a failed request, if that is why it failed."""
    if isinstance(exc, OutboundAddressRefused):
        return exc
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason,
                                                             OutboundAddressRefused):
        return exc.reason
    return None


def outbound_url_check(url: str) -> None:
    """Raise OutboundAddressRefused (scheme, host, addresses) before a request is made."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise OutboundAddressRefused(_("Only http:// and https:// addresses with a host "
                                       "name are allowed."))


def outbound_url_validator(value: str) -> None:
    """The save-time check (a model field validator): scheme, then the host's addresses
    when the name resolves now. A name that does not resolve yet is left to the check at
    send time, which refuses it then if it resolves into a refused network."""
    parts = urlsplit(value or "")
    if not value:
        return
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ValidationError(_("Only http:// and https:// addresses with a host name are "
                                "allowed."), code="outbound_scheme")
    if settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        resolve_checked(parts.hostname, port)
    except OutboundAddressRefused as exc:
        raise ValidationError(str(exc), code="outbound_private") from exc
    except (OSError, ValueError, UnicodeError):
        return
