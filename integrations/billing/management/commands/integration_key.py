from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from lk_core.billing.models import IntegrationKey
from lk_core.billing.services import integration_key_rotate
from tenants.models import Utility


class Command(BaseCommand):
    help = "Show a utility's integration key prefix, or --rotate to issue a new key."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--rotate", action="store_true",
                            help="revoke the current key and print a new one (shown once)")

    def handle(self, *args, slug, rotate, **options):
        utility = Utility.objects.filter(slug=slug).first()
        if utility is None or utility.is_public:
            raise CommandError(_("No utility with slug %(slug)s.") % {"slug": slug})
        with schema_context(utility.schema_name):
            if rotate:
                key, plain = integration_key_rotate()
                self.stdout.write(plain)
                self.stderr.write(_("Store this key now: it is not shown again."))
                return
            key = IntegrationKey.objects.filter(revoked_at__isnull=True).first()
        self.stdout.write(f"{key.prefix}… (created {key.created_at:%Y-%m-%d})" if key
                          else _("No active key; use --rotate to issue one."))
