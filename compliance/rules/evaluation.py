"""Score the rules against a labelled corpus: per rule TP, FP, FN, precision,
recall, F1 and n (the examples that expect the rule). Pure: the management command
``compliance_eval`` reads the corpus files and prints ``scores_table``.

An example counts once per rule: predicted when the rule fires at least once on
it, expected when its ``expected`` list names the rule. Rules a corpus does not
annotate (``Example.labelled``) are left out of its table.

``split_of`` assigns an example to "tune" or "test" from a SHA-256 of a stable key
(corpus name + document id, e.g. the tweet id or the PsyTAR review id), 30% test:
the same example always lands in the same split, whatever the file order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from compliance.rules import RULE_CODES, rules_run
from compliance.rules.products import Knowledge
from compliance.rules.types import PaymentInfo, PostInput

TEST_PERCENT = 30


def split_of(key: str, *, test_percent: int = TEST_PERCENT) -> str:
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return "test" if int(digest[:8], 16) % 100 < test_percent else "tune"


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    expected: frozenset[str]
    author_npi: str = ""
    posted_at: datetime | None = None
    products: tuple[str, ...] = ()
    payments: tuple[PaymentInfo, ...] = ()
    labelled: frozenset[str] | None = None  # None: every rule is annotated


@dataclass
class RuleScore:
    code: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def n(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Evaluation:
    examples: int = 0
    scores: dict[str, RuleScore] = field(default_factory=dict)
    errors: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # kind, code, id, text


def evaluate(
    examples: Iterable[Example], knowledge: Knowledge, *, keep_errors: int = 0
) -> Evaluation:
    """Run every rule over every example and count per rule. ``keep_errors`` keeps
    that many false positives and negatives per rule for inspection."""
    result = Evaluation()
    for example in examples:
        result.examples += 1
        hits = rules_run(
            PostInput(
                text=example.text,
                posted_at=example.posted_at,
                author_npi=example.author_npi,
                payments=example.payments,
                context_products=example.products,
            ),
            knowledge,
        )
        fired = {hit.code for hit in hits}
        codes = example.labelled if example.labelled is not None else RULE_CODES
        for code in codes:
            score = result.scores.setdefault(code, RuleScore(code))
            expected, predicted = code in example.expected, code in fired
            if expected and predicted:
                score.tp += 1
            elif predicted:
                score.fp += 1
                kind = "FP"
            elif expected:
                score.fn += 1
                kind = "FN"
            else:
                score.tn += 1
            if expected != predicted and keep_errors:
                kept = sum(1 for e in result.errors if e[0] == kind and e[1] == code)
                if kept < keep_errors:
                    result.errors.append((kind, code, example.id, example.text))
    return result


def scores_table(evaluation: Evaluation) -> str:
    """A fixed-width table, one row per rule in ``RULE_CODES`` order."""
    lines = [
        f"{'rule':<24} {'TP':>5} {'FP':>5} {'FN':>5} {'precision':>9} {'recall':>7} "
        f"{'F1':>6} {'n':>6}"
    ]
    for code in RULE_CODES:
        s = evaluation.scores.get(code)
        if s is None:
            continue
        lines.append(
            f"{code:<24} {s.tp:>5} {s.fp:>5} {s.fn:>5} {s.precision:>9.3f} "
            f"{s.recall:>7.3f} {s.f1:>6.3f} {s.n:>6}"
        )
    lines.append(f"examples: {evaluation.examples}")
    return "\n".join(lines)
