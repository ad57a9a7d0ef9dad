"""Load FDA SPL label XML files into Product / ProductLabel. Idempotent."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from common.loading import LoadReport, load_report_write
from compliance.loaders.spl import product_labels_load


class Command(BaseCommand):
    help = (
        "Load SPL label XML files (default: every *.xml under "
        "REFERENCE_DATA_DIR/spl-labels). A directory loads its *.xml files."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="*", help="SPL XML files or directories")

    def handle(self, *args, **options) -> None:
        paths = _expand(options["paths"]) if options["paths"] else _default_paths()
        report = product_labels_load(paths=paths)
        report_write(self, report)


def _default_paths() -> list[Path]:
    folder = Path(settings.REFERENCE_DATA_DIR) / "spl-labels"
    paths = sorted(folder.glob("*.xml"))
    if not paths:
        raise CommandError(f"no SPL XML files found in {folder}")
    return paths


def _expand(arguments: list[str]) -> list[Path]:
    paths: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            paths.extend(sorted(path.glob("*.xml")))
        elif path.is_file():
            paths.append(path)
        else:
            raise CommandError(f"no such file or directory: {path}")
    return paths


def report_write(command: BaseCommand, report: LoadReport) -> None:
    load_report_write(report, stdout=command.stdout, stderr=command.stderr)
