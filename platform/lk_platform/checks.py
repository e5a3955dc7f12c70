"""The platform's own `manage.py check --deploy` checks."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

# Switches that are on in development and tests and must be off in production:
# (setting, what it allows, check id).
DEVELOPMENT_SWITCHES = (
    ("OUTBOUND_ALLOW_PRIVATE_NETWORKS",
     "appeal webhooks and billing pull URLs that staff configure may reach loopback, "
     "private and link-local addresses (cloud metadata, the database, internal services)",
     "lk_platform.W001"),
    ("APPEAL_WEBHOOK_ALLOW_HTTP",
     "staff may route appeals (names, addresses, texts) to plain http:// webhooks, readable "
     "and changeable on the way",
     "lk_platform.W002"),
)


@checks.register(checks.Tags.security, deploy=True)
def development_switches_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    return [checks.Warning(f"{name} is on: {allows}.",
                           hint="Unset it (or set it to 0) in production.", id=check_id)
            for name, allows, check_id in DEVELOPMENT_SWITCHES
            if getattr(settings, name, False)]
