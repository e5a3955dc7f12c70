from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_context

from lk_core.payments.services import encrypted_secrets_rotate
from tenants.models import Utility


class Command(BaseCommand):
    help = ("Re-encrypt every utility's stored secrets (acquirer credentials, appeal routes' "
            "webhook secrets) under the first key of CREDENTIALS_KEY, after prepending a new "
            "key; see docs/payments.md.")

    def handle(self, *args, **options):
        total = 0
        for utility in Utility.objects.exclude(schema_name=get_public_schema_name()):
            with schema_context(utility.schema_name):
                total += encrypted_secrets_rotate()
        self.stdout.write(self.style.SUCCESS(
            _("Secrets re-encrypted: %(count)d.") % {"count": total}))
