from django.core.management.base import BaseCommand

from civicdesk.cases.sweep import deadlines_sweep


class Command(BaseCommand):
    help = "Runs the deadline sweep now, in this process."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        result = deadlines_sweep()
        self.stdout.write(
            f"clocks={result.clocks} events={result.events} windows_closed={result.windows_closed}"
        )
