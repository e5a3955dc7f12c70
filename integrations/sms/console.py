"""Development gateway: the message goes to the log (and to a list tests can read)."""

from __future__ import annotations

import logging
import uuid

from lk_core.notifications.gateways import SmsGatewayConfig

logger = logging.getLogger(__name__)
outbox: list[dict[str, str]] = []  # like django.core.mail.outbox, for the demo and tests


class ConsoleGateway:
    def __init__(self, config: SmsGatewayConfig) -> None:
        self.config = config

    def send_sms(self, *, phone: str, text: str) -> str:
        message_id = uuid.uuid4().hex
        outbox.append({"phone": phone, "text": text, "id": message_id})
        logger.info("SMS to %s: %s", phone, text)
        return message_id
