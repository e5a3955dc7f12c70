"""What lk-billing/1 files hold: their columns, column types and natural keys."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"  # text / decimal / int / date / period / choice / passport
    required: bool = True
    max_length: int | None = None
    digits: int = 12  # decimal: integer digits
    places: int = 2  # decimal: fraction digits
    low: int = 0  # int range
    high: int = 32767
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileSpec:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[tuple[str, str], ...] = field(default=())  # (column, kind)

    @property
    def stem(self) -> str:
        return self.name.removesuffix(".csv")

    @property
    def table(self) -> str:
        return f"lk_stg_{self.stem}"

    @property
    def typed_table(self) -> str:
        return f"lk_typ_{self.stem}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def money(name: str, required: bool = True) -> Column:
    return Column(name, "decimal", required=required, digits=12, places=2)


ACCOUNTS = FileSpec("accounts.csv", (
    Column("account_number", max_length=32),
    Column("address", max_length=500),
    Column("holder_name", required=False, max_length=300),
    Column("area_m2", "decimal", required=False, digits=8, places=2),
    Column("residents", "int", required=False),
    Column("email", required=False, max_length=254),
    Column("phone", required=False, max_length=32),
    Column("passport", "passport", required=False),
    Column("status", "choice", required=False, choices=("open", "closed")),
), key=("account_number",))

SERVICES = FileSpec("services.csv", (
    Column("code", max_length=32),
    Column("name", max_length=200),
    Column("unit", required=False, max_length=32),
), key=("code",))

INVOICES = FileSpec("invoices.csv", (
    Column("account_number", max_length=32),
    Column("period", "period"),
    money("opening_balance"), money("charged"), money("recalculation"), money("paid"),
    money("penalty"), money("amount_due"),
    Column("due_date", "date", required=False),
), key=("account_number", "period"), references=(("account_number", "account"),))

CHARGES = FileSpec("charges.csv", (
    Column("account_number", max_length=32),
    Column("period", "period"),
    Column("service_code", max_length=32),
    Column("quantity", "decimal", required=False, digits=12, places=4),
    Column("tariff", "decimal", required=False, digits=10, places=4),
    money("amount"),
    money("recalculation"),
), key=("account_number", "period", "service_code"),
    references=(("account_number", "account"), ("service_code", "service")))

METERS = FileSpec("meters.csv", (
    Column("meter_id", max_length=64),
    Column("account_number", max_length=32),
    Column("service_code", max_length=32),
    Column("serial_number", max_length=64),
    Column("zones", "int", low=1, high=3),
    Column("digits", "int", low=1, high=12),
    Column("installed_on", "date", required=False),
    Column("verified_until", "date", required=False),
    Column("removed_on", "date", required=False),
), key=("meter_id",), references=(("account_number", "account"), ("service_code", "service")))

READINGS = FileSpec("readings.csv", (
    Column("meter_id", max_length=64),
    Column("taken_on", "date"),
    Column("t1", "decimal", digits=12, places=4),
    Column("t2", "decimal", required=False, digits=12, places=4),
    Column("t3", "decimal", required=False, digits=12, places=4),
    Column("source", "choice", choices=("utility", "resident", "inspector", "estimate")),
), key=("meter_id", "taken_on", "source"), references=(("meter_id", "meter"),))

PAYMENTS = FileSpec("payments.csv", (
    Column("payment_id", max_length=64),
    Column("account_number", max_length=32),
    Column("paid_on", "date"),
    money("amount"),
    Column("channel", "choice", choices=("bank", "office", "post", "portal", "other")),
), key=("payment_id",), references=(("account_number", "account"),))

# Application order: referenced rows first.
FILES: tuple[FileSpec, ...] = (SERVICES, ACCOUNTS, INVOICES, CHARGES, METERS, READINGS,
                               PAYMENTS)
FILES_BY_NAME = {spec.name: spec for spec in FILES}

# Where a reference resolves: (staging table, staging column, tenant table, tenant column).
REFERENCE_TARGETS = {
    "account": (ACCOUNTS, "account_number", "billing_account", "number"),
    "service": (SERVICES, "code", "billing_service", "code"),
    "meter": (METERS, "meter_id", "meters_meter", "meter_id"),
}
