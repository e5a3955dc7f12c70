"""The demo: three utilities with clearly different branding and settings, an operator,
and known staff passwords. Idempotent: a second run reuses what exists."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from lk_core.billing.models import ImportRun
from lk_core.billing.services import billing_package_import
from lk_core.users.models import User, UserKind
from lk_core.users.services import operator_user_create
from tenants.models import Utility
from tenants.services import utility_create

DEMO_OPERATOR_EMAIL = "operator@example.org"
DEMO_OPERATOR_PASSWORD = "demo-operator-2026"  # noqa: S105 - published demo credential
DEMO_STAFF_PASSWORD = "demo-staff-2026"  # noqa: S105 - published demo credential


@dataclass(frozen=True)
class DemoUtility:
    slug: str
    name: str
    kind: str
    timezone: str
    theme: str
    primary_color: str
    accent_color: str
    tagline: str
    dispatch_phone: str
    support_phone: str
    support_email: str
    postal_address: str
    office_hours: str
    sample: str  # billing package under ../shared/samples


DEMO_UTILITIES = [
    DemoUtility("enskvoda", "МУП «Энскводоканал»", "water", "Europe/Moscow", "classic",
                "#0b5cad", "#7fd3f7", "Чистая вода в каждый дом", "+7 (4852) 00-11-22",
                "+7 (4852) 00-33-44", "lk@enskvoda.example", "г. Энск, ул. Водопроводная, 1",
                "пн–пт 8:00–17:00", "billing-enskvoda"),
    DemoUtility("teploset", "АО «Энская теплосеть»", "heating", "Asia/Yekaterinburg", "modern",
                "#a3261c", "#ffb74d", "Тепло в ваших домах", "+7 (343) 200-00-01",
                "+7 (343) 200-00-02", "info@teploset.example", "г. Энск, пр. Энергетиков, 7",
                "пн–чт 9:00–18:00, пт 9:00–16:45", "billing-teploset-1c.zip"),
    DemoUtility("nashdom", "УК «Наш дом»", "management", "Asia/Novosibirsk", "modern",
                "#2e6b30", "#c5e1a5", "Управляем домом вместе с вами", "+7 (383) 300-03-03",
                "+7 (383) 300-03-04", "dom@nashdom.example", "г. Энск, ул. Садовая, 15, оф. 2",
                "пн–пт 9:00–18:00, сб 10:00–14:00", "billing-enskvoda"),
]


# Payee details for receipts and the payment QR (made-up but well-formed numbers).
DEMO_PAYEES = {
    "enskvoda": {"payee_inn": "7601000011", "payee_kpp": "760101001",
                 "bank_name": "ПАО Сбербанк", "bank_bic": "044525225",
                 "bank_corr_account": "30101810400000000225",
                 "bank_settlement_account": "40702810900000001111"},
    "teploset": {"payee_inn": "6601000022", "payee_kpp": "660101001",
                 "bank_name": "АО «Альфа-Банк»", "bank_bic": "044525593",
                 "bank_corr_account": "30101810200000000593",
                 "bank_settlement_account": "40702810800000002222"},
    "nashdom": {"payee_inn": "5401000033", "payee_kpp": "540101001",
                "bank_name": "Банк ВТБ (ПАО)", "bank_bic": "044525187",
                "bank_corr_account": "30101810700000000187",
                "bank_settlement_account": "40702810700000003333"},
}


def samples_dir():
    return settings.BASE_DIR.parent / "shared" / "samples"


def demo_utility_ensure(spec: DemoUtility) -> tuple[Utility, bool]:
    existing = Utility.objects.filter(slug=spec.slug).first()
    if existing:
        return existing, False
    result = utility_create(
        slug=spec.slug, name=spec.name, kind=spec.kind, timezone_name=spec.timezone,
        staff_email=f"admin@{spec.slug}.example", send_staff_email=False, actor="demo",
        theme=spec.theme, primary_color=spec.primary_color, accent_color=spec.accent_color,
        tagline=spec.tagline, dispatch_phone=spec.dispatch_phone,
        support_phone=spec.support_phone, support_email=spec.support_email,
        postal_address=spec.postal_address, office_hours=spec.office_hours,
        **DEMO_PAYEES.get(spec.slug, {}))
    from django_tenants.utils import schema_context

    with schema_context(result.utility.schema_name):
        staff = User.objects.get(username=result.staff_username)
        staff.set_password(DEMO_STAFF_PASSWORD)
        staff.must_change_password = False
        staff.save(update_fields=["password", "must_change_password"])
    return result.utility, True


def demo_operator_ensure() -> User:
    existing = User.objects.filter(username=DEMO_OPERATOR_EMAIL, kind=UserKind.OPERATOR).first()
    return existing or operator_user_create(email=DEMO_OPERATOR_EMAIL,
                                            password=DEMO_OPERATOR_PASSWORD)


def demo_billing_ensure(utility: Utility, spec: DemoUtility, created: bool) -> ImportRun | None:
    """Load the utility's sample billing package once: when the utility is new or has never
    imported anything, so running the demo twice changes nothing."""
    from django_tenants.utils import schema_context

    with schema_context(utility.schema_name):
        if not created and ImportRun.objects.exists():
            return None
        return billing_package_import(package_path=samples_dir() / spec.sample, source="demo",
                                      started_by_label="demo_setup")


# Each demo utility proves residents a different way, so a tester sees every method.
DEMO_REGISTRATION = {"enskvoda": "amount", "teploset": "passport", "nashdom": "receipt_code"}


def demo_registration_ensure(utility: Utility) -> None:
    from django_tenants.utils import schema_context

    from lk_core.identity.services import identity_settings_get, identity_settings_update

    method = DEMO_REGISTRATION.get(utility.slug)
    with schema_context(utility.schema_name):
        if method and identity_settings_get().registration_method != method:
            identity_settings_update(actor="demo", registration_method=method)


def demo_payments_ensure(utility: Utility) -> None:
    """Card payments and autopay through the built-in TEST acquirer, so a tester can pay.
    Only a utility still without an acquirer gets it: what staff chose later is kept."""
    from django_tenants.utils import schema_context

    from lk_core.payments.models import AcquirerKind
    from lk_core.payments.selectors import payment_settings_get
    from lk_core.payments.services import payment_settings_update

    with schema_context(utility.schema_name):
        if payment_settings_get().acquirer == AcquirerKind.NONE:
            payment_settings_update(acquirer=AcquirerKind.SANDBOX, mode="test",
                                    autopay_enabled=True)


# Appeal topics residents of every demo utility can write about (staff can change them).
DEMO_APPEAL_CATEGORIES = [
    {"name": "Авария", "description": "Нет воды, тепла или света, протечка, запах газа",
     "destination": "dispatch", "is_emergency": True, "priority": 1, "response_hours": 2},
    {"name": "Начисления и оплата", "description": "Вопросы по квитанции, перерасчёт",
     "response_hours": 48, "resolution_hours": 240},
    {"name": "Счётчики и показания", "description": "Поверка, замена, ошибка в показаниях",
     "response_hours": 48, "resolution_hours": 240},
    {"name": "Качество услуг", "description": "Слабый напор, холодные батареи, уборка",
     "response_hours": 24, "resolution_hours": 120},
    {"name": "Другое", "description": "", "priority": 3},
]


def demo_appeal_categories_ensure(utility: Utility) -> None:
    """A few appeal topics, so a tester can write an appeal; only in a utility that has
    none yet."""
    from django_tenants.utils import schema_context

    from lk_core.appeals.models import AppealCategory
    from lk_core.appeals.services import appeal_category_save

    with schema_context(utility.schema_name):
        if AppealCategory.objects.exists():
            return
        for position, fields in enumerate(DEMO_APPEAL_CATEGORIES):
            category = AppealCategory(position=position, **fields)
            appeal_category_save(actor="demo", category=category,
                                 fields=["position", *fields])


def demo_registration_hint(utility: Utility, spec: DemoUtility) -> str:
    """One account a tester can register with, and the proof the utility asks for."""
    import csv
    import io
    import json
    import zipfile

    from django_tenants.utils import schema_context

    from lk_core.billing.models import Account, Invoice
    from lk_core.identity.proofs import receipt_code_for

    with schema_context(utility.schema_name):
        account = (Account.objects.filter(status="open", resident_link__isnull=True)
                   .order_by("number").first())
        if account is None:
            return "every demo account is registered already"
        method = DEMO_REGISTRATION.get(utility.slug, "amount")
        if method == "receipt_code":
            return f"account {account.number}, receipt code {receipt_code_for(account)}"
        if method == "amount":
            due = Invoice.objects.filter(account=account).order_by("-period").first().amount_due
            return f"account {account.number}, amount due {due}"
    # Passports are stored only as keyed hashes: read the plain one from the sample file.
    path = samples_dir() / spec.sample
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            text = archive.read("accounts.csv").decode(manifest["encoding"])
    else:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        text = (path / "accounts.csv").read_text(encoding=manifest["encoding"])
    rows = csv.DictReader(io.StringIO(text), delimiter=manifest["delimiter"])
    passport = next(row["passport"] for row in rows if row["account_number"] == account.number)
    return f"account {account.number}, passport {passport}"


def demo_seed() -> list[tuple[Utility, bool]]:
    demo_operator_ensure()
    results = []
    for spec in DEMO_UTILITIES:
        utility, created = demo_utility_ensure(spec)
        demo_billing_ensure(utility, spec, created)
        demo_registration_ensure(utility)
        demo_payments_ensure(utility)
        demo_appeal_categories_ensure(utility)
        results.append((utility, created))
    return results
