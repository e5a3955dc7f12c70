"""Portal reads: the figures, and a fixed number of queries whatever the history length."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from lk_core.appeals.models import Appeal, AppealCategory
from lk_core.billing.models import Payment
from lk_core.portal import selectors
from lk_core.portal.models import Notice
from tests.portal import data

TODAY = dt.date(2026, 11, 20)


def _warm(user):
    # The first query of a test sets the search path; count from a warm connection.
    return user.__class__.objects.count()


@pytest.mark.parametrize("months,meters", [(3, 1), (24, 4)])
def test_dashboard_fixed_queries(in_tenant_a, django_assert_num_queries, months, meters):
    user, account = data.resident(f"40000{months}")
    data.history(account, months=months, meters=meters)
    _warm(user)
    with django_assert_num_queries(4):
        summary = selectors.dashboard_summary(account=account, user=user, utility=in_tenant_a,
                                              today=TODAY)
    assert summary.window.is_open
    assert summary.latest_invoice.period == dt.date(2026, 10, 1)
    assert summary.amount_due == summary.latest_invoice.amount_due > 0
    assert summary.due_date == dt.date(2026, 11, 10)


def test_dashboard_figures(in_tenant_a):
    user, account = data.resident("400100")
    stuff = data.history(account, months=6, meters=2)
    Payment.objects.create(external_id="late", account=account, paid_on=dt.date(2026, 11, 3),
                           amount=Decimal("100.00"), channel="portal")
    stuff["meters"][1].verified_until = TODAY + dt.timedelta(days=30)
    stuff["meters"][1].save(update_fields=["verified_until"])
    category = AppealCategory.objects.create(name="Протечка")
    Appeal.objects.create(account=account, author=user, category=category, text="Течёт",
                          destination="dispatch")
    Appeal.objects.create(account=account, author=user, category=category, text="Всё",
                          destination="dispatch", status="closed")
    Notice.objects.create(title="Плановое отключение", shown_from=TODAY)
    Notice.objects.create(title="Старое", shown_from=dt.date(2026, 1, 1),
                          shown_until=dt.date(2026, 2, 1))
    summary = selectors.dashboard_summary(account=account, user=user, utility=in_tenant_a,
                                          today=TODAY)
    assert summary.paid_since_invoice == Decimal("100.00")
    assert summary.balance == summary.amount_due - Decimal("100.00")
    assert (summary.last_payment.paid_on, summary.last_payment.amount) == (
        dt.date(2026, 11, 3), Decimal("100.00"))
    assert [m.pk for m in summary.meters_due] == [stuff["meters"][1].pk]
    assert [a.text for a in summary.open_appeals] == ["Течёт"]
    assert [n.title for n in summary.notices] == ["Плановое отключение"]


def test_dashboard_overdue_only_past_the_due_date_with_a_balance(in_tenant_a):
    user, account = data.resident("400150")
    data.history(account, months=3)
    on_time = selectors.dashboard_summary(account=account, user=user, utility=in_tenant_a,
                                          today=dt.date(2026, 11, 10))
    late = selectors.dashboard_summary(account=account, user=user, utility=in_tenant_a,
                                       today=dt.date(2026, 11, 11))
    assert late.balance > 0 and (on_time.overdue, late.overdue) == (False, True)
    Payment.objects.create(external_id="all", account=account, paid_on=dt.date(2026, 11, 11),
                           amount=late.balance, channel="portal")
    paid = selectors.dashboard_summary(account=account, user=user, utility=in_tenant_a,
                                       today=dt.date(2026, 11, 12))
    assert paid.balance == 0 and not paid.overdue


def test_dashboard_without_account(in_tenant_a, django_assert_num_queries):
    user, _account = data.resident("400200")
    _warm(user)
    with django_assert_num_queries(1):
        summary = selectors.dashboard_summary(account=None, user=user, utility=in_tenant_a,
                                              today=TODAY)
    assert summary.latest_invoice is None and summary.balance == 0


@pytest.mark.parametrize("months", [2, 24])
def test_invoice_list_statuses_and_queries(in_tenant_a, django_assert_num_queries, months):
    user, account = data.resident(f"40030{months}")
    data.history(account, months=months)
    # Make the second newest partly paid.
    second = selectors.month_add(dt.date(2026, 10, 1), -1)
    Payment.objects.filter(account=account, paid_on=dt.date(2026, 10, 5)).update(
        amount=Decimal("1.00"))
    _warm(user)
    with django_assert_num_queries(2):
        rows = selectors.invoice_list(account=account)
    assert len(rows) == months
    assert rows[0].status == "unpaid" and rows[0].invoice.period == dt.date(2026, 10, 1)
    assert rows[1].invoice.period == second
    assert rows[1].status == "partly" and rows[1].paid_after == Decimal("1.00")
    assert all(row.status == "paid" for row in rows[2:])


def test_invoice_detail(in_tenant_a, django_assert_num_queries):
    user, account = data.resident("400400")
    data.history(account, months=3)
    invoice = account.invoices.get(period=dt.date(2026, 9, 1))
    _warm(user)
    with django_assert_num_queries(2):
        detail = selectors.invoice_detail(invoice=invoice)
    assert [c.service_name for c in detail.charges] == [
        "Горячее водоснабжение", "Холодное водоснабжение", "Водоотведение"]
    assert detail.charges_total == sum(c.amount for c in detail.charges)
    assert detail.recalculation_total == Decimal("-10.00")
    assert detail.status == "paid" and detail.paid_after == invoice.amount_due
    assert detail.payments[0].paid_on == dt.date(2026, 10, 5)


def test_charges_report_range(in_tenant_a, django_assert_num_queries):
    user, account = data.resident("400500")
    data.history(account, months=24)
    _warm(user)
    with django_assert_num_queries(1):
        report = selectors.charges_report(account=account, start=dt.date(2026, 10, 1),
                                          end=dt.date(2026, 8, 1))  # reversed on purpose
    assert report.months == [dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1)]
    assert [s.code for s in report.services] == ["GVS", "HVS", "VO"]
    hvs = report.services[1]
    assert len(hvs.rows) == 3 and hvs.amount == sum(r.amount for _p, r in hvs.rows)
    assert report.total == sum(s.total for s in report.services)
    assert report.series["Холодное водоснабжение"] == [r.total for _p, r in hvs.rows]


def test_meter_views_fixed_queries(in_tenant_a, django_assert_num_queries):
    user, account = data.resident("400600")
    data.history(account, months=24, meters=5)
    _warm(user)
    with django_assert_num_queries(2):
        views = selectors.meter_views(account=account, today=TODAY)
    assert len(views) == 5 and all(len(v.readings) == 24 for v in views)
    assert views[0].latest.t1 == Decimal(169)
    assert views[0].consumption()[-1] == (dt.date(2026, 10, 20), Decimal(3))


def test_other_resident_and_other_tenant_see_nothing(in_tenant_a, utility_b, in_schema):
    _user, account = data.resident("400700")
    data.history(account, months=3)
    _bob, bob_account = data.resident("400701")
    assert selectors.invoice_list(account=bob_account) == []
    assert selectors.meter_views(account=bob_account, today=TODAY) == []
    with in_schema(utility_b):
        from lk_core.billing.models import Account

        assert not Account.objects.filter(number="400700").exists()


def test_dashboard_payments_since_a_february_invoice(in_tenant_a):
    # The month after February starts on 1 March, however long February is.
    user, account = data.resident("400800")
    data.history(account, months=2, last_period=dt.date(2028, 2, 1))
    Payment.objects.create(external_id="m1", account=account, paid_on=dt.date(2028, 3, 1),
                           amount=Decimal("10.00"), channel="bank")
    Payment.objects.create(external_id="f29", account=account, paid_on=dt.date(2028, 2, 29),
                           amount=Decimal("5.00"), channel="bank")
    summary = selectors.dashboard_summary(account=account, user=user, utility=in_tenant_a,
                                          today=dt.date(2028, 3, 2))
    assert summary.paid_since_invoice == Decimal("10.00")
    assert summary.last_payment.paid_on == dt.date(2028, 3, 1)
