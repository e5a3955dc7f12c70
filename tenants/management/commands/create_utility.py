import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.models import Theme, UtilityKind
from tenants.services import utility_create
from tenants.urls import utility_url


class Command(BaseCommand):
    help = "Onboard a utility: schema, domains, default configuration, first staff user."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--domain", action="append", dest="domains",
                            help="A host name (repeatable). Default: <slug>.<PLATFORM_DOMAIN>")
        parser.add_argument("--timezone", default="Europe/Moscow")
        parser.add_argument("--kind", default=UtilityKind.WATER, choices=UtilityKind.values)
        parser.add_argument("--theme", default=Theme.CLASSIC, choices=Theme.values)
        parser.add_argument("--primary-color")
        parser.add_argument("--accent-color")
        parser.add_argument("--staff-email", help="First administrator; gets a one-time password")

    def handle(self, *args, **options):
        branding = {"theme": options["theme"]}
        for field in ("primary_color", "accent_color"):
            if options[field]:
                branding[field] = options[field]
        started = time.perf_counter()
        try:
            result = utility_create(
                slug=options["slug"], name=options["name"], domains=options["domains"],
                timezone_name=options["timezone"], kind=options["kind"],
                staff_email=options["staff_email"], actor="cli", **branding)
        except ValidationError as exc:
            raise CommandError("; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()
            ) if hasattr(exc, "error_dict") else " ".join(exc.messages)) from exc
        elapsed = time.perf_counter() - started
        utility = result.utility
        self.stdout.write(self.style.SUCCESS(
            f"Created utility {utility.slug} (schema {utility.schema_name}) in {elapsed:.2f} s"))
        self.stdout.write(f"Portal: {utility_url(utility)}")
        if result.staff_username:
            self.stdout.write(f"Staff console: {utility_url(utility, '/staff/')}")
            self.stdout.write(f"First administrator: {result.staff_username}")
            self.stdout.write(f"One-time password: {result.staff_password}  "
                              "(also e-mailed; must be changed at first login)")
