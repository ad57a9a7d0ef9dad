"""What a reference-data or ingest loader reports back: counts and rejected rows.

A loader never stops at a bad row: it records the file, the line and the reason in a
``LoadReport`` and carries on, so the rest of the file lands.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

MAX_ERRORS_KEPT = 200


@dataclass
class RowError:
    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.reason}"


@dataclass
class LoadReport:
    """Counts of one loader run over one or more files."""

    loader: str
    source: str = ""
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def reject(self, *, file: str, line: int | None, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(RowError(file=file, line=line, reason=reason))

    def merge(self, other: LoadReport) -> None:
        for name in (
            "received",
            "created",
            "updated",
            "unchanged",
            "skipped",
            "rejected",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        room = MAX_ERRORS_KEPT - len(self.errors)
        self.errors.extend(other.errors[: max(room, 0)])
        self.notes.extend(other.notes)

    def summary(self) -> str:
        return (
            f"{self.loader}: received {self.received}, created {self.created}, "
            f"updated {self.updated}, unchanged {self.unchanged}, skipped {self.skipped}, "
            f"rejected {self.rejected}"
        )

    def as_dict(self) -> dict:
        data = asdict(self)
        data["errors"] = [str(e) for e in self.errors]
        return data


def load_report_write(report: LoadReport, *, stdout, stderr) -> None:
    """Print a loader's report the way every loader command does: the summary and the
    notes to ``stdout``, each rejected row as ``file:line: reason`` to ``stderr`` (the
    report keeps the first rejected rows only, so the rest are counted)."""
    stdout.write(report.summary())
    for note in report.notes:
        stdout.write(f"note: {note}")
    for error in report.errors:
        stderr.write(str(error))
    if report.rejected > len(report.errors):
        stderr.write(
            f"... and {report.rejected - len(report.errors)} more rejected row(s)"
        )
