"""Load NPI Registry API v2.1 records into ``Clinician``: recorded files or live lookups."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from common.loading import LoadReport, load_report_write
from influencers.loaders.nppes_api import (
    clinicians_load_from_api_lookup,
    clinicians_load_from_api_responses,
)
from influencers.verification.nppes_client import NppesDisabled, NppesUnavailable

DEFAULT_DIR = Path("nppes-npi-api-fixtures")


class Command(BaseCommand):
    help = (
        "Load recorded NPI Registry API responses (default: the bundled api-*.json "
        "files) into Clinician, or look NPIs up live with --npi (needs "
        "NPPES_API_ENABLED=true). Idempotent. Rejected records go to stderr."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths",
            nargs="*",
            type=Path,
            help=f"response JSON files (default: REFERENCE_DATA_DIR/{DEFAULT_DIR}/api-*.json)",
        )
        parser.add_argument(
            "--npi",
            dest="npis",
            action="extend",
            nargs="+",
            default=[],
            metavar="NPI",
            help="look these NPIs up in the live NPI Registry (only when enabled)",
        )

    def handle(self, *args, paths: list[Path], npis: list[str], **options):
        if npis:
            if not settings.NPPES_API_ENABLED:
                raise CommandError(
                    "Live NPI Registry lookups are off. Set NPPES_API_ENABLED=true in "
                    "the environment (and NPPES_API_URL for another endpoint) to use --npi."
                )
            try:
                _write(self, clinicians_load_from_api_lookup(npis=npis))
            except (NppesDisabled, NppesUnavailable) as exc:
                raise CommandError(str(exc)) from exc
            if not paths:
                return
        if not paths:
            folder = Path(settings.REFERENCE_DATA_DIR) / DEFAULT_DIR
            paths = sorted(folder.glob("api-*.json"))
            if not paths:
                raise CommandError(f"no api-*.json response files in {folder}")
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise CommandError(f"response file(s) not found: {', '.join(missing)}")
        _write(self, clinicians_load_from_api_responses(paths=paths))


def _write(command: BaseCommand, report: LoadReport) -> None:
    load_report_write(report, stdout=command.stdout, stderr=command.stderr)
