"""Load the NUCC Health Care Provider Taxonomy CSV into ``Specialty``. Idempotent."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from common.loading import LoadReport, load_report_write
from influencers.loaders import ReferenceFileError
from influencers.loaders.nucc import specialties_load

DEFAULT_PATH = Path("nucc-taxonomy") / "nucc_taxonomy_251.csv"


class Command(BaseCommand):
    help = (
        "Load the NUCC taxonomy CSV into Specialty (default: the bundled v25.1 file). "
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
            raise CommandError(f"NUCC taxonomy file not found: {path}")
        try:
            report = specialties_load(path=path)
        except ReferenceFileError as exc:
            raise CommandError(str(exc)) from exc
        _write(self, report)


def _write(command: BaseCommand, report: LoadReport) -> None:
    load_report_write(report, stdout=command.stdout, stderr=command.stderr)
