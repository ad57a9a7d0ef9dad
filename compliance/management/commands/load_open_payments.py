"""Load CMS Open Payments general-payments CSV files into PaymentRecord. Idempotent."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from compliance.loaders.open_payments import payments_load
from compliance.management.commands.load_spl_labels import report_write

DEFAULT_FILES = ("op_gnrl_py2022_api_sample_100.csv", "op_gnrl_py2013_sf_3000.csv")


class Command(BaseCommand):
    help = (
        "Load Open Payments general-payments CSV files (the PY2021+ layout or the "
        "legacy pre-2021 layout). Default: the two bundled files under "
        "REFERENCE_DATA_DIR/open-payments."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="*", help="general-payments CSV files")

    def handle(self, *args, **options) -> None:
        if options["paths"]:
            paths = [Path(p) for p in options["paths"]]
        else:
            folder = Path(settings.REFERENCE_DATA_DIR) / "open-payments"
            paths = [folder / name for name in DEFAULT_FILES]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise CommandError(f"no such file: {', '.join(missing)}")
        for path in paths:
            report_write(self, payments_load(path=path))
