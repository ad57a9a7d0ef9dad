"""Load the CMS Medicare specialty -> NUCC taxonomy crosswalk. Idempotent."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from common.loading import LoadReport, load_report_write
from influencers.loaders import ReferenceFileError
from influencers.loaders.crosswalk import medicare_crosswalk_load

DEFAULT_PATH = (
    Path("medicare-specialty-taxonomy-crosswalk")
    / "medicare_specialty_to_nucc_crosswalk_2019_clean.csv"
)


class Command(BaseCommand):
    help = (
        "Load the Medicare specialty to NUCC taxonomy crosswalk (2019) into "
        "MedicareSpecialtyCrosswalk. Run load_nucc first so rows link to Specialty. "
        "Prints the counts; rejected rows go to stderr as file:line: reason."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            type=Path,
            help=f"CSV file (default: REFERENCE_DATA_DIR/{DEFAULT_PATH})",
        )

    def handle(self, *args, path: Path | None = None, **options):
        path = path or Path(settings.REFERENCE_DATA_DIR) / DEFAULT_PATH
        if not path.is_file():
            raise CommandError(f"Medicare crosswalk file not found: {path}")
        try:
            report = medicare_crosswalk_load(path=path)
        except ReferenceFileError as exc:
            raise CommandError(str(exc)) from exc
        _write(self, report)


def _write(command: BaseCommand, report: LoadReport) -> None:
    load_report_write(report, stdout=command.stdout, stderr=command.stderr)
