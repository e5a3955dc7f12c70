"""Onboarding a utility from the CLI and the operator console."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import translation
from django_tenants.utils import schema_context, schema_exists

from lk_core.users.models import User
from tenants.models import Domain, Utility
from tenants.services import utility_create
from tests.conftest import ROOT


def test_create_utility_command_end_to_end(db, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("create_utility", "--slug", "gamma", "--name", "Гамма Энерго",
                     "--timezone", "Asia/Irkutsk", "--kind", "electricity",
                     "--domain", "lk.gamma-energo.test", "--domain", "gamma.localhost",
                     "--staff-email", "Boss@Gamma.test")
    out = capsys.readouterr().out
    password = re.search(r"One-time password: (\S+)", out).group(1)
    utility = Utility.objects.get(slug="gamma")
    assert utility.schema_name == "u_gamma" and schema_exists("u_gamma")
    assert utility.timezone == "Asia/Irkutsk" and utility.kind == "electricity"
    assert [d.domain for d in Domain.objects.filter(tenant=utility).order_by("-is_primary")] == [
        "lk.gamma-energo.test", "gamma.localhost"]
    with schema_context("u_gamma"):
        staff = User.objects.get(username="boss@gamma.test")
        assert staff.check_password(password) and staff.must_change_password
        assert staff.kind == "staff" and staff.is_superuser
    assert password not in staff.password
    assert len(mail.outbox) == 1 and password in mail.outbox[0].body
    assert mail.outbox[0].to == ["boss@gamma.test"]
    # The portal answers on both domains; the staff user can log in on the new host only.
    client = Client(HTTP_HOST="gamma.localhost")
    assert "Гамма Энерго" in client.get("/").content.decode()
    assert client.post("/staff/login/", {"username": "boss@gamma.test",
                                          "password": password}).status_code == 302
    assert Client(HTTP_HOST="lk.gamma-energo.test").get("/").status_code == 200


def _structure(schema: str) -> dict[str, set]:
    """Everything about a schema's structure that a migration could depend on."""
    queries = {
        "columns": """SELECT table_name, column_name, data_type, is_nullable, column_default,
                             is_identity FROM information_schema.columns
                       WHERE table_schema = %s""",
        "constraints": """SELECT c.relname, k.conname, k.contype,
                                 replace(pg_get_constraintdef(k.oid), %s, '')
                            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
                           WHERE c.relnamespace = %s::regnamespace""",
        "indexes": """SELECT indexname, replace(indexdef, %s, '') FROM pg_indexes
                       WHERE schemaname = %s""",
    }
    result = {}
    with connection.cursor() as cursor:
        for key, sql in queries.items():
            params = [schema] if key == "columns" else [f"{schema}.", schema]
            cursor.execute(sql, params)
            result[key] = {tuple(str(v).replace(schema, "<s>") for v in row)
                           for row in cursor.fetchall()}
    return result


def test_new_tenant_schema_is_an_exact_copy_of_the_template(db):
    utility_create(slug="delta", name="Delta", actor="tests")
    template, copy = _structure("utility_template"), _structure("u_delta")
    assert copy["columns"] and copy["constraints"] and copy["indexes"]
    assert copy == template
    with schema_context("u_delta"):
        from django.contrib.contenttypes.models import ContentType
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
        assert User.objects.count() == 0  # the template carries no users
        assert ContentType.objects.filter(app_label="billing", model="invoice").exists()
        # Identity sequences continue after the copied rows.
        before = ContentType.objects.order_by("-id").first().id
        assert ContentType.objects.create(app_label="x", model="y").id > before


def test_schema_copy_refuses_what_it_cannot_copy(db):
    from tenants.schema_copy import SchemaCopyError, plan_for

    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA scratch; CREATE TABLE scratch.t (id int); "
                       "CREATE VIEW scratch.v AS SELECT id FROM scratch.t")
    with pytest.raises(SchemaCopyError, match="relation v of kind v"):
        plan_for("scratch")


@pytest.mark.parametrize("slug,message", [
    ("alpha", "already exists"), ("www", "reserved"), ("Bad_Slug", "lowercase"),
])
def test_invalid_onboarding_changes_nothing(db, slug, message):
    before = set(Utility.objects.values_list("slug", flat=True))
    with translation.override("en"), pytest.raises(ValidationError) as error:
        utility_create(slug=slug, name="X", actor="tests")
    assert message in str(error.value)
    assert set(Utility.objects.values_list("slug", flat=True)) == before


