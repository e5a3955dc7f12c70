"""Notification texts and settings (debt reminders, SMS gateway) in the staff console:
audited, secrets write-only, used by the sender; by role; per tenant."""

from __future__ import annotations

from django_tenants.utils import schema_context

from lk_core.notifications.models import MessageTemplate, NotificationSettings
from lk_core.notifications.rendering import TemplateCache
from lk_core.staff.models import StaffAuditEvent

SETTINGS = {"sms_enabled": "on", "sms_provider": "smsru", "sms_login": "alpha-api",
            "sms_secret": "very-secret-sms-key", "sms_sender": "AlphaWater",
            "quiet_hours_start": "21:00", "quiet_hours_end": "09:00",
            "debt_reminders_enabled": "on", "debt_threshold": "1500.00",
            "debt_reminder_day": "15", "reading_reminders_enabled": "on",
            "reading_reminder_days_before": "2"}


def settings_url(utility):
    with schema_context(utility.schema_name):
        row = NotificationSettings.objects.get_or_create(pk=1)[0]
    return f"/staff/notifications/notificationsettings/{row.pk}/change/"


def test_debt_reminder_settings_are_audited_and_the_secret_is_write_only(utility_a,
                                                                         staff_of):
    client = staff_of(utility_a, "admin")
    url = settings_url(utility_a)
    assert client.post(url, SETTINGS).status_code == 302
    with schema_context(utility_a.schema_name):
        row = NotificationSettings.objects.get()
        assert row.debt_reminders_enabled and row.debt_reminder_day == 15
        assert row.sms_secret == "very-secret-sms-key"
        event = StaffAuditEvent.objects.get(action="notificationsettings_changed")
        assert event.details["debt_reminder_day"] == {"from": 20, "to": 15}
        assert event.details["sms_secret"] == {"from": "", "to": "••••"}
        assert "very-secret-sms-key" not in str(event.details)
    page = client.get(url).content.decode()
    assert "very-secret-sms-key" not in page
    # Saving again with the secret left empty keeps it.
    client.post(url, {**SETTINGS, "sms_secret": "", "debt_reminder_day": "16"})
    with schema_context(utility_a.schema_name):
        row = NotificationSettings.objects.get()
        assert row.sms_secret == "very-secret-sms-key" and row.debt_reminder_day == 16


def test_notification_text_is_used_by_the_sender_and_audited(utility_a, utility_b, staff_of):
    client = staff_of(utility_a, "admin")
    response = client.post("/staff/notifications/messagetemplate/add/", {
        "kind": "debt_reminder", "email_subject": "Напоминание от Альфы",
        "email_body": "Долг {{ amount }}", "sms_text": "Альфа: долг {{ amount }}"})
    assert response.status_code == 302
    with schema_context(utility_a.schema_name):
        assert TemplateCache(utility_a).wording("debt_reminder")[0] == "Напоминание от Альфы"
        assert StaffAuditEvent.objects.filter(action="messagetemplate_changed").exists()
    with schema_context(utility_b.schema_name):
        assert TemplateCache(utility_b).wording("debt_reminder")[0] != "Напоминание от Альфы"
        assert not MessageTemplate.objects.exists()


def test_roles_on_notification_configuration(utility_a, staff_of):
    url = settings_url(utility_a)
    for role, view, change in (("dispatcher", 403, 403), ("operator", 403, 403),
                               ("readonly", 200, 403)):
        client = staff_of(utility_a, role)
        assert client.get(url).status_code == view, role
        assert client.post(url, SETTINGS).status_code == change, role
        assert client.get("/staff/notifications/messagetemplate/add/").status_code == 403
    with schema_context(utility_a.schema_name):
        assert not NotificationSettings.objects.get().debt_reminders_enabled


def test_reading_reminder_settings_are_validated_and_saved(utility_a, utility_b, staff_of):
    client = staff_of(utility_a, "admin")
    url = settings_url(utility_a)
    response = client.post(url, {**SETTINGS, "reading_reminder_days_before": "0"})
    assert response.status_code == 200 and response.context["adminform"].form.errors
    with schema_context(utility_a.schema_name):
        assert NotificationSettings.objects.get().reading_reminder_days_before == 2
    assert client.post(url, {**SETTINGS, "reading_reminders_enabled": "",
                             "reading_reminder_days_before": "4"}).status_code == 302
    with schema_context(utility_a.schema_name):
        row = NotificationSettings.objects.get()
        assert not row.reading_reminders_enabled and row.reading_reminder_days_before == 4
    with schema_context(utility_b.schema_name):  # the other utility keeps the defaults
        row = NotificationSettings.objects.first() or NotificationSettings()
        assert row.reading_reminders_enabled and row.reading_reminder_days_before == 2
