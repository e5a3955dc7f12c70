"""SMSC.ru HTTP API (https://smsc.ru/api/http/send/): POST /sys/send.php with login, psw,
phones, mes, fmt=3 (JSON). Success: {"id": .., "cnt": ..}; failure: error_code."""

from __future__ import annotations

from django.conf import settings

from integrations.sms.http import post_form
from lk_core.notifications.gateways import (
    PermanentDeliveryError,
    RetryableDeliveryError,
    SmsGatewayConfig,
)

# 3 no funds, 4 IP temporarily blocked, 9 too many identical requests: try later.
RETRYABLE_CODES = {3, 4, 9}


class SmscGateway:
    def __init__(self, config: SmsGatewayConfig) -> None:
        self.config = config
        self.url = settings.SMSC_API_URL.rstrip("/") + "/sys/send.php"

    def send_sms(self, *, phone: str, text: str) -> str:
        fields = {"login": self.config.login, "psw": self.config.secret, "phones": phone,
                  "mes": text, "fmt": "3", "charset": "utf-8"}
        if self.config.sender:
            fields["sender"] = self.config.sender
        answer = post_form(self.url, fields)
        if "error_code" in answer or "error" in answer:
            code = int(answer.get("error_code") or 0)
            message = f"SMSC {code}: {answer.get('error', '')}"
            raise (RetryableDeliveryError if code in RETRYABLE_CODES else
                   PermanentDeliveryError)(message)
        return str(answer.get("id", ""))
