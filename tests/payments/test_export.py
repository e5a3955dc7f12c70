"""Confirmed live card payments go out in the billing export exactly once; test-mode and
unconfirmed ones never do, and another tenant's never appear."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

from django.utils import timezone

from lk_core.billing.exporting import export_package_write
from lk_core.payments.models import PortalPayment
from lk_core.payments.services import payment_apply_status, payment_create
from tests.payments.conftest import SITE, configure
from tests.payments.test_services import _report


def _payments_csv(path) -> list[dict]:
    with zipfile.ZipFile(path) as archive:
        return list(csv.DictReader(io.TextIOWrapper(archive.open("payments.csv"), "utf-8")))


def test_live_confirmed_payments_are_exported_once(alice, bob, fake_stripe, tmp_path,
                                                   utility_b, in_schema):
    configure("stripe")  # test keys at the fake; the rows are marked live below
    paid = payment_create(user=alice.user, account=alice.account, site_url=SITE)
    waiting = payment_create(user=bob.user, account=bob.account, site_url=SITE, amount="10")
    payment_apply_status(payment_pk=paid.pk, source="test", report=_report(paid, "succeeded"))
    PortalPayment.objects.filter(pk__in=[paid.pk, waiting.pk]).update(mode="live")
    first_until = timezone.now()
    counts, _digest = export_package_write(out=tmp_path / "1.zip", tenant_slug="alpha",
                                           since=None, until=first_until)
    rows = _payments_csv(tmp_path / "1.zip")
    assert counts["payments.csv"] == 1
    paid.refresh_from_db()
    assert rows == [{"payment_id": str(paid.public_id), "account_number": "700001",
                     "paid_at": paid.paid_at.astimezone(dt.UTC).strftime(
                         "%Y-%m-%dT%H:%M:%SZ"),
                     "amount": "1234.56", "acquirer": "stripe",
                     "acquirer_payment_id": paid.acquirer_payment_id, "status": "succeeded"}]
    export_package_write(out=tmp_path / "2.zip", tenant_slug="alpha", since=first_until,
                         until=timezone.now())
    assert _payments_csv(tmp_path / "2.zip") == []
    with in_schema(utility_b):
        export_package_write(out=tmp_path / "b.zip", tenant_slug="beta", since=None,
                             until=timezone.now())
        assert _payments_csv(tmp_path / "b.zip") == []


def test_test_mode_payments_are_not_exported(alice, tmp_path):
    configure("sandbox")
    paid = payment_create(user=alice.user, account=alice.account, site_url=SITE)
    payment_apply_status(payment_pk=paid.pk, source="test", report=_report(paid, "succeeded"))
    export_package_write(out=tmp_path / "t.zip", tenant_slug="alpha", since=None,
                         until=timezone.now())
    assert _payments_csv(tmp_path / "t.zip") == []
