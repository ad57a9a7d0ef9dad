"""Write a seeded, realistic NPPES ``npidata_pfile`` CSV (the real 330-column layout)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from influencers.loaders.npidata_generator import MALFORMED_KINDS, npidata_write


class Command(BaseCommand):
    help = (
        "Generate an npidata_pfile CSV in the exact NPPES layout (ISO-8859-1, CRLF, "
        "every value quoted) with valid NPIs and real NUCC codes. Same seed, same file."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rows", type=int, required=True, help="data rows to write"
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--out", type=Path, required=True, help="file to (over)write"
        )
        parser.add_argument(
            "--inject",
            action="append",
            default=[],
            metavar="LINE:KIND",
            help=(
                "make the record on physical LINE (header = 1) malformed; KIND is one "
                f"of {', '.join(MALFORMED_KINDS)}. Repeatable."
            ),
        )

    def handle(
        self, *args, rows: int, seed: int, out: Path, inject: list[str], **options
    ):
        if rows < 0:
            raise CommandError("--rows must not be negative")
        malformed: dict[int, str] = {}
        for item in inject:
            line, _, kind = item.partition(":")
            if not line.isdigit() or kind not in MALFORMED_KINDS:
                raise CommandError(
                    f"--inject {item!r}: expected LINE:KIND with KIND one of "
                    f"{', '.join(MALFORMED_KINDS)}"
                )
            malformed[int(line)] = kind
        summary = npidata_write(out, rows=rows, seed=seed, malformed=malformed)
        self.stdout.write(
            f"{out}: {summary.rows:,} rows, {summary.bytes / 1e6:,.1f} MB: "
            f"{summary.individuals:,} individuals, {summary.organizations:,} organizations, "
            f"{summary.deactivated_stubs:,} deactivated (stubs), {summary.reactivated:,} "
            f"reactivated, {len(summary.malformed)} malformed"
        )
