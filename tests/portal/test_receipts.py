"""The receipt PDF read back: text figures through pdftotext and pypdf, the QR code decoded
with zbarimg from the rendered page (poppler-utils and zbar-tools)."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.http import Http404
from pypdf import PdfReader

from lk_core.billing.models import Invoice
from lk_core.meters.models import Reading
from lk_core.receipts.qr import gost_payload
from lk_core.receipts.services import receipt_render
from lk_platform.demo import DEMO_PAYEES
from tests.portal import data

PERIOD = dt.date(2026, 10, 1)


@pytest.fixture
def payee_a(in_tenant_a):
    for field, value in DEMO_PAYEES["enskvoda"].items():
        setattr(in_tenant_a, field, value)
    in_tenant_a.name = "МУП «Энскводоканал»"
    return in_tenant_a


@pytest.fixture
def receipt_account(payee_a):
    _user, account = data.resident("500001", address="г. Энск, ул. Водопроводная, д. 7, кв. 12",
                                   holder="Петрова Мария Сергеевна")
    data.history(account, months=4, meters=2)
    return account


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def decode_qr(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True)
    page = next(tmp_path.glob("page*.png"))
    result = subprocess.run(["zbarimg", "--raw", "-q", "-Sqrcode.enable=1", str(page)],
                            check=True, capture_output=True)
    return result.stdout.decode("utf-8").rstrip("\n")


def money(value: Decimal) -> str:
    """As the receipt prints it: "1 469,00" (pdftotext reads the non-breaking space
    between the groups as a space)."""
    return f"{value:,.2f}".replace(",", " ").replace(".", ",")


def test_receipt_shows_the_figures(receipt_account, payee_a, tmp_path):
    pdf = receipt_render(account=receipt_account, period=PERIOD, utility=payee_a)
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = pdf_text(pdf, tmp_path)
    invoice = Invoice.objects.get(account=receipt_account, period=PERIOD)
    for expected in ("МУП «Энскводоканал»", "7601000011", "760101001", "ПАО Сбербанк",
                     "044525225", "30101810400000000225", "40702810900000001111",
                     "500001", "Петрова Мария Сергеевна", "ул. Водопроводная, д. 7, кв. 12",
                     "Октябрь 2026", "Холодное водоснабжение", "Горячее водоснабжение",
                     money(invoice.amount_due), money(invoice.opening_balance),
                     money(invoice.charged), "10.11.2026", "Показания счётчиков"):
        assert expected in text, expected
    # pypdf reads the same Cyrillic text (fonts embedded with a Unicode map).
    assert "Петрова Мария Сергеевна" in reader.pages[0].extract_text()
    # Readings: previous 106 (20.09) and current 109 (20.10), consumption 3.
    assert "106 (20.09.2026)" in text and "109 (20.10.2026)" in text
    assert "№ SN5000010" in text and "01.01.2030" in text


def test_receipt_line_totals_keep_the_kopecks(receipt_account, payee_a, tmp_path):
    from lk_core.billing.models import ChargeLine

    line = ChargeLine.objects.filter(account=receipt_account, period=PERIOD).first()
    line.amount, line.recalculation = Decimal("798.98"), Decimal("-10.35")
    line.save(update_fields=["amount", "recalculation"])
    text = pdf_text(receipt_render(account=receipt_account, period=PERIOD, utility=payee_a),
                    tmp_path)
    row = next(row for row in text.splitlines() if "798,98" in row)
    assert row.split()[-1] == "788,63", row


def test_qr_decodes_to_the_gost_string(receipt_account, payee_a, tmp_path):
    pdf = receipt_render(account=receipt_account, period=PERIOD, utility=payee_a)
    invoice = Invoice.objects.get(account=receipt_account, period=PERIOD)
    kopecks = int(invoice.amount_due * 100)
    expected = (
        "ST00012|Name=МУП «Энскводоканал»|PersonalAcc=40702810900000001111|"
        "BankName=ПАО Сбербанк|BIC=044525225|CorrespAcc=30101810400000000225|"
        "PayeeINN=7601000011|KPP=760101001|"
        f"Sum={kopecks}|Purpose=Оплата ЖКУ, лицевой счёт 500001, 10.2026|"
        "persAcc=500001|paymPeriod=102026")
    assert decode_qr(pdf, tmp_path) == expected


def test_gost_payload_cleans_separators(payee_a):
    payee_a.name = "ООО «Вода|Свет»"
    payload = gost_payload(utility=payee_a, account_number="1", amount=Decimal("-5.00"),
                           period=PERIOD, purpose="a=b")
    assert "Name=ООО «Вода Свет»" in payload and "Purpose=a b" in payload
    assert "|Sum=0|" in payload


def test_receipt_in_english(receipt_account, payee_a, tmp_path):
    pdf = receipt_render(account=receipt_account, period=PERIOD, utility=payee_a,
                         language="en")
    text = pdf_text(pdf, tmp_path)
    assert "Amount due" in text and "October 2026" in text
    # Dates and serial numbers as an English reader writes them, not 20.09.2026 and №.
    assert "106 (20 Sep 2026)" in text and "109 (20 Oct 2026)" in text
    assert "Pay by 10 Nov 2026" in text and "1 Jan 2030" in text
    assert "serial No. SN5000010" in text and "№" not in text and "10.11.2026" not in text


def test_no_invoice_for_the_period_is_404(receipt_account, payee_a):
    with pytest.raises(Http404):
        receipt_render(account=receipt_account, period=dt.date(2020, 1, 1), utility=payee_a)


def test_other_resident_figures_never_appear(receipt_account, payee_a, tmp_path):
    _bob, bob_account = data.resident("500002", holder="Сидоров Пётр")
    data.history(bob_account, months=2, meters=1)
    Reading.objects.filter(meter__account=bob_account).update(t1=Decimal(777))
    text = pdf_text(receipt_render(account=receipt_account, period=PERIOD, utility=payee_a),
                    tmp_path)
    assert "Сидоров" not in text and "500002" not in text and "777" not in text


def test_other_tenant_has_no_such_account(receipt_account, utility_b, in_schema):
    with in_schema(utility_b), pytest.raises(Http404):
        receipt_render(account=receipt_account, period=PERIOD, utility=utility_b)


def test_registration_code_printed_only_with_that_method(receipt_account, payee_a, tmp_path):
    from lk_core.identity.models import IdentitySettings
    from lk_core.identity.proofs import receipt_code_for

    code = receipt_code_for(receipt_account)
    text = pdf_text(receipt_render(account=receipt_account, period=PERIOD, utility=payee_a),
                    tmp_path)
    assert code not in text and "Код для регистрации" not in text
    IdentitySettings.objects.filter(pk=1).update(registration_method="receipt_code")
    text = pdf_text(receipt_render(account=receipt_account, period=PERIOD, utility=payee_a),
                    tmp_path)
    assert f"Код для регистрации в личном кабинете: {code}" in text


def test_templates_use_only_elements_the_receipt_ua_sheet_covers():
    """The receipt replaces WeasyPrint's HTML5 defaults with UA_CSS: an element added to
    the template without a rule there would lose its default display."""
    import re

    from lk_core.receipts.rendering import UA_ELEMENTS

    source = (Path(__file__).resolve().parents[2] / "lk_core" / "receipts" / "templates"
              / "receipts" / "receipt.html").read_text(encoding="utf-8")
    used = set(re.findall(r"<([a-z][a-z0-9]*)", source))
    assert used and used <= UA_ELEMENTS, used - UA_ELEMENTS


def test_receipt_loads_nothing_but_data_uris():
    from weasyprint.urls import FatalURLFetchingError

    from lk_core.receipts.rendering import pdf_from_html

    class Branding:
        primary_color, accent_color = "#0b5cad", "#f2a900"

    assert pdf_from_html("<p>ok <img src='data:image/png;base64,iVBORw0KGgo='></p>",
                         utility=Branding()).startswith(b"%PDF")
    with pytest.raises(FatalURLFetchingError):
        pdf_from_html("<img src='file:///etc/passwd'>", utility=Branding())


def test_batch_renders_each_account_like_the_single_renderer(receipt_account, payee_a,
                                                             tmp_path):
    from lk_core.receipts.services import receipts_render

    _bob, bob_account = data.resident("500002", holder="Сидоров Пётр")
    data.history(bob_account, months=2, meters=1)
    _carol, carol_account = data.resident("500003", holder="Кузнецова Анна")  # no invoices
    rendered = receipts_render(accounts=[bob_account, carol_account, receipt_account],
                               period=PERIOD, utility=payee_a)
    assert [r.account for r in rendered] == [bob_account, receipt_account]
    bob_text, own_text = (pdf_text(r.pdf, tmp_path) for r in rendered)
    assert "Сидоров Пётр" in bob_text and "Петрова" not in bob_text
    assert "Петрова Мария Сергеевна" in own_text and "Сидоров" not in own_text
    single = pdf_text(receipt_render(account=receipt_account, period=PERIOD,
                                     utility=payee_a), tmp_path)
    assert own_text == single
    invoice = Invoice.objects.get(account=bob_account, period=PERIOD)
    assert f"|Sum={int(invoice.amount_due * 100)}|" in decode_qr(rendered[0].pdf, tmp_path)


def test_batch_in_the_other_tenant_finds_nothing(receipt_account, utility_b, in_schema):
    from lk_core.receipts.services import receipts_render

    with in_schema(utility_b):
        assert receipts_render(accounts=[receipt_account], period=PERIOD,
                               utility=utility_b) == []


def test_receipt_html_is_well_formed_xhtml(receipt_account, payee_a):
    """rendering.ReceiptHTML parses the receipt with expat and falls back to the (30 times
    slower) HTML5 parser for anything that is not XML: the template must stay XML."""
    from xml.etree import ElementTree

    from lk_core.identity.models import IdentitySettings
    from lk_core.receipts.selectors import receipt_data
    from lk_core.receipts.services import receipt_html

    IdentitySettings.objects.filter(pk=1).update(registration_method="receipt_code")
    payee_a.name = "ООО \"Вода & <Свет>\""
    html = receipt_html(data=receipt_data(account=receipt_account, period=PERIOD),
                        utility=payee_a)
    root = ElementTree.fromstring(html)  # noqa: S314 - our own template
    assert root.tag == "html" and [child.tag for child in root] == ["head", "body"]


def test_figures_stand_in_their_columns(receipt_account, payee_a, tmp_path):
    """Each row's figures are one line padded to the columns the stylesheet sizes in `ch`
    of the same monospaced font; the PDF text keeps them in their order."""
    from lk_core.billing.models import ChargeLine
    from lk_core.receipts.figures import CHARGE_COLUMNS, charge_values, figures_line, header_lines

    values = ("3 м³", "1,5", "", "-10,35", "7")
    line = figures_line(CHARGE_COLUMNS, values)
    end = 0
    for (_name, width), value in zip(CHARGE_COLUMNS, values, strict=True):
        end += width  # each value ends one space before its column's right edge
        assert line[end - 1 - len(value):end] == f"{value} " and line[end - 2 - len(value)] == " "
    assert len(line) == end
    header = header_lines(CHARGE_COLUMNS, ("Quantity", "Tariff", "Charged", "A very long name",
                                           "Total"))
    assert [len(row) for row in header.splitlines()] == [end, end]  # wrapped, bottom-aligned
    assert [row.split() for row in header.splitlines()] == [
        ["A", "very", "long"], ["Quantity", "Tariff", "Charged", "name", "Total"]]
    line = ChargeLine.objects.filter(account=receipt_account, period=PERIOD).first()
    figures = figures_line(CHARGE_COLUMNS, charge_values(line))
    assert len(figures) == sum(width for _name, width in CHARGE_COLUMNS)
    text = pdf_text(receipt_render(account=receipt_account, period=PERIOD, utility=payee_a),
                    tmp_path)
    row = next(row for row in text.splitlines() if line.service.name in row)
    assert row.split()[-5:] == figures.split()[-5:]


def test_characters_outside_the_receipt_fonts_fall_back(receipt_account, payee_a, tmp_path):
    """The receipt's fonts hold Latin and Cyrillic only; anything else comes from the
    system DejaVu fonts named after them."""
    payee_a.name = "Ωmega Вода"
    pdf = receipt_render(account=receipt_account, period=PERIOD, utility=payee_a)
    assert "Ωmega Вода" in pdf_text(pdf, tmp_path)


def test_fewer_collections_restores_the_thresholds():
    import gc

    from lk_core.receipts.rendering import GC_YOUNG_THRESHOLD, fewer_collections

    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[0] == max(before[0], GC_YOUNG_THRESHOLD)
        with fewer_collections():
            assert gc.get_threshold()[0] == max(before[0], GC_YOUNG_THRESHOLD)
        assert gc.get_threshold()[0] == max(before[0], GC_YOUNG_THRESHOLD)
    assert gc.get_threshold() == before


def test_large_figures_widen_their_columns_and_stay_on_the_page(receipt_account, payee_a,
                                                                tmp_path):
    """A seven-digit amount and a nine-digit reading do not fit the default column widths:
    that receipt's columns widen, the figures stay aligned under their headers and nothing
    runs past the table into the right margin (12 mm)."""
    from lk_core.billing.models import ChargeLine

    line = ChargeLine.objects.filter(account=receipt_account, period=PERIOD).first()
    line.amount = Decimal("1234567.89")
    line.save()
    reading = (Reading.objects.filter(meter__account=receipt_account, taken_on__lte="2026-10-31")
               .order_by("-taken_on").first())
    reading.t1 = Decimal("987654321.123")
    reading.save()
    path = tmp_path / "receipt.pdf"
    path.write_bytes(receipt_render(account=receipt_account, period=PERIOD, utility=payee_a))
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    page_width = float(re.search(r'<page width="([\d.]+)"', html).group(1))
    words = [(float(x_max), word) for x_max, word in
             re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">'
                        r"([^<]*)</word>", html)]
    text = " ".join(word for _x, word in words)
    assert "1 234 567,89" in text  # the line's amount, grouped
    assert any("987654321,123" in word for _x, word in words)
    margin = 12 / 25.4 * 72
    assert max(x for x, _word in words) <= page_width - margin + 0.5, max(words)
    # Right-aligned in its column: the current reading's date ends where its header does.
    header_end = next(x for x, word in words if word == "Текущее")
    index = next(i for i, (_x, word) in enumerate(words) if word == "987654321,123")
    assert abs(words[index + 1][0] - header_end) < 1, (words[index + 1], header_end)


def test_both_qr_encoders_give_a_code_that_decodes_to_the_payload(payee_a, tmp_path,
                                                                   monkeypatch):
    """libqrencode (C) where it is installed, as in CI and the image; segno otherwise."""
    from lk_core.receipts import qr

    assert qr._libqrencode() is not None  # installed by .ci/run and the Dockerfile
    payload = gost_payload(utility=payee_a, account_number="500001",
                           amount=Decimal("123456.78"), period=PERIOD,
                           purpose="Оплата ЖКУ, лицевой счёт 500001, 10.2026")
    decoded = []
    for encoder in ("libqrencode", "segno"):
        if encoder == "segno":
            monkeypatch.setattr(qr, "_libqrencode", lambda: None)
        rows = qr.qr_rows(payload)
        assert len(rows) == len(rows[0]) and set(b"".join(rows)) == {0x00, 0xFF}
        path = tmp_path / f"{encoder}.png"
        scaled = [bytes(p for p in row for _ in range(4)) for row in rows for _ in range(4)]
        path.write_bytes(qr._grey_png(scaled))  # 4 pixels a module, for zbarimg
        result = subprocess.run(["zbarimg", "--raw", "-q", "-Sqrcode.enable=1", str(path)],
                                check=True, capture_output=True)
        decoded.append(result.stdout.decode("utf-8").rstrip("\n"))
    assert decoded == [payload, payload]
