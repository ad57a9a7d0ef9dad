"""Generate, load and ingest the demo world through the Celery worker."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from vetting.demo import demo_world_load


class Command(BaseCommand):
    help = (
        "Generate the seeded demo world (if missing), load its clinicians and payments, "
        "and ingest its Bluesky/Mastodon recordings through a running Celery worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, required=True, help="world directory")
        parser.add_argument("--size", default="small", choices=["small", "100k", "1m"])
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--force", action="store_true", help="ingest recordings already ingested"
        )
        parser.add_argument("--timeout", type=float, default=1800)

    def handle(self, *args, **options):
        try:
            result = demo_world_load(
                world_dir=options["dir"],
                size=options["size"],
                seed=options["seed"],
                force=options["force"],
                timeout=options["timeout"],
                say=self.stdout.write,
            )
        except TimeoutError as exc:
            raise CommandError(str(exc)) from exc
        if result.failed_runs:
            raise CommandError(f"ingest runs failed: {result.failed_runs}")
        from vetting.models import ScoringRun

        failed = ScoringRun.objects.filter(pk__in=result.scoring_runs, status="failed")
        if failed.exists():
            raise CommandError(
                "scoring failed: " + "; ".join(f"run {r.pk}: {r.error}" for r in failed)
            )
