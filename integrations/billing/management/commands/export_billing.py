from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from lk_core.billing.services import export_run_create
from tenants.models import Utility


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("Not an ISO date or datetime: %(value)s") % {"value": value}
                           ) from exc
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = ("Write an lk-export/1 zip of what residents created. Without --since: the rows "
            "since the last export (moves the watermark); with --since: a re-export.")

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("out", help="a .zip file, or a directory to put it in (created "
                                        "if missing)")
        parser.add_argument("--since", help="re-export rows after this ISO datetime")
        parser.add_argument("--until", help="with --since: up to this ISO datetime")

    def handle(self, *args, slug, out, since, until, **options):
        utility = Utility.objects.filter(slug=slug).first()
        if utility is None or utility.is_public:
            raise CommandError(_("No utility with slug %(slug)s.") % {"slug": slug})
        if until and not since:
            raise CommandError(_("--until needs --since."))
        is_file = out.lower().endswith(".zip") and not out.endswith(("/", "\\"))
        out = Path(out)
        if not is_file and out.exists() and not out.is_dir():
            raise CommandError(_("%(path)s is a file, not a directory; name a .zip file or a "
                                 "directory.") % {"path": out})
        if not is_file or out.is_dir():
            out.mkdir(parents=True, exist_ok=True)
            out = out / f"lk-export-{slug}-{timezone.now():%Y%m%d-%H%M%S}.zip"
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
        with schema_context(utility.schema_name):
            run = export_run_create(out=out, tenant_slug=slug, since=_moment(since),
                                    until=_moment(until),
                                    started_by_label="manage.py export_billing")
        self.stdout.write(f"Export #{run.pk} ({run.kind}) {run.since} .. {run.until} -> {out}")
        for name, rows in run.counts.items():
            self.stdout.write(f"  {name}: {rows}")
