import time

from django.conf import settings
from django.core.management.base import BaseCommand

from lk_platform.scheduler import registered_jobs, scheduler_tick


class Command(BaseCommand):
    help = "Fan periodic jobs out per utility, every SCHEDULER_TICK_SECONDS (docs/tasks.md)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One tick, then exit.")
        parser.add_argument("--tick", type=float, default=settings.SCHEDULER_TICK_SECONDS)

    def handle(self, *args, once: bool, tick: float, **options):
        jobs = registered_jobs()
        self.stdout.write("Periodic jobs: " + ", ".join(
            f"{job.name} every {job.every}" for job in jobs))
        while True:
            started = time.monotonic()
            fired = scheduler_tick(jobs=jobs)
            if fired:
                self.stdout.write(f"enqueued {len(fired)} job runs")
            if once:
                return
            time.sleep(max(0.0, tick - (time.monotonic() - started)))
