"""Load every bundled reference data set, in dependency order. Idempotent."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

STEPS = (
    "load_nucc",
    "load_medicare_crosswalk",
    "load_nppes_api",
    "load_therapeutic_areas",
    "load_spl_labels",
    "load_open_payments",
)


class Command(BaseCommand):
    help = (
        "Load NUCC, the Medicare crosswalk, NPPES API records, therapeutic areas, "
        "SPL labels and Open Payments."
    )

    def handle(self, *args, **options):
        for step in STEPS:
            call_command(step, stdout=self.stdout, stderr=self.stderr)
