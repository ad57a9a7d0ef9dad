"""Ingest a configured source or a recording file, in this process or on a worker."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from listening import selectors, services
from listening.models import IngestRun, Source


class Command(BaseCommand):
    help = (
        "Run one ingest: --source NAME (a configured source) or --recording PATH (a "
        "JSONL recording of envelopes, a folder of them, or a CSV/JSONL file import; "
        "its source is created on first use). Runs in this process unless "
        "--via-worker, then waits for the worker and prints the counts. Idempotent: "
        "ingesting the same input again creates and updates nothing."
    )

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--source", help="name of a configured Source")
        target.add_argument("--recording", type=Path, help="recording or import file")
        parser.add_argument(
            "--platform", help="platform of the recording (default: from its envelopes)"
        )
        parser.add_argument(
            "--via-worker",
            action="store_true",
            help="queue the run for a Celery worker and wait for it",
        )
        parser.add_argument(
            "--timeout", type=float, default=3600, help="seconds to wait for a worker"
        )

    def handle(self, *args, **options):
        try:
            if options["source"]:
                source = selectors.source_get(name=options["source"])
            else:
                source = services.recording_source_get_or_create(
                    path=options["recording"], platform=options["platform"]
                )
            with transaction.atomic():
                run = services.ingest_run_create(source=source)
                if options["via_worker"]:
                    services.ingest_run_enqueue(run=run)
        except Source.DoesNotExist:
            raise CommandError(f"no source named {options['source']!r}") from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None

        self.stdout.write(f"run {run.pk} of source {source.name!r} ({source.kind})")
        if options["via_worker"]:
            run = self._wait(run.pk, options["timeout"])
        else:
            worker = f"cli:{socket.gethostname()}:{os.getpid()}"
            run = services.ingest_run_execute(run_id=run.pk, worker=worker)
        self._report(run)

    def _wait(self, run_id: int, timeout: float) -> IngestRun:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            run = selectors.ingest_run_get(run_id=run_id)
            progress = (run.status, run.pages)
            if progress != last and run.status == IngestRun.Status.RUNNING:
                self.stdout.write(f"  running: {run.pages} pages, {run.created} new")
                last = progress
            if run.status not in IngestRun.ACTIVE:
                return run
            time.sleep(0.5)
        raise CommandError(
            f"run {run_id} is still {run.status} after {timeout:.0f}s "
            "(is a worker consuming the 'ingest' queue?)"
        )

    def _report(self, run: IngestRun) -> None:
        took = (
            f" in {(run.finished_at - run.started_at).total_seconds():.1f}s"
            if run.finished_at and run.started_at
            else ""
        )
        self.stdout.write(
            f"{run.status}{took}: {run.pages} pages, {run.received} received, "
            f"{run.created} created, {run.updated} updated, {run.unchanged} unchanged, "
            f"{run.quarantined} quarantined, {run.interactions} new interactions"
        )
        if run.error:
            self.stdout.write(f"error: {run.error}")
        if run.status == IngestRun.Status.FAILED:
            raise CommandError(f"run {run.pk} failed")
