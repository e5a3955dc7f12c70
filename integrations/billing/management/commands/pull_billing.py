from django.core.management.base import BaseCommand

from integrations.billing.pull import billing_pull_tenant
from lk_core.billing.interfaces import PullError
from tenants.models import Utility


class Command(BaseCommand):
    help = "Pull billing packages from the URLs tenants configured (all tenants or the given)."

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*")

    def handle(self, *args, slugs, **options):
        utilities = Utility.objects.exclude(schema_name="public")
        if slugs:
            utilities = utilities.filter(slug__in=slugs)
        for utility in utilities:
            try:
                runs = billing_pull_tenant(utility)
            except PullError as exc:
                self.stderr.write(f"{utility.slug}: {exc}")
                continue
            for run in runs:
                self.stdout.write(f"{utility.slug}: " + (f"import #{run.pk} {run.status}"
                                                         if run else "unchanged"))
