from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from django.db import connection

SAMPLES = Path("/work/shared/samples")
ENSKVODA = SAMPLES / "billing-enskvoda"
TEPLOSET = SAMPLES / "billing-teploset-1c.zip"


@pytest.fixture
def enskvoda_copy(tmp_path) -> Path:
    """A writable copy of the UTF-8 sample package (a directory)."""
    target = tmp_path / "enskvoda"
    shutil.copytree(ENSKVODA, target)
    return target


def zip_dir(directory: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(directory.iterdir()):
            archive.write(file, file.name)
    return target


def replace_line(path: Path, line_number: int, transform) -> str:
    """Rewrite one line (1-based) of a UTF-8 CSV; returns the new line."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line_number - 1] = transform(lines[line_number - 1].rstrip("\n")) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    return lines[line_number - 1]


def set_field(path: Path, line_number: int, column: str, value: str) -> None:
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    index = header.index(column)

    def transform(line: str) -> str:
        import csv
        import io

        row = next(csv.reader([line]))
        row[index] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(row)
        return out.getvalue()

    replace_line(path, line_number, transform)


def table_counts() -> dict[str, int]:
    from lk_core.billing.models import Account, ChargeLine, Invoice, Payment, Service
    from lk_core.meters.models import Meter, Reading

    return {model.__name__: model.objects.count()
            for model in (Account, Service, Invoice, ChargeLine, Payment, Meter, Reading)}


@pytest.fixture(scope="module")
def committed_tenant(django_db_setup, django_db_blocker):
    from tenants.services import utility_create, utility_delete

    with django_db_blocker.unblock():
        connection.set_schema_to_public()  # an earlier test may have left another tenant
        utility = utility_create(slug="gamma", name="Gamma Water", actor="tests", kind="water",
                                 staff_email="admin@gamma.test", send_staff_email=False).utility
    yield utility
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        utility_delete(utility=utility, actor="tests")
