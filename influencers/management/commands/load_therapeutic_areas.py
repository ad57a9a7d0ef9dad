"""Load the curated therapeutic areas into ``TherapeuticArea``. Idempotent."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from common.loading import load_report_write
from influencers.loaders import ReferenceFileError
from influencers.loaders.therapeutic_areas import therapeutic_areas_load


class Command(BaseCommand):
    help = "Load therapeutic areas (default: fixtures/programs/therapeutic_areas.json)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path)

    def handle(self, *args, path: Path | None = None, **options):
        path = (
            path or Path(settings.BASE_DIR) / "fixtures/programs/therapeutic_areas.json"
        )
        if not path.is_file():
            raise CommandError(f"therapeutic areas file not found: {path}")
        try:
            report = therapeutic_areas_load(path=path)
        except ReferenceFileError as exc:
            raise CommandError(str(exc)) from exc
        load_report_write(report, stdout=self.stdout, stderr=self.stderr)
