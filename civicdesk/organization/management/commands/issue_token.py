from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from civicdesk.organization.tokens import token_issue


class Command(BaseCommand):
    help = "Issues a new staff API token for USERNAME and prints it as the last line."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("username")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        user = get_user_model().objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active staff member named {options['username']!r}.")
        self.stdout.write(f"Token for {user.username} (shown once; store it safely):")
        self.stdout.write(token_issue(user=user))
