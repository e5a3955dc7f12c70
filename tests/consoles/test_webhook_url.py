"""One rule for an appeal route's webhook URL (lk_core/appeals/validators.py): the staff
console form, the service and the model's own validation refuse the same input with the
same translated message, and accept https. Production settings: http:// is refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation
from django_tenants.utils import schema_context

from lk_core.appeals import services
from lk_core.appeals.models import AppealCategory
from lk_core.staff.models import StaffAuditEvent
from lk_core.users.models import StaffRole
from tests.consoles.test_appeal_routing import SECRET

HTTPS = "https://crm.utility.example/appeals"
MUST_BE_HTTPS = {"ru": "URL вебхука должен начинаться с https://.",
                 "en": "The webhook URL must start with https://."}
MALFORMED = {"ru": "Укажите корректный URL вебхука, например "
                   "https://crm.utility.example/appeals.",
             "en": "Enter a valid webhook URL, for example https://crm.utility.example/appeals."}
REQUIRED = {"ru": "Укажите URL вебхука.", "en": "Enter the webhook URL."}

REFUSED = [
    ("http://crm.utility.example/appeals", MUST_BE_HTTPS),
    ("crm.utility.example/appeals", MUST_BE_HTTPS),  # no scheme is not taken as https
    ("ftp://crm.utility.example/appeals", MUST_BE_HTTPS),
    ("https://crm utility.example/appeals", MALFORMED),
    ("https://", MALFORMED),
    ("https://crm..utility.example/appeals", MALFORMED),
    ("", REQUIRED),
]

production = override_settings(APPEAL_WEBHOOK_ALLOW_HTTP=False)


def _form(url: str) -> dict:
    return {"name": "Протечка", "destination": "dispatch", "priority": "1", "is_active": "on",
            "position": "0", "delivery": "webhook", "webhook_url": url,
            "webhook_secret": SECRET}


def _console_errors(client, url: str, language: str) -> list[str]:
    response = client.post("/staff/appeals/appealcategory/add/", _form(url),
                           HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.context["adminform"].form.errors["webhook_url"]


def _service_errors(utility, url: str, language: str) -> list[str]:
    with schema_context(utility.schema_name), translation.override(language), \
            pytest.raises(ValidationError) as refused:
        services.appeal_category_save(
            actor="tests", category=AppealCategory(name="Протечка", delivery="webhook",
                                                   webhook_url=url),
            fields=["name", "delivery", "webhook_url"], webhook_secret=SECRET)
    return refused.value.message_dict["webhook_url"]


@production
@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize(("url", "message"), REFUSED)
def test_console_and_service_refuse_with_the_same_message(utility_a, staff_of, url, message,
                                                           language):
    client = staff_of(utility_a, StaffRole.ADMIN, "boss")
    assert _console_errors(client, url, language) == [message[language]]
    assert _service_errors(utility_a, url, language) == [message[language]]
    with schema_context(utility_a.schema_name):
        assert not AppealCategory.objects.exists()
        assert not StaffAuditEvent.objects.filter(section="appeal_routes").exists()


@production
@pytest.mark.parametrize(("url", "message"), [(u, m) for u, m in REFUSED if u])
def test_model_validation_gives_the_same_message_whatever_the_delivery(utility_a, url,
                                                                        message):
    """A URL is checked even on a route that does not deliver by webhook (yet), so a bad
    one cannot be stored and switched on later."""
    category = AppealCategory(name="Протечка", delivery="desk", webhook_url=url)
    with schema_context(utility_a.schema_name), translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            category.full_clean()
        assert refused.value.message_dict["webhook_url"] == [message["en"]]
        with pytest.raises(ValidationError) as refused:
            services.appeal_category_save(actor="tests", category=category,
                                          fields=["name", "delivery", "webhook_url"])
        assert refused.value.message_dict["webhook_url"] == [message["en"]]
        assert not AppealCategory.objects.exists()


@production
def test_https_is_accepted_by_the_console_and_the_service(utility_a, staff_of):
    client = staff_of(utility_a, StaffRole.ADMIN, "boss")
    response = client.post("/staff/appeals/appealcategory/add/", _form(HTTPS))
    assert response.status_code == 302, response.content.decode()[:2000]
    with schema_context(utility_a.schema_name):
        saved = services.appeal_category_save(
            actor="tests", category=AppealCategory(name="Авария", delivery="webhook",
                                                   webhook_url=HTTPS + "/dispatch"),
            fields=["name", "delivery", "webhook_url"], webhook_secret=SECRET)
        assert sorted(AppealCategory.objects.values_list("webhook_url", flat=True)) == [
            HTTPS, HTTPS + "/dispatch"]
        assert saved.pk is not None


def test_http_only_with_the_development_setting(utility_a):
    category = AppealCategory(name="Протечка", delivery="webhook",
                              webhook_url="http://127.0.0.1:9/appeals")
    with schema_context(utility_a.schema_name):
        services.appeal_category_save(actor="tests", category=category,
                                      fields=["name", "delivery", "webhook_url"],
                                      webhook_secret=SECRET)
        assert AppealCategory.objects.get().webhook_url == "http://127.0.0.1:9/appeals"


def test_deploy_check_warns_when_plain_http_webhooks_are_allowed():
    from django.core.checks import Warning as CheckWarning

    from lk_platform.checks import development_switches_check

    with override_settings(APPEAL_WEBHOOK_ALLOW_HTTP=True,
                           OUTBOUND_ALLOW_PRIVATE_NETWORKS=False):
        [warning] = development_switches_check(None)
    assert isinstance(warning, CheckWarning) and warning.id == "lk_platform.W002"
    assert warning.msg.startswith("APPEAL_WEBHOOK_ALLOW_HTTP is on: ")
    with production, override_settings(OUTBOUND_ALLOW_PRIVATE_NETWORKS=False):
        assert development_switches_check(None) == []
