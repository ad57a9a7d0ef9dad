"""Score the compliance rules on a labelled corpus and print P/R/F1 per rule.

    manage.py compliance_eval                      # every built-in corpus present, test split
    manage.py compliance_eval --corpus smm4h --split test
    manage.py compliance_eval --corpus psytar
    manage.py compliance_eval --corpus demo --world /tmp/world
    manage.py compliance_eval --corpus my-posts.jsonl --split all

Corpora (format in ``compliance/rules/README.md``):

* ``smm4h`` and ``psytar``: read from the shared data folder by
  ``compliance.corpora`` (never copied: SMM4H's terms forbid redistribution); only
  ADVERSE_EVENT is scored. Split keys ``smm4h:<tweet_id>`` and ``psytar:<drug_id>``
  (all sentences of one review in the same split).
* ``demo``: ``<world>/truth/compliance-corpus.jsonl`` of a demo world, with the
  authors' payments from ``<world>/payments/*.csv``. Split key: ``demo:<external_id>``.
* a path to any JSONL file in the documented format.

Knowledge: the products and labels in the database, or the bundled SPL labels
(``REFERENCE_DATA_DIR/spl-labels``) when the database has none. Reads only.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from compliance.corpora import (
    PSYTAR_FILE,
    SMM4H_FILE,
    default_data_dir,
    psytar_examples,
    smm4h_examples,
)
from compliance.knowledge import (
    knowledge_build,
    knowledge_from_spl_files,
    payments_for_npis,
)
from compliance.loaders.open_payments import PaymentFileError, payments_layout_detect
from compliance.rules.evaluation import Example, evaluate, scores_table, split_of
from compliance.rules.types import PaymentInfo

BUILT_IN = ("smm4h", "psytar", "demo")


def _parse_time(value: object) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def jsonl_examples(
    path: Path, *, payments: dict[str, tuple[PaymentInfo, ...]] | None, prefix: str
) -> Iterator[Example]:
    """Examples of a JSONL corpus; payments come from ``payments`` (by NPI) or the
    database."""
    rows: list[dict] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CommandError(f"{path}:{number}: not JSON ({exc})") from exc
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise CommandError(f"{path}:{number}: needs a 'text' string")
            if not isinstance(row.get("expected", []), list):
                raise CommandError(f"{path}:{number}: 'expected' must be a list")
            row["_line"] = number
            rows.append(row)
    if payments is None:
        payments = payments_for_npis(str(r.get("author_npi") or "") for r in rows)
    for row in rows:
        npi = str(row.get("author_npi") or "")
        ident = str(row.get("id") or row.get("external_id") or row["_line"])
        labelled = row.get("labelled")
        yield Example(
            id=f"{prefix}:{ident}",
            text=row["text"],
            expected=frozenset(str(c) for c in row.get("expected") or []),
            author_npi=npi,
            posted_at=_parse_time(row.get("posted_at")),
            products=tuple(str(p) for p in row.get("products") or [] if p),
            payments=payments.get(npi, ()),
            labelled=frozenset(labelled) if isinstance(labelled, list) else None,
        )


def payments_from_csv(paths: list[Path]) -> dict[str, tuple[PaymentInfo, ...]]:
    """Open Payments general-payments CSV files -> payments by recipient NPI."""
    out: dict[str, list[PaymentInfo]] = {}
    for path in paths:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            try:
                layout = payments_layout_detect(header)
            except PaymentFileError as exc:
                raise CommandError(f"{path}: {exc}") from exc
            index = {h.strip().lower(): i for i, h in enumerate(header)}

            def cell(
                cells: list[str], name: str | None, index: dict[str, int] = index
            ) -> str:
                i = index.get(name or "")
                return cells[i].strip() if i is not None and i < len(cells) else ""

            for cells in reader:
                npi = cell(cells, layout.npi)
                if not npi:
                    continue
                try:
                    amount = float(
                        cell(cells, "total_amount_of_payment_usdollars") or 0
                    )
                except ValueError:
                    amount = 0.0
                try:
                    paid_on: date | None = datetime.strptime(
                        cell(cells, "date_of_payment"), "%m/%d/%Y"
                    ).date()
                except ValueError:
                    paid_on = None
                out.setdefault(npi, []).append(
                    PaymentInfo(
                        manufacturer_name=cell(
                            cells,
                            "applicable_manufacturer_or_applicable_gpo_making_payment_name",
                        ),
                        amount_usd=amount,
                        date=paid_on,
                        nature=cell(cells, "nature_of_payment_or_transfer_of_value"),
                        products=tuple(
                            v for c in layout.product_columns if (v := cell(cells, c))
                        ),
                        record_id=cell(cells, "record_id"),
                    )
                )
    return {npi: tuple(items) for npi, items in out.items()}


class Command(BaseCommand):
    help = "Run the compliance rules over a labelled corpus; print P/R/F1 per rule."

    def add_arguments(self, parser):
        parser.add_argument(
            "--corpus",
            action="append",
            help="smm4h, psytar, demo or a path to a JSONL file (repeatable; "
            "default: every built-in corpus that is present)",
        )
        parser.add_argument("--split", choices=("tune", "test", "all"), default="test")
        parser.add_argument("--data-dir", type=Path, default=None)
        parser.add_argument(
            "--world", type=Path, default=None, help="demo world folder (for 'demo')"
        )
        parser.add_argument(
            "--payments",
            type=Path,
            action="append",
            help="Open Payments CSV for the authors (default: the world's, or the DB)",
        )
        parser.add_argument(
            "--labels",
            choices=("auto", "db", "bundled"),
            default="auto",
            help="products and labels from the database or the bundled SPL files",
        )
        parser.add_argument(
            "--errors",
            type=int,
            default=0,
            help="print N false positives/negatives per rule",
        )

    def handle(self, *args, **options):
        data_dir: Path = options["data_dir"] or default_data_dir()
        knowledge = self._knowledge(options["labels"])
        corpora = options["corpus"] or [
            c for c in BUILT_IN if self._present(c, data_dir, options)
        ]
        if not corpora:
            raise CommandError("no corpus found; give --corpus PATH.jsonl")
        split = options["split"]
        self.stdout.write(
            f"products: {', '.join(p.brand_name for p in knowledge.products) or 'none'}; "
            f"split: {split} (sha256 of corpus:id, {30}% test)"
        )
        for corpus in corpora:
            examples = [
                e
                for e in self._examples(corpus, data_dir, options)
                if split == "all" or split_of(e.id) == split
            ]
            result = evaluate(examples, knowledge, keep_errors=options["errors"])
            self.stdout.write(f"\n== {corpus} ({split} split) ==")
            self.stdout.write(scores_table(result))
            for kind, code, ident, text in result.errors:
                self.stdout.write(f"  {kind} {code} {ident}: {text[:200]!r}")

    def _knowledge(self, source: str):
        if source in ("auto", "db"):
            knowledge = knowledge_build()
            if knowledge.products or source == "db":
                return knowledge
        folder = Path(settings.REFERENCE_DATA_DIR) / "spl-labels"
        return knowledge_from_spl_files(sorted(folder.glob("*.xml")))

    def _present(self, corpus: str, data_dir: Path, options: dict) -> bool:
        if corpus == "smm4h":
            return (data_dir / SMM4H_FILE).is_file()
        if corpus == "psytar":
            return (data_dir / PSYTAR_FILE).is_file()
        world = options["world"]
        return bool(world and (world / "truth" / "compliance-corpus.jsonl").is_file())

    def _examples(
        self, corpus: str, data_dir: Path, options: dict
    ) -> Iterator[Example]:
        try:
            if corpus == "smm4h":
                return smm4h_examples(data_dir)
            if corpus == "psytar":
                return psytar_examples(data_dir)
            if corpus == "demo":
                world = options["world"]
                if world is None:
                    raise CommandError(
                        "--corpus demo needs --world DIR (python -m demoworld --out DIR)"
                    )
                path, prefix = world / "truth" / "compliance-corpus.jsonl", "demo"
            else:
                path, prefix = Path(corpus), "jsonl"
                world = path.parent.parent if path.parent.name == "truth" else None
            if not path.is_file():
                raise CommandError(f"corpus file not found: {path}")
            payment_files = options["payments"] or (
                sorted((world / "payments").glob("*.csv"))
                if world is not None and (world / "payments").is_dir()
                else []
            )
            payments = payments_from_csv(payment_files) if payment_files else None
            return jsonl_examples(path, payments=payments, prefix=prefix)
        except FileNotFoundError as exc:
            raise CommandError(f"corpus file not found: {exc.filename}") from exc
