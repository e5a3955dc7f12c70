"""Small builders for notification tests (inside the current schema)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lk_core.billing.models import Account, Invoice
from lk_core.notifications.models import NotificationSettings
from lk_core.users.models import User, UserKind


def resident(number: str, *, email: str = "", phone: str = "+79990000000",
             registered: bool = True) -> tuple[Account, User | None]:
    account = Account.objects.create(number=number, address=f"Street {number}",
                                     email=f"billing-{number}@example.test", phone=phone)
    user = None
    if registered:
        user = User.objects.create_user(username=number, email=email or f"{number}@mail.test",
                                        password="x-password-123", kind=UserKind.RESIDENT)
        link_resident(user, account)
    return account, user


def link_resident(user: User, account: Account) -> None:
    """What registration does: the account's one resident login (lk_core.identity)."""
    from lk_core.identity.models import Resident, ResidentAccount

    resident = Resident.objects.create(user=user, current_account=account,
                                       registered_via="amount")
    ResidentAccount.objects.create(resident=resident, account=account, method="amount")


def invoice(account: Account, *, period: date = date(2026, 10, 1),
            amount_due: str = "1500.00") -> Invoice:
    zero = Decimal("0.00")
    return Invoice.objects.create(account=account, period=period, opening_balance=zero,
                                  charged=Decimal(amount_due), recalculation=zero, paid=zero,
                                  penalty=zero, amount_due=Decimal(amount_due))


def notification_settings(**fields) -> NotificationSettings:
    row = NotificationSettings.objects.first() or NotificationSettings()
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()
    return row
