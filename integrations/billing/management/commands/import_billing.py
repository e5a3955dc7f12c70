from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from integrations.billing.base import import_run_dispatch
from integrations.billing.cli import cli_progress, run_summary
from lk_core.billing.importing.package import PackageError
from lk_core.billing.models import ImportStatus
from lk_core.billing.services import import_run_create
from tenants.models import Utility


class Command(BaseCommand):
    help = "Import an lk-billing/1 package (a directory or a .zip) into a utility."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("path")
        parser.add_argument("--dry-run", action="store_true",
                            help="check and count, then roll back")
        parser.add_argument("--wait", type=float, default=60,
                            help="seconds to wait for another import of this utility")
        parser.add_argument("--no-progress", action="store_true",
                            help="no progress on stderr (a bar on a terminal, else a line "
                                 "per phase and per 5%% of the bytes)")

    def handle(self, *args, slug, path, dry_run, wait, no_progress, **options):
        utility = Utility.objects.filter(slug=slug).first()
        if utility is None or utility.is_public:
            raise CommandError(_("No utility with slug %(slug)s.") % {"slug": slug})
        with schema_context(utility.schema_name):
            try:
                run = import_run_create(source="cli", package_path=path, dry_run=dry_run,
                                        started_by_label="manage.py import_billing")
            except (OSError, PackageError) as exc:
                raise CommandError(str(exc)) from exc
            run = import_run_dispatch(run=run, package_path=path, wait_seconds=wait,
                                      progress=cli_progress(self.stderr,
                                                            enabled=not no_progress))
        for line in run_summary(run):
            self.stdout.write(line)
        if run.status not in (ImportStatus.SUCCEEDED, ImportStatus.DRY_RUN):
            raise CommandError(run.report.get("message", run.status))
