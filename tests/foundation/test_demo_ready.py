"""The demo lets a tester pay by card (each demo utility gets the TEST acquirer, once)
and write an appeal (a few appeal topics, once)."""

from __future__ import annotations

from lk_core.payments.models import AcquirerKind, PaymentSettings
from lk_core.payments.selectors import card_payments_ready, payment_settings_get
from lk_platform import demo


def test_demo_gives_a_utility_without_acquirer_the_sandbox(utility_a, in_schema):
    with in_schema(utility_a):
        PaymentSettings.objects.filter(pk=payment_settings_get().pk).update(
            acquirer=AcquirerKind.NONE)
        assert not card_payments_ready(payment_settings_get())
    demo.demo_payments_ensure(utility_a)
    with in_schema(utility_a):
        row = payment_settings_get()
        assert row.acquirer == AcquirerKind.SANDBOX and row.autopay_enabled
        assert card_payments_ready(row)


def test_demo_keeps_the_acquirer_staff_chose(utility_a, in_schema):
    with in_schema(utility_a):
        PaymentSettings.objects.filter(pk=payment_settings_get().pk).update(
            acquirer=AcquirerKind.STRIPE)
    demo.demo_payments_ensure(utility_a)
    with in_schema(utility_a):
        assert payment_settings_get().acquirer == AcquirerKind.STRIPE


def test_demo_payments_touch_only_the_given_utility(utility_a, utility_b, in_schema):
    for utility in (utility_a, utility_b):
        with in_schema(utility):
            PaymentSettings.objects.filter(pk=payment_settings_get().pk).update(
                acquirer=AcquirerKind.NONE)
    demo.demo_payments_ensure(utility_a)
    with in_schema(utility_b):
        assert payment_settings_get().acquirer == AcquirerKind.NONE


def test_demo_appeal_topics_once_and_only_where_there_are_none(utility_a, utility_b,
                                                              in_schema):
    from lk_core.appeals.models import AppealCategory

    for utility in (utility_a, utility_b):
        with in_schema(utility):
            AppealCategory.objects.all().delete()
    demo.demo_appeal_categories_ensure(utility_a)
    demo.demo_appeal_categories_ensure(utility_a)
    with in_schema(utility_a):
        names = list(AppealCategory.objects.values_list("name", flat=True))
        assert names == [c["name"] for c in demo.DEMO_APPEAL_CATEGORIES]
        assert AppealCategory.objects.get(is_emergency=True).destination == "dispatch"
    with in_schema(utility_b):
        assert not AppealCategory.objects.exists()
        AppealCategory.objects.create(name="Своя тема")
    demo.demo_appeal_categories_ensure(utility_b)
    with in_schema(utility_b):
        assert list(AppealCategory.objects.values_list("name", flat=True)) == ["Своя тема"]
