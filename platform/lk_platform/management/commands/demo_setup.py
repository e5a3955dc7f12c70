from django.conf import settings
from django.core.management.base import BaseCommand

from lk_platform import demo
from tenants.urls import utility_url


class Command(BaseCommand):
    help = "Create (or reuse) the three demo utilities, their staff and the operator."

    def handle(self, *args, **options):
        results = demo.demo_seed()
        port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
        self.stdout.write(self.style.SUCCESS("Demo is ready."))
        self.stdout.write(f"Operator console: http://{settings.PLATFORM_DOMAIN}{port}/console/ "
                          f"({demo.DEMO_OPERATOR_EMAIL} / {demo.DEMO_OPERATOR_PASSWORD})")
        specs = {spec.slug: spec for spec in demo.DEMO_UTILITIES}
        for utility, created in results:
            state = "created" if created else "reused"
            self.stdout.write(f"  {utility.name} [{state}]: {utility_url(utility)}  staff: "
                              f"admin@{utility.slug}.example / {demo.DEMO_STAFF_PASSWORD}")
            hint = demo.demo_registration_hint(utility, specs[utility.slug])
            register = utility_url(utility, "/register/")
            self.stdout.write(f"      register as a resident at {register} with {hint}")
        self.stdout.write(f"Demo e-mail is written to files under {settings.EMAIL_FILE_PATH}")
