"""SMS adapters against local fakes of each provider's HTTP API (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import socket

import pytest

from integrations.sms.smsc import SmscGateway
from integrations.sms.smsru import SmsRuGateway
from lk_core.notifications.gateways import (
    PermanentDeliveryError,
    RetryableDeliveryError,
    SmsGatewayConfig,
    sms_gateway_get,
)
from tests.tasks.fake_sms_providers import FakeSmsc, FakeSmsRu

PHONE = "79991234567"


@pytest.fixture
def smsru(settings):
    fake = FakeSmsRu()
    settings.SMSRU_API_URL = fake.url
    yield fake
    fake.close()


@pytest.fixture
def smsc(settings):
    fake = FakeSmsc()
    settings.SMSC_API_URL = fake.url
    yield fake
    fake.close()


def _smsru() -> SmsRuGateway:
    return sms_gateway_get(provider="smsru",
                           config=SmsGatewayConfig(secret="API-KEY", sender="Vodokanal"))


def _smsc() -> SmscGateway:
    return sms_gateway_get(provider="smsc", config=SmsGatewayConfig(
        login="alpha", secret="pa55", sender="Vodokanal"))


def test_smsru_sends_and_returns_the_message_id(smsru):
    message_id = _smsru().send_sms(phone=PHONE, text="Счёт за 10.2026: 1500.00 руб.")
    assert message_id == "000000-00000001"
    [request] = smsru.requests
    assert request == {"path": "/sms/send", "api_id": "API-KEY", "to": PHONE,
                       "msg": "Счёт за 10.2026: 1500.00 руб.", "json": "1",
                       "from": "Vodokanal"}


@pytest.mark.parametrize(("answer", "error"), [
    (FakeSmsRu.error(200, "Неправильный api_id"), PermanentDeliveryError),
    (FakeSmsRu.error(220, "Сервис временно недоступен"), RetryableDeliveryError),
    (FakeSmsRu.error(201, "Не хватает средств"), RetryableDeliveryError),
    (FakeSmsRu.number_error(PHONE, 202, "Неправильно указан номер"), PermanentDeliveryError),
])
def test_smsru_errors_are_typed(smsru, answer, error):
    smsru.script.append((200, answer))
    with pytest.raises(error):
        _smsru().send_sms(phone=PHONE, text="x")


@pytest.mark.parametrize(("status", "error"), [(503, RetryableDeliveryError),
                                               (403, PermanentDeliveryError)])
def test_smsru_http_errors_are_typed(smsru, status, error):
    smsru.script.append((status, "nope"))
    with pytest.raises(error):
        _smsru().send_sms(phone=PHONE, text="x")


def test_smsc_sends_and_returns_the_message_id(smsc):
    assert _smsc().send_sms(phone=PHONE, text="Показания до 25.11") == "1"
    [request] = smsc.requests
    assert request == {"path": "/sys/send.php", "login": "alpha", "psw": "pa55",
                       "phones": PHONE, "mes": "Показания до 25.11", "fmt": "3",
                       "charset": "utf-8", "sender": "Vodokanal"}


@pytest.mark.parametrize(("code", "error"), [
    (2, PermanentDeliveryError), (7, PermanentDeliveryError), (6, PermanentDeliveryError),
    (3, RetryableDeliveryError), (9, RetryableDeliveryError), (4, RetryableDeliveryError),
])
def test_smsc_errors_are_typed(smsc, code, error):
    smsc.script.append((200, FakeSmsc.error(code, "error text")))
    with pytest.raises(error):
        _smsc().send_sms(phone=PHONE, text="x")


def test_unreachable_provider_is_retryable(settings):
    with socket.socket() as sock:  # a port with nobody listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.SMSC_API_URL = f"http://127.0.0.1:{port}"
    with pytest.raises(RetryableDeliveryError):
        _smsc().send_sms(phone=PHONE, text="x")


def test_garbage_answer_is_retryable_not_a_crash(smsru):
    smsru.script.append((200, "<html>maintenance</html>"))
    with pytest.raises(RetryableDeliveryError):
        _smsru().send_sms(phone=PHONE, text="x")


def test_unknown_provider_is_permanent():
    with pytest.raises(PermanentDeliveryError):
        sms_gateway_get(provider="pigeon", config=SmsGatewayConfig())


def test_outbox_delivers_through_the_tenants_provider(
        smsru, utility_a, utility_b, in_schema, django_capture_on_commit_callbacks):
    """End to end: alpha uses SMS.ru, beta keeps the console gateway."""
    from django.test import override_settings

    from lk_core.notifications import services
    from lk_core.notifications.models import Kind, Notification, Status
    from tests.tasks.conftest import tasks_setting
    from tests.tasks.factories import notification_settings, resident

    with override_settings(TASKS=tasks_setting("immediate", "")):
        for utility, provider in ((utility_a, "smsru"), (utility_b, "console")):
            with in_schema(utility):
                notification_settings(sms_enabled=True, sms_provider=provider,
                                      sms_secret="KEY-" + utility.slug)
                _acc, user = resident("G-1")
                with django_capture_on_commit_callbacks(execute=True):
                    services.notification_enqueue(kind=Kind.PASSWORD_RESET, user=user,
                                                  phone=PHONE, context={"code": "4321"})
                sms = Notification.objects.get(channel="sms")
                assert sms.status == Status.SENT
    assert [r["api_id"] for r in smsru.requests] == ["KEY-alpha"]
    assert "4321" in smsru.requests[0]["msg"] and utility_a.name in smsru.requests[0]["msg"]
