"""Load an NPPES bulk ``npidata_pfile`` CSV into ``Clinician``. Idempotent, streams."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from common.loading import load_report_write
from influencers.loaders import ReferenceFileError
from influencers.loaders.nppes_bulk import clinicians_load_from_npidata


class Command(BaseCommand):
    help = (
        "Load an NPPES npidata_pfile CSV (330 columns, ISO-8859-1) into Clinician and "
        "ClinicianTaxonomy. Prints the counts and rows/s; rejected rows go to stderr "
        "as file:line: reason. A re-run of the same file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="npidata_pfile_*.csv")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=50_000,
            help="rows per COPY + upsert transaction (default 50000)",
        )

    def handle(self, *args, path: Path, batch_size: int, **options):
        if not path.is_file():
            raise CommandError(f"file not found: {path}")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        start = time.perf_counter()
        try:
            report = clinicians_load_from_npidata(path=path, batch_size=batch_size)
        except ReferenceFileError as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.perf_counter() - start
        load_report_write(report, stdout=self.stdout, stderr=self.stderr)
        self.stdout.write(
            f"{report.received:,} rows in {seconds:.1f} s "
            f"({report.received / max(seconds, 1e-9):,.0f} rows/s)"
        )
