"""Rebuild the adverse-event text model from the shared corpora (tune split only).

    manage.py ae_model_train              # writes compliance/ml/ae_model.npz
    manage.py ae_model_train --check      # rebuild in memory, compare with the shipped bytes
    manage.py ae_model_train --out /tmp/ae_model.npz --no-cv

Reads ``smm4h-ade`` and ``psytar-ade`` from the shared data folder (``--data-dir``)
and the bundled SPL labels (never the database, so the drug names it hides do not
depend on what a deployment loaded). Deterministic: the same data and library
versions give the same bytes. See ``compliance/ml/PROVENANCE.md``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from compliance.corpora import default_data_dir
from compliance.knowledge import knowledge_from_spl_files
from compliance.ml.ae_model import ARTEFACT
from compliance.ml.training import (
    ae_cross_validate,
    ae_model_bytes,
    ae_model_fit,
    ae_model_meta,
    ae_model_write,
    ae_training_rows,
    input_files,
)


class Command(BaseCommand):
    help = "Fit the ADVERSE_EVENT text model on the tune split and write its artefact."

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", type=Path, default=None)
        parser.add_argument("--out", type=Path, default=ARTEFACT)
        parser.add_argument(
            "--check",
            action="store_true",
            help="do not write; fail unless the rebuilt bytes equal --out's",
        )
        parser.add_argument(
            "--no-cv",
            action="store_true",
            help="skip the 5-fold cross-validation (not with --check)",
        )

    def handle(self, *args, **options):
        data_dir: Path = options["data_dir"] or default_data_dir()
        try:
            files = input_files(data_dir)
        except FileNotFoundError as exc:
            raise CommandError(f"corpus file not found: {exc.filename}") from exc
        folder = Path(settings.REFERENCE_DATA_DIR) / "spl-labels"
        knowledge = knowledge_from_spl_files(sorted(folder.glob("*.xml")))
        rows = ae_training_rows(data_dir, knowledge)
        # the shipped artefact records its cross-validation: --check recomputes it
        skip_cv = options["no_cv"] and not options["check"]
        cv = None if skip_cv else ae_cross_validate(rows)
        if cv:
            for domain, figures in cv.items():
                self.stdout.write(
                    f"5-fold out-of-fold, {domain}: {json.dumps(figures)}"
                )
        model = ae_model_fit(rows, meta=ae_model_meta(rows, files=files, cv=cv))
        out: Path = options["out"]
        if options["check"]:
            rebuilt = hashlib.sha256(ae_model_bytes(model)).hexdigest()
            shipped = (
                hashlib.sha256(out.read_bytes()).hexdigest() if out.is_file() else ""
            )
            if rebuilt != shipped:
                raise CommandError(
                    f"rebuilt model {rebuilt[:12]} differs from {out} "
                    f"({shipped[:12] or 'missing'})"
                )
            self.stdout.write(f"{out}: identical to the rebuild (sha256 {rebuilt})")
            return
        digest = ae_model_write(out, model)
        self.stdout.write(
            f"wrote {out} ({out.stat().st_size:,} bytes, sha256 {digest}): "
            f"{len(rows):,} tune rows, "
            f"{len(model.indices):,} trained buckets"
        )
