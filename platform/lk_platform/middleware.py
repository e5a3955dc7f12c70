"""Process-level middleware: health checks (any host) and the Content-Security-Policy."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from lk_platform import health


class HealthCheckMiddleware:
    """`/healthz` and `/readyz` answer on every host, before tenant resolution, so a load
    balancer can probe any name the process serves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            checks = health.readiness()
            ok = all(check["ok"] for check in checks.values())
            return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks},
                                status=200 if ok else 503)
        return self.get_response(request)


class ProxiedClientAddressMiddleware:
    """Behind TRUSTED_PROXY_COUNT reverse proxies, the client is the address that the
    outermost trusted proxy appended to X-Forwarded-For; anything further left was written
    by the client and is not believed. With no trusted proxies REMOTE_ADDR stands, so
    per-IP rate limits cannot be dodged with a forged header."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.hops = settings.TRUSTED_PROXY_COUNT

    def __call__(self, request: HttpRequest) -> HttpResponse:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if self.hops and forwarded:
            addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
            if addresses:
                request.META["REMOTE_ADDR"] = addresses[-min(self.hops, len(addresses))]
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            policy = getattr(response, "csp_override", None) or settings.CONTENT_SECURITY_POLICY
            response["Content-Security-Policy"] = policy
        return response
