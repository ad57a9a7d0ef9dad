"""Create or update the demo users (one per role) and print their logins."""

from django.conf import settings
from django.core.management.base import BaseCommand

from vetting.services import demo_users_ensure


class Command(BaseCommand):
    help = "Create or update one demo user per role (idempotent) and print the logins."

    def handle(self, *args, **options):
        results = demo_users_ensure()
        width = max(len(r.username) for r in results)
        pw_width = max(len(r.password) for r in results)
        self.stdout.write(
            f"{'Username':<{width}}  {'Password':<{pw_width}}  Role / change"
        )
        for r in results:
            self.stdout.write(
                f"{r.username:<{width}}  {r.password:<{pw_width}}  {r.role} ({r.status})"
            )
        if not settings.DEMO_USERS_ALLOWED:
            self.stdout.write(
                self.style.WARNING(
                    "DEMO_USERS_ALLOWED is off (DEBUG is off): these demo passwords "
                    "will be refused at login."
                )
            )
