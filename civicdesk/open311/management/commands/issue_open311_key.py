from django.core.management.base import BaseCommand, CommandError

from civicdesk.core.errors import ValidationFailed
from civicdesk.open311.services import api_client_issue


class Command(BaseCommand):
    help = (
        "Issues an Open311 api_key for a city app or partner NAME serving area CODE, and prints "
        "the key as the last line (it is shown once)."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("name")
        parser.add_argument("--area", required=True, help="Code of the area the client serves.")
        parser.add_argument(
            "--default-area",
            help="Code of the area for locations outside every mapped boundary (default: --area).",
        )
        parser.add_argument(
            "--jurisdiction", help="jurisdiction_id (default: CIVICDESK_OPEN311_JURISDICTION)."
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            client, key = api_client_issue(
                name=options["name"],
                area_code=options["area"],
                default_area_code=options["default_area"],
                jurisdiction_id=options["jurisdiction"],
            )
        except ValidationFailed as failure:
            problems = "; ".join(
                f"{field}: {problem}"
                for field, items in failure.errors.items()
                for problem in items
            )
            raise CommandError(problems) from None
        self.stdout.write(
            f"Open311 key for {client.name} (jurisdiction {client.jurisdiction_id}, "
            f"area {client.area.code}; shown once, store it safely):"
        )
        self.stdout.write(key)
