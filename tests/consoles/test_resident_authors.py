"""Staff see a resident as the account number and holder name, never as the login's
technical user name ("r-…"): in the appeals desk's history and on every console page that
names the resident (residents, security log, portal payments, autopay, outbox)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from lk_core.appeals import services as appeals
from lk_core.appeals.models import AppealCategory
from lk_core.identity.models import Resident, SecurityEvent
from lk_core.identity.selectors import user_label
from lk_core.notifications.models import Notification
from lk_core.payments.models import AutopayMandate, PortalPayment
from lk_core.users.models import StaffRole, User
from tests.consoles.conftest import staff_user
from tests.portal import data

LABEL = "930001 — Иванов Иван Иванович"


@pytest.fixture
def story(utility_a):
    """A resident's appeal with their reply and a dispatcher's, a payment, an autopay
    mandate, a notification and a security event; a second resident without e-mail."""
    with schema_context(utility_a.schema_name):
        user, account = data.resident("930001")
        other, _ = data.resident("930002", holder="Петрова Анна Сергеевна")
        User.objects.filter(pk=other.pk).update(email="")
        category = AppealCategory.objects.create(name="Протечка", destination="dispatch")
        appeal = appeals.appeal_create(user=user, account=account, category_id=category.pk,
                                       text="Топит сверху")
        appeals.appeal_reply_by_resident(appeal=appeal, user=user, text="Уже по всей кухне")
        dispatcher = staff_user(utility_a, StaffRole.DISPATCHER, "disp")
        appeals.appeal_reply_by_staff(appeal=appeal, staff_user=dispatcher,
                                      text="Бригада выехала", status="in_progress")
        return {
            "user": user, "other": other, "appeal": appeal,
            "resident": Resident.objects.get(user=user),
            "other_resident": Resident.objects.get(user=other),
            "payment": PortalPayment.objects.create(
                account=account, user=user, amount=Decimal("100.00"), acquirer="sandbox",
                mode="test"),
            "mandate": AutopayMandate.objects.create(
                account=account, user=user, day=10, cap=Decimal("5000.00"),
                acquirer="sandbox", mode="test"),
            "notification": Notification.objects.create(
                kind="appeal_status", channel="email", user=user, account=account,
                recipient="930001@example.org", next_attempt_at=timezone.now()),
            "event": SecurityEvent.objects.create(kind="login", user=user,
                                                  account_number="930001"),
        }


def test_desk_history_names_the_resident_by_account_and_holder(story, utility_a, staff_of):
    page = staff_of(utility_a, StaffRole.DISPATCHER).get(
        f"/staff/appeals/appeal/{story['appeal'].pk}/change/").content.decode()
    history = page.split('class="desk-history"', 1)[1].split("</table>", 1)[0]
    assert "r-930001" not in page
    rows = history.split("<tr")[1:]
    [resident_reply] = [row for row in rows if "Уже по всей кухне" in row]
    [staff_reply] = [row for row in rows if "Бригада выехала" in row]
    assert LABEL in rows[0]  # the appeal sent
    assert LABEL in resident_reply
    assert "disp@alpha.test" in staff_reply and LABEL not in staff_reply


def test_console_pages_never_show_the_technical_user_name(story, utility_a, staff_of):
    client = staff_of(utility_a, StaffRole.ADMIN, "boss")
    pages = {
        "residents": "/staff/identity/resident/",
        "resident": f"/staff/identity/resident/{story['resident'].pk}/change/",
        "resident without e-mail":
            f"/staff/identity/resident/{story['other_resident'].pk}/change/",
        "security log": "/staff/identity/securityevent/",
        "security event": f"/staff/identity/securityevent/{story['event'].pk}/change/",
        "payment": f"/staff/payments/portalpayment/{story['payment'].pk}/change/",
        "mandate": f"/staff/payments/autopaymandate/{story['mandate'].pk}/change/",
        "notification": f"/staff/notifications/notification/{story['notification'].pk}"
                        "/change/",
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        body = response.content.decode()
        assert "r-930001" not in body and "r-930002" not in body, name
        if name == "resident without e-mail":
            assert "930002 — Петрова Анна Сергеевна" in body, name
        else:
            assert LABEL in body, name


def test_user_label(story, in_tenant_a):
    staff = User.objects.get(username="disp@alpha.test")
    assert user_label(staff) == "disp@alpha.test"
    assert user_label(story["user"]) == LABEL
    assert user_label(None) == ""
    account = story["appeal"].account
    account.holder_name = ""
    assert user_label(story["user"], account=account) == "930001"
    lone = User.objects.create_user(username="r-lonely", email="lonely@example.org")
    assert user_label(lone) == "lonely@example.org"
