"""Score programs: queue a scoring run per program on the worker and wait, or run it
in this process with ``--inline``. Prints each run's outcome and timings."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from vetting import services
from vetting.models import Program, ScoringRun


class Command(BaseCommand):
    help = (
        "Score the active programs (or --program SLUG ...): one scoring run each, "
        "skipped when its inputs are unchanged."
    )

    def add_arguments(self, parser):
        parser.add_argument("--program", action="append", default=[], metavar="SLUG")
        parser.add_argument(
            "--inline",
            action="store_true",
            help="compute in this process instead of on the Celery worker",
        )
        parser.add_argument("--timeout", type=float, default=1800)

    def handle(self, *args, program: list[str], inline: bool, timeout: float, **kw):
        programs = Program.objects.filter(is_active=True)
        if program:
            programs = Program.objects.filter(slug__in=program)
            missing = set(program) - set(programs.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"no such program: {', '.join(sorted(missing))}")
        failed = []
        for item in programs:
            run, created = services.scoring_run_create(program=item)
            if not created:
                self.stdout.write(f"{item.slug}: run {run.pk} is already {run.status}")
            if inline:
                run = services.scoring_run_inline(run_id=run.pk)
            else:
                from vetting.tasks import scoring_run_execute

                if run.status == ScoringRun.Status.PENDING:
                    scoring_run_execute.delay(run_id=run.pk)
                run = _wait(run.pk, timeout)
            self.stdout.write(
                f"{item.slug}: run {run.pk} {run.status}, {run.accounts_scored} "
                f"candidates, {run.edges} edges, {run.parts_total} parts, "
                f"timings {run.timings}"
                + (f", error: {run.error}" if run.error else "")
            )
            if run.status == ScoringRun.Status.FAILED:
                failed.append(item.slug)
        if failed:
            raise CommandError(f"scoring failed for: {', '.join(failed)}")


def _wait(run_id: int, timeout: float) -> ScoringRun:
    deadline = time.monotonic() + timeout
    while True:
        run = ScoringRun.objects.get(pk=run_id)
        if run.status not in (ScoringRun.Status.PENDING, ScoringRun.Status.RUNNING):
            return run
        if time.monotonic() > deadline:
            raise CommandError(
                f"scoring run {run_id} did not finish within {timeout:.0f} s: is a "
                "Celery worker consuming the 'score' queue?"
            )
        time.sleep(0.25)
