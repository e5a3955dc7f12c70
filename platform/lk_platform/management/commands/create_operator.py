from django.core.management.base import BaseCommand, CommandError

from lk_core.users.models import User
from lk_core.users.passwords import password_generate
from lk_core.users.services import operator_user_create


class Command(BaseCommand):
    help = "Create a platform operator (operator console on the platform host)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)

    def handle(self, *args, email, **options):
        if User.objects.filter(username=email.strip().lower()).exists():
            raise CommandError(f"{email} already exists")
        password = password_generate(16)
        operator_user_create(email=email, password=password)
        self.stdout.write(self.style.SUCCESS(f"Operator {email} created."))
        self.stdout.write(f"Password (shown once): {password}")
