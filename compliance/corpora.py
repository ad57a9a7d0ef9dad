"""Readers of the labelled corpora the adverse-event rule is measured (and its text
model trained) on. Read from the shared data folder at run time, never copied into
the repository (SMM4H's terms forbid redistribution).

* ``smm4h_examples``: ``smm4h-ade/smm4h2019_task2_tweet_level.csv``. A tweet labelled
  ADR is a first-person drug tweet, so patient, reporter, product and event are
  there: expected ``ADVERSE_EVENT``; the others expect nothing. Key:
  ``smm4h:<tweet_id>``.
* ``psytar_examples``: ``psytar-ade/PsyTAR_sentence_labeling.csv`` (CC BY 4.0). A
  sentence labelled ADR expects ``ADVERSE_EVENT``; the review's drug (``drug_id``
  lexapro.12 -> Lexapro) is the context product. Key: ``psytar:<drug_id>``, so all
  sentences of one review land in the same tune/test split.

Only ``ADVERSE_EVENT`` is annotated in either (``Example.labelled``).
"""

from __future__ import annotations

import csv
import html
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from compliance.rules.evaluation import Example

AE_ONLY = frozenset({"ADVERSE_EVENT"})
SMM4H_FILE = Path("smm4h-ade") / "smm4h2019_task2_tweet_level.csv"
PSYTAR_FILE = Path("psytar-ade") / "PsyTAR_sentence_labeling.csv"


def default_data_dir() -> Path:
    """The shared data folder next to the project (``../shared/data``)."""
    return Path(settings.BASE_DIR).parent / "shared" / "data"


def smm4h_examples(data_dir: Path) -> Iterator[Example]:
    path = data_dir / SMM4H_FILE
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            tweet_id = (row.get("tweet_id") or "").strip()
            if not tweet_id:
                continue
            yield Example(
                id=f"smm4h:{tweet_id}",
                text=html.unescape(row.get("text") or ""),
                expected=AE_ONLY
                if (row.get("label_adr") or "").strip() == "1"
                else frozenset(),
                labelled=AE_ONLY,
            )


def _psytar_drug(drug_id: str) -> str:
    name = drug_id.split(".")[0]
    return {"effexorxr": "Effexor XR"}.get(name.lower(), name.capitalize())


def psytar_examples(data_dir: Path) -> Iterator[Example]:
    path = data_dir / PSYTAR_FILE
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            drug_id = (row.get("drug_id") or "").strip()
            text = (row.get("sentences") or "").strip()
            if not drug_id or "." not in drug_id or not text:
                continue
            try:
                adr = float(row.get("ADR") or 0) == 1.0
            except ValueError:
                adr = False
            yield Example(
                id=f"psytar:{drug_id}",
                text=text,
                expected=AE_ONLY if adr else frozenset(),
                products=(_psytar_drug(drug_id),),
                labelled=AE_ONLY,
            )
