"""A generator of consistent lk-billing/1 packages of any size, streamed to disk.

accounts x months invoices, SERVICES charge lines per invoice, two meters per account with
a reading a month, a payment a month. Money identities hold, so the package imports."""

from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path

SERVICES = [("HVS", "Cold water", "m3", 6247), ("GVS", "Hot water", "m3", 24890),
            ("VOT", "Sewerage", "m3", 4415), ("EL", "Electricity", "kWh", 612),
            ("OTP", "Heating", "Gcal", 245000), ("SOD", "Maintenance", "m2", 3100),
            ("TKO", "Waste", "person", 15000), ("DOM", "Intercom", "flat", 5000)]


def _money(cents: int, comma: bool) -> str:
    sign = "-" if cents < 0 else ""
    text = f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
    return text.replace(".", ",") if comma else text


def package_generate(target: Path, *, accounts: int, months: int = 12,
                     windows_1251: bool = False, seed: int = 1) -> Path:
    """Write a package directory; returns it."""
    rng = random.Random(seed)
    target.mkdir(parents=True, exist_ok=True)
    encoding, sep = ("cp1251", ";") if windows_1251 else ("utf-8", ",")
    comma = windows_1251
    periods = [f"{2025 + (m + 10) // 12}-{(m + 10) % 12 + 1:02d}" for m in range(months)]
    manifest = {"format": "lk-billing/1", "period": periods[-1],
                "generated_at": "2026-10-28T03:00:00+03:00", "source": "bench generator",
                "encoding": "windows-1251" if windows_1251 else "utf-8", "delimiter": sep}
    (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    def open_csv(name, header):
        stream = (target / name).open("w", encoding=encoding, newline="")
        stream.write(sep.join(header) + "\n")
        return stream

    services = open_csv("services.csv", ["code", "name", "unit"])
    for code, name, unit, _tariff in SERVICES:
        services.write(sep.join([code, name, unit]) + "\n")
    services.close()
    files = {
        "accounts": open_csv("accounts.csv", ["account_number", "address", "holder_name",
                                              "area_m2", "residents", "email", "phone",
                                              "passport", "status"]),
        "invoices": open_csv("invoices.csv", ["account_number", "period", "opening_balance",
                                              "charged", "recalculation", "paid", "penalty",
                                              "amount_due", "due_date"]),
        "charges": open_csv("charges.csv", ["account_number", "period", "service_code",
                                            "quantity", "tariff", "amount", "recalculation"]),
        "meters": open_csv("meters.csv", ["meter_id", "account_number", "service_code",
                                          "serial_number", "zones", "digits", "installed_on",
                                          "verified_until", "removed_on"]),
        "readings": open_csv("readings.csv", ["meter_id", "taken_on", "t1", "t2", "t3",
                                              "source"]),
        "payments": open_csv("payments.csv", ["payment_id", "account_number", "paid_on",
                                              "amount", "channel"]),
    }
    payment_no = 0
    for n in range(1, accounts + 1):
        number = f"{500000000 + n}"
        files["accounts"].write(sep.join([
            number, f'"Enskaya st. {n % 300}, flat {n}"', f"Holder {n}",
            _money(3000 + n % 7000, comma), str(1 + n % 5), f"r{n}@example.org", "",
            f"{1000 + n % 9000:04d} {n % 1000000:06d}", "open"]) + "\n")
        for k, code in enumerate(("HVS", "EL")):
            files["meters"].write(sep.join([f"B{n:08d}{k}", number, code, f"S{n}{k}", "1",
                                            "6", "2020-01-01", "2030-01-01", ""]) + "\n")
        balance = 0
        for period in periods:
            charged = recalc = 0
            for code, _name, _unit, tariff in SERVICES:
                quantity = rng.randint(1000, 9000)  # thousandths
                amount = quantity * tariff // 100000
                rc = -rng.randint(0, 500) if rng.random() < 0.05 else 0
                charged, recalc = charged + amount, recalc + rc
                files["charges"].write(sep.join([
                    number, period, code, f"{quantity // 1000}.{quantity % 1000:03d}",
                    _money(tariff, comma), _money(amount, comma), _money(rc, comma)]) + "\n")
            paid = balance if balance > 0 else 0
            penalty = balance // 100 if balance > 0 else 0
            due = balance + charged + recalc + penalty - paid
            files["invoices"].write(sep.join([
                number, period, _money(balance, comma), _money(charged, comma),
                _money(recalc, comma), _money(paid, comma), _money(penalty, comma),
                _money(due, comma), f"{period}-10"]) + "\n")
            if paid:
                payment_no += 1
                files["payments"].write(sep.join([f"BP{payment_no:010d}", number,
                                                  f"{period}-05", _money(paid, comma),
                                                  "bank"]) + "\n")
            for k in range(2):
                files["readings"].write(sep.join([f"B{n:08d}{k}", f"{period}-20",
                                                  f"{n % 900 + periods.index(period)}.000",
                                                  "", "", "utility"]) + "\n")
            balance = due
    for stream in files.values():
        stream.close()
    return target


def package_zip(directory: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for file in sorted(directory.iterdir()):
            archive.write(file, file.name)
    return target
