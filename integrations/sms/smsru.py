"""SMS.ru HTTP API (https://sms.ru/api/send): POST /sms/send with api_id, to, msg, json=1.

The answer has an overall status_code and one per number; 100 is success."""

from __future__ import annotations

from django.conf import settings

from integrations.sms.http import post_form
from lk_core.notifications.gateways import (
    PermanentDeliveryError,
    RetryableDeliveryError,
    SmsGatewayConfig,
)

# Worth another try later: no funds (201), provider busy (220), rate limits (230-233).
RETRYABLE_CODES = {201, 220, 230, 231, 232, 233}


class SmsRuGateway:
    def __init__(self, config: SmsGatewayConfig) -> None:
        self.config = config
        self.url = settings.SMSRU_API_URL.rstrip("/") + "/sms/send"

    def send_sms(self, *, phone: str, text: str) -> str:
        fields = {"api_id": self.config.secret or self.config.login, "to": phone,
                  "msg": text, "json": "1"}
        if self.config.sender:
            fields["from"] = self.config.sender
        answer = post_form(self.url, fields)
        self._raise_for(answer)
        entry = (answer.get("sms") or {}).get(phone) or {}
        self._raise_for(entry)
        return str(entry.get("sms_id", ""))

    @staticmethod
    def _raise_for(answer: dict) -> None:
        if answer.get("status") == "OK":
            return
        code = int(answer.get("status_code") or 0)
        message = f"SMS.ru {code}: {answer.get('status_text', '')}"
        raise (RetryableDeliveryError if code in RETRYABLE_CODES else
               PermanentDeliveryError)(message)
