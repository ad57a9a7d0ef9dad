"""``manage.py compliance_eval``: runs on a corpus and prints the per-rule table.

The synthetic corpus is in ``tests/compliance/data``. SMM4H and PsyTAR are read from
the shared data folder at run time (never copied: SMM4H's terms forbid it); their
tests are skipped only where that folder is absent (CI has it).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from compliance.management.commands.compliance_eval import default_data_dir
from compliance.rules.evaluation import Example, RuleScore, split_of

DATA = Path(__file__).parent / "data"
SHARED = default_data_dir()

pytestmark = pytest.mark.django_db


def run_eval(*args: str) -> str:
    out = io.StringIO()
    call_command("compliance_eval", *args, stdout=out)
    return out.getvalue()


def row(output: str, code: str) -> list[str]:
    return next(line.split() for line in output.splitlines() if line.startswith(code))


def test_it_prints_a_table_per_rule_for_a_jsonl_corpus():
    output = run_eval(
        "--corpus",
        str(DATA / "synthetic-posts.jsonl"),
        "--payments",
        str(DATA / "synthetic-payments.csv"),
        "--split",
        "all",
        "--labels",
        "bundled",
    )
    assert "rule" in output and "precision" in output and "recall" in output
    for code in ("OFF_LABEL", "FAIR_BALANCE", "COI_UNDISCLOSED", "ADVERSE_EVENT"):
        tp, fp, fn, precision, recall, f1, n = row(output, code)[1:]
        assert int(n) >= 1
        assert float(recall) >= 0.7 and float(precision) >= 0.8, (code, output)
    assert "examples: 26" in output


def test_split_is_deterministic_and_about_thirty_percent_test():
    keys = [f"demo:{n}" for n in range(2000)]
    first = [split_of(k) for k in keys]
    assert first == [split_of(k) for k in keys]
    assert 0.25 < first.count("test") / len(first) < 0.35


def test_scores_are_computed_per_rule():
    score = RuleScore("X", tp=8, fp=2, fn=2)
    assert score.precision == 0.8 and score.recall == 0.8 and score.n == 10
    assert round(score.f1, 3) == 0.8
    assert Example("a", "t", frozenset()).labelled is None


def test_it_refuses_a_missing_corpus(tmp_path):
    with pytest.raises(CommandError):
        run_eval("--corpus", str(tmp_path / "nope.jsonl"), "--labels", "bundled")


def test_it_refuses_a_malformed_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "expected": []}\n{"expected": []}\n')
    with pytest.raises(CommandError, match="bad.jsonl:2"):
        run_eval("--corpus", str(bad), "--labels", "bundled", "--split", "all")


@pytest.mark.skipif(
    not (SHARED / "smm4h-ade").is_dir(), reason="shared SMM4H data not present"
)
def test_adverse_events_on_the_smm4h_test_split():
    output = run_eval("--corpus", "smm4h", "--split", "test", "--labels", "bundled")
    _, tp, fp, fn, precision, recall, f1, n = row(output, "ADVERSE_EVENT")
    assert int(n) > 200
    # The target on data not tuned on. Measured with rule version 4-m1
    # (rules + the text model fitted on the tune split): 0.735 / 0.877.
    assert float(precision) >= 0.5 and float(recall) >= 0.85, output


@pytest.mark.skipif(
    not (SHARED / "psytar-ade").is_dir(), reason="shared PsyTAR data not present"
)
def test_adverse_events_on_the_psytar_test_split():
    output = run_eval("--corpus", "psytar", "--split", "test", "--labels", "bundled")
    _, tp, fp, fn, precision, recall, f1, n = row(output, "ADVERSE_EVENT")
    assert int(n) > 300
    assert float(precision) >= 0.5 and float(recall) >= 0.85, output
