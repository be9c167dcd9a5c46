import time

from django.core.management.base import BaseCommand

from civicdesk.core.scheduler import run_due_jobs


class Command(BaseCommand):
    help = "Enqueues the periodic jobs (deadline sweep, ...) when due. Safe to run twice."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--once", action="store_true", help="Check once and exit.")
        parser.add_argument("--tick", type=float, default=15.0, help="Seconds between checks.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        while True:
            for name in run_due_jobs():
                self.stdout.write(f"enqueued {name}")
            if options["once"]:
                return
            time.sleep(options["tick"])
