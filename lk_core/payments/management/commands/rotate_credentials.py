from django.core.management.base import BaseCommand
from django.db import transaction
from django_tenants.utils import get_public_schema_name, schema_context

from lk_core.appeals.services import webhook_secrets_rotate
from lk_core.payments.services import credentials_rotate_all
from tenants.models import Utility


class Command(BaseCommand):
    help = ("Re-encrypt every utility's acquirer credentials under the first key of "
            "CREDENTIALS_KEY, and appeal routes' webhook secrets (after prepending a new key; "
            "see docs/payments.md).")

    def handle(self, *args, **options):
        total = 0
        for utility in Utility.objects.exclude(schema_name=get_public_schema_name()):
            with schema_context(utility.schema_name), transaction.atomic():
                total += credentials_rotate_all() + webhook_secrets_rotate()
        self.stdout.write(self.style.SUCCESS(
            f"Re-encrypted {total} credential set(s) and webhook secret(s)."))
