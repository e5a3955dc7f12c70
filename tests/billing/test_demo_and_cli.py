"""The demo loads its sample once; the CLI adapter prints a summary and fails loudly."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from lk_core.billing.models import ImportRun, ImportStatus, IntegrationKey
from lk_platform import demo
from tests.billing.conftest import ENSKVODA, table_counts


def test_demo_imports_the_sample_once(in_tenant_a):
    spec = demo.DEMO_UTILITIES[1]  # the Windows-1251 zip
    assert (demo.samples_dir() / spec.sample).exists()
    run = demo.demo_billing_ensure(in_tenant_a, spec, created=False)
    assert run.status == ImportStatus.SUCCEEDED
    assert demo.demo_billing_ensure(in_tenant_a, spec, created=False) is None
    assert ImportRun.objects.count() == 1
    assert table_counts()["Account"] == 25


def test_import_command_summary_and_dry_run(in_tenant_a, capsys):
    call_command("import_billing", "alpha", str(ENSKVODA), "--dry-run", "--no-progress")
    out = capsys.readouterr().out
    assert "charges.csv" in out and "5460" in out
    assert table_counts()["Account"] == 0
    call_command("import_billing", "alpha", str(ENSKVODA), "--no-progress")
    assert table_counts()["Account"] == 60


def test_import_command_fails_on_bad_input(in_tenant_a, enskvoda_copy, tmp_path):
    with pytest.raises(CommandError):
        call_command("import_billing", "nosuch", str(ENSKVODA), "--no-progress")
    with pytest.raises(CommandError):
        call_command("import_billing", "alpha", str(tmp_path / "missing.zip"),
                     "--no-progress")
    (enskvoda_copy / "services.csv").write_text("code,name,unit\n,,\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_billing", "alpha", str(enskvoda_copy), "--no-progress")
    assert ImportRun.objects.get(status=ImportStatus.REJECTED)


def test_integration_key_command_prints_the_key_once(in_tenant_a, capsys, utility_b,
                                                     in_schema):
    call_command("integration_key", "alpha", "--rotate")
    plain = capsys.readouterr().out.strip()
    assert plain.startswith("lki_")
    key = IntegrationKey.objects.get()
    assert plain not in key.key_hash and key.prefix in plain
    call_command("integration_key", "alpha")
    assert plain not in capsys.readouterr().out
    with in_schema(utility_b):
        assert not IntegrationKey.objects.exists()
