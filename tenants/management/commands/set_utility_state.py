from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.models import Utility, UtilityState
from tenants.selectors import utility_get_by_slug
from tenants.services import utility_set_state


class Command(BaseCommand):
    help = "Put a utility in active, maintenance (read-only) or suspended state."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("state", choices=UtilityState.values)
        parser.add_argument("--message", default="", help="Shown to residents")

    def handle(self, *args, slug, state, message, **options):
        try:
            utility = utility_get_by_slug(slug)
        except Utility.DoesNotExist as exc:
            raise CommandError(f"No utility with slug {slug!r}") from exc
        try:
            utility_set_state(utility=utility, state=state, message=message, actor="cli")
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"{slug}: {state}"))
