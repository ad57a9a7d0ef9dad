"""Link unreviewed social accounts to clinicians and print what changed. Idempotent."""

from django.core.management.base import BaseCommand

from influencers.linking_services import accounts_link


class Command(BaseCommand):
    help = (
        "Match unreviewed social accounts to clinicians (NPI or licence in the bio, "
        "name + specialty + place) and write the links. Confirmed, rejected and manual "
        "links are left alone; a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--account-id",
            dest="account_ids",
            type=int,
            action="append",
            help="only this SocialAccount id (repeat for several)",
        )

    def handle(self, *args, account_ids: list[int] | None = None, **options):
        report = accounts_link(account_ids=account_ids)
        self.stdout.write(report.summary())
        for method, count in report.by_method.items():
            self.stdout.write(f"  {method}: {count}")