def test_low_contrast_branding_is_refused(db):
    with pytest.raises(ValidationError) as error:
        utility_create(slug="pale", name="Pale", actor="tests", primary_color="#ffff00")
    # Russian is the default language of every message.
    assert "Контраст белого текста на цвете #ffff00" in str(error.value)
    assert not Utility.objects.filter(slug="pale").exists() and not schema_exists("u_pale")


def test_taken_domain_is_refused(db):
    with pytest.raises(ValidationError):
        utility_create(slug="copycat", name="Copy", actor="tests", domains=["alpha.localhost"])
    assert not schema_exists("u_copycat")


def test_failure_during_provisioning_leaves_nothing(db, monkeypatch):
    from tenants import services

    def explode(*args, **kwargs):
        raise RuntimeError("mail server on fire")

    monkeypatch.setattr(services, "_first_staff_user_create", explode)
    with pytest.raises(RuntimeError):
        utility_create(slug="broken", name="Broken", actor="tests", staff_email="a@b.test")
    assert not Utility.objects.filter(slug="broken").exists()
    assert not Domain.objects.filter(domain="broken.localhost").exists()
    assert not schema_exists("u_broken")


def test_cli_reports_errors_clearly(db):
    with translation.override("en"), pytest.raises(CommandError, match="already exists"):
        call_command("create_utility", "--slug", "alpha", "--name", "Again")


def test_operator_console_onboards_a_utility(db, public_client):
    from lk_platform.demo import demo_operator_ensure

    demo_operator_ensure()
    assert public_client.post("/console/login/", {
        "username": "operator@example.org", "password": "demo-operator-2026"}).status_code == 302
    response = public_client.post("/console/tenants/utility/add/", {
        "name": "Эпсилон", "slug": "epsilon", "kind": "heating", "timezone": "Europe/Samara",
        "theme": "modern", "primary_color": "#22577a", "accent_color": "#ffd166",
        "staff_email": "admin@epsilon.test", "domain": "",
    }, follow=True)
    assert response.status_code == 200
    assert "one-time password" in response.content.decode().lower() or \
        "одноразовый пароль" in response.content.decode().lower()
    utility = Utility.objects.get(slug="epsilon")
    assert utility.get_primary_domain().domain == "epsilon.localhost"
    assert "Эпсилон" in Client(HTTP_HOST="epsilon.localhost").get("/").content.decode()


def test_staff_cannot_use_operator_console_and_operator_has_no_tenant_login(db, client_a):
    from lk_platform.demo import demo_operator_ensure

    demo_operator_ensure()
    # The operator exists only in the public schema: no login at a utility's host.
    response = client_a.post("/staff/login/", {"username": "operator@example.org",
                                                "password": "demo-operator-2026"})
    assert response.status_code == 200


def test_import_platform_is_the_standard_library():
    for cwd in (ROOT, ROOT / "platform"):
        out = subprocess.run(
            [sys.executable, "-c",
             "import platform, sys; sys.path[:0] = ['platform', '.']; "
             "import platform as p2; print(platform.system(), p2.__file__)"],
            cwd=cwd, capture_output=True, text=True, check=True).stdout
        assert out.startswith("Linux ") and "python3.11/platform.py" in out
    import platform

    assert platform.system() == "Linux"
    assert platform.__file__.endswith("python3.11/platform.py")


def test_check_deploy_is_clean_with_production_settings():
    env = {"PATH": "/usr/bin:/bin", "DEBUG": "0", "LK_TESTING": "0",
           "SECRET_KEY": "x" * 20 + "production-like-secret-key-with-enough-entropy-0123456789",
           "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
           "PLATFORM_DOMAIN": "lk.example.ru", "HOME": str(ROOT / "var")}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy",
                             "--fail-level", "WARNING"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_create_operator_command(db, capsys):
    call_command("create_operator", "--email", "Ops@Example.org")
    password = re.search(r"Password \(shown once\): (\S+)", capsys.readouterr().out).group(1)
    client = Client(HTTP_HOST="localhost")
    assert client.post("/console/login/", {"username": "ops@example.org",
                                            "password": password}).status_code == 302
    assert client.get("/console/").status_code == 200
    with pytest.raises(CommandError):
        call_command("create_operator", "--email", "ops@example.org")
