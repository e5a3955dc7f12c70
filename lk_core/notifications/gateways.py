"""What lk_core needs from an SMS gateway. Adapters live in integrations/sms/ and are
chosen by the tenant's NotificationSettings.sms_provider (settings.SMS_GATEWAYS maps the
name to a class), so lk_core never imports a concrete adapter."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class DeliveryError(Exception):
    """A channel could not deliver. `retryable` says whether trying later can help."""

    retryable = True


class RetryableDeliveryError(DeliveryError):
    """Network trouble, provider down, rate limit, no funds: try again later."""


class PermanentDeliveryError(DeliveryError):
    """Bad number, bad credentials, message refused: retrying sends nothing."""

    retryable = False


def email_send(message) -> None:
    """Send a Django e-mail message, turning mail-server trouble into the typed errors:
    a refused recipient is permanent, anything else from the server is worth a retry."""
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentDeliveryError(f"recipient refused: {exc}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise RetryableDeliveryError(f"mail server: {exc}") from exc


@dataclass(frozen=True)
class SmsGatewayConfig:
    login: str = ""
    secret: str = ""
    sender: str = ""


class SmsGateway(Protocol):
    def __init__(self, config: SmsGatewayConfig) -> None: ...

    def send_sms(self, *, phone: str, text: str) -> str:
        """Send one message; return the provider's message id. Raise DeliveryError."""


def sms_gateway_get(*, provider: str, config: SmsGatewayConfig) -> SmsGateway:
    try:
        path = settings.SMS_GATEWAYS[provider]
    except KeyError as exc:
        raise PermanentDeliveryError(f"unknown SMS provider {provider!r}") from exc
    return import_string(path)(config)
