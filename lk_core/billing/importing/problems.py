"""Problems found in a package: counted per kind, the first N kept with their place."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

FIRST_N = 200

# kind -> message; every message may use {column} and {value} and extra parameters.
MESSAGES = {
    "manifest": lambda p: _("Manifest problem: {detail}").format(**p),
    "header": lambda p: _("Header problem: {detail}").format(**p),
    "malformed": lambda p: _("The file cannot be read as CSV: {detail}").format(**p),
    "required": lambda p: _("A value is required in column {column}.").format(**p),
    "too_long": lambda p: _("The value in column {column} is too long.").format(**p),
    "number": lambda p: _("Column {column} needs a number with at most {places} decimal "
                          "places.").format(**p),
    "integer": lambda p: _("Column {column} needs a whole number from {low} to {high}.")
    .format(**p),
    "date": lambda p: _("Column {column} needs a date as YYYY-MM-DD.").format(**p),
    "period": lambda p: _("Column {column} needs a month as YYYY-MM.").format(**p),
    "choice": lambda p: _("Column {column} must be one of: {choices}.").format(**p),
    "passport": lambda p: _("The passport must be a 4-digit series and a 6-digit number.")
    .format(**p),
    "duplicate": lambda p: _("The same {column} appears more than once in this file.")
    .format(**p),
    "unknown_account": lambda p: _("Account {value} is neither in the package nor in the "
                                   "portal.").format(**p),
    "unknown_service": lambda p: _("Service {value} is neither in the package nor in the "
                                   "portal.").format(**p),
    "unknown_meter": lambda p: _("Meter {value} is neither in the package nor in the "
                                 "portal.").format(**p),
    "charged_mismatch": lambda p: _("Charged {value} differs from the sum of the charge "
                                    "lines {expected}.").format(**p),
    "recalculation_mismatch": lambda p: _("Recalculation {value} differs from the sum of "
                                          "the charge lines' recalculations {expected}.")
    .format(**p),
    "amount_due_mismatch": lambda p: _("Amount due {value} differs from opening balance + "
                                       "charged + recalculation + penalty - paid = "
                                       "{expected}.").format(**p),
    "charge_without_invoice": lambda p: _("Charge line for {value} has no invoice for that "
                                          "account and period in the package.").format(**p),
}


@dataclass
class Problems:
    """Counts per kind and the first FIRST_N problems in package order."""

    first_n: int = FIRST_N
    by_kind: dict[str, int] = field(default_factory=dict)
    first: list[dict] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def add(self, *, kind: str, file: str, line: int | None = None, column: str = "",
            value: str | None = "", count: int = 1, **params) -> None:
        self.by_kind[kind] = self.by_kind.get(kind, 0) + count
        if len(self.first) < self.first_n:
            self.keep(kind=kind, file=file, line=line, column=column, value=value, **params)

    def keep(self, *, kind: str, file: str, line: int | None, column: str,
             value: str | None, **params) -> None:
        """Keep one example without counting it (the count came from SQL)."""
        if len(self.first) >= self.first_n:
            return
        value = "" if value is None else str(value)
        message = MESSAGES[kind]({"file": file, "column": column, "value": value, **params})
        self.first.append({"kind": kind, "file": file, "line": line, "column": column,
                           "value": value[:200], "message": message})

    def as_report(self) -> dict:
        self.first.sort(key=lambda p: (p["file"], p["line"] or 0))
        return {"total": self.total, "by_kind": dict(sorted(self.by_kind.items())),
                "first": self.first, "shown": len(self.first)}
