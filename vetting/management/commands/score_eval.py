"""Print the scores' quality against the demo world's ground truth."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from vetting.evaluation import quality_report


class Command(BaseCommand):
    help = (
        "Precision/recall of the scores against a demo world's truth/ directory: "
        "micro-influencers in the top decile per specialty, authenticity flags, "
        "identity links."
    )

    def add_arguments(self, parser):
        parser.add_argument("truth", type=Path, help="the world's truth/ directory")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, truth: Path, json: bool = False, **options):
        if not (truth / "micro_influencers.csv").is_file():
            raise CommandError(f"{truth} is not a demo world truth/ directory")
        report = quality_report(truth)
        if json:
            self.stdout.write(_dumps(report))
            return
        w = self.stdout.write
        w(
            "program                 specialty   cand  decile  MIs  unscored  hits  P@decile  R@decile  R-prec"
        )
        for q in report["specialties"]:
            w(
                f"{q['program']:<23} {q['specialty']:<10} {q['candidates']:>5} "
                f"{q['decile']:>7} {q['true_mi']:>4} {q['true_mi_unscored']:>9} "
                f"{q['hits_in_decile']:>5} {q['precision_at_decile']:>9.2f} "
                f"{q['recall_at_decile']:>9.2f} {q['r_precision']:>7.2f}"
            )
        a = report["authenticity"]
        w(
            f"authenticity flags: {a['flagged']} flagged of {a['scored']} scored, "
            f"{a['true_flags']} boosted; precision {a['precision']:.3f}, recall "
            f"{a['recall']:.3f} (of {a['amplified_scored']} boosted accounts scored)"
        )
        if a["false_flags"]:
            w(f"  false flags: {', '.join(a['false_flags'])}")
        link = report["links"]
        w(
            f"identity links: {link['linked']} linked, {link['correct']} correct; "
            f"precision {link['precision']:.3f}, recall {link['recall_linkable']:.3f} "
            f"of {link['linkable']} linkable, {link['recall_all']:.3f} of all "
            f"{link['clinician_accounts']} clinician accounts"
        )


def _dumps(report: dict) -> str:
    return json.dumps(report, indent=2, default=str)
