"""Scan posts with the compliance rules now (in this process, not on a worker).

    manage.py scan                    # posts changed since the last complete scan
    manage.py scan --all              # every post (after loading new labels/payments)
    manage.py scan --post 12 --post 13
    manage.py scan --ingest-run 7

Idempotent: unchanged posts with unchanged rule versions create no findings.
"""

from django.core.management.base import BaseCommand

from compliance.services import posts_scan


class Command(BaseCommand):
    help = "Run the compliance rules over posts and store findings and AE cases."

    def add_arguments(self, parser):
        parser.add_argument("--post", type=int, action="append", dest="post_ids")
        parser.add_argument("--ingest-run", type=int, dest="ingest_run_id")
        parser.add_argument("--all", action="store_true", dest="full")
        parser.add_argument("--chunk-size", type=int, default=1000)

    def handle(self, *args, **options):
        run = posts_scan(
            post_ids=options["post_ids"],
            ingest_run_id=options["ingest_run_id"],
            full=options["full"],
            chunk_size=options["chunk_size"],
        )
        self.stdout.write(
            f"scan run {run.pk} ({run.trigger}): {run.status}; "
            f"{run.posts_scanned} posts, {run.findings_created} findings created, "
            f"{run.findings_unchanged} unchanged, {run.findings_superseded} superseded, "
            f"{run.ae_cases_opened} adverse-event cases opened"
        )
