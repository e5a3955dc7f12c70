from django.conf import settings
from django.core.management.base import BaseCommand
from django_tenants.utils import get_public_schema_name, schema_context

from lk_core.payments.services import payments_reconcile
from tenants.models import Utility


class Command(BaseCommand):
    help = ("Ask the acquirer about portal payments still waiting after N minutes and fix "
            "their state; retry stored notifications that were not processed.")

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int,
                            default=settings.PAYMENTS_PENDING_RECONCILE_MINUTES)
        parser.add_argument("--slug", help="Only this utility (default: every utility)")

    def handle(self, *args, **options):
        utilities = Utility.objects.exclude(schema_name=get_public_schema_name())
        if options["slug"]:
            utilities = utilities.filter(slug=options["slug"])
        for utility in utilities.order_by("slug"):
            with schema_context(utility.schema_name):
                counts = payments_reconcile(older_than_minutes=options["minutes"])
            self.stdout.write(f"{utility.slug}: " + ", ".join(
                f"{name} {value}" for name, value in counts.items()))
