"""List quarantined records with their reason, so a reviewer can fix or discard them."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from listening import selectors
from listening.models import QuarantinedRecord, Source


class Command(BaseCommand):
    help = (
        "List quarantined records (open ones by default): id, source, reason, detail "
        "and the start of the payload. Read-only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--status",
            default=QuarantinedRecord.Status.OPEN,
            choices=[*QuarantinedRecord.Status.values, "all"],
        )
        parser.add_argument("--reason", help="only this reason code")
        parser.add_argument("--source", help="only this source (by name)")
        parser.add_argument("--limit", type=int, default=50)
        parser.add_argument(
            "--width", type=int, default=100, help="characters of payload to show"
        )

    def handle(self, *args, **options):
        source = None
        if options["source"]:
            try:
                source = selectors.source_get(name=options["source"])
            except Source.DoesNotExist:
                raise CommandError(f"no source named {options['source']!r}") from None
        status = None if options["status"] == "all" else options["status"]
        records = selectors.quarantined_record_list(
            status=status, reason=options["reason"], source=source
        )
        counts = selectors.quarantine_reason_counts(status=status)
        total = sum(counts.values())
        summary = ", ".join(f"{reason} {n}" for reason, n in counts.items())
        self.stdout.write(
            f"{total} quarantined ({options['status']}): {summary or '-'}"
        )
        width = options["width"]
        for record in records[: options["limit"]]:
            payload = record.payload.replace("\n", " ")
            if len(payload) > width:
                payload = payload[: width - 1] + "…"
            self.stdout.write(
                f"#{record.pk} [{record.status}] {record.source or '-'} "
                f"{record.platform or '-'} {record.reason}: {record.detail}\n"
                f"    {payload}"
            )
