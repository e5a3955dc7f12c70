"""The platform's own `manage.py check --deploy` checks."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def outbound_private_networks_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    if getattr(settings, "OUTBOUND_ALLOW_PRIVATE_NETWORKS", False):
        return [checks.Warning(
            "OUTBOUND_ALLOW_PRIVATE_NETWORKS is on: appeal webhooks and billing pull URLs "
            "that staff configure may reach loopback, private and link-local addresses "
            "(cloud metadata, the database, internal services).",
            hint="Unset it (or set it to 0) in production.",
            id="lk_platform.W001")]
    return []


@checks.register(checks.Tags.security, deploy=True)
def appeal_webhook_http_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    if getattr(settings, "APPEAL_WEBHOOK_ALLOW_HTTP", False):
        return [checks.Warning(
            "APPEAL_WEBHOOK_ALLOW_HTTP is on: staff may route appeals (names, addresses, "
            "texts) to plain http:// webhooks, readable and changeable on the way.",
            hint="Unset it (or set it to 0) in production.",
            id="lk_platform.W002")]
    return []
