"""Writes of the reports app: shortlists (an analyst's ranked, annotated candidates
with their scores frozen as they were when added) and export files.

Analysts and admins change shortlists; every member of the program reads them (and
anyone else gets a 404 from the selectors, before a service is reached). Any member
may export what they can see. Every change writes an audit event in the same
transaction (``audit.services.audit_record``, with the program).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.db.models.functions import Least
from django.http import Http404
from django.utils import timezone

from audit.services import audit_record
from common.roles import user_has_role
from reports import exports, selectors
from reports.models import Export, Shortlist, ShortlistMember
from reports.tasks import export_run as export_run_task
from vetting.constants import ROLE_ADMIN, ROLE_ANALYST
from vetting.discovery import latest_run_ids_for_user
from vetting.models import InfluencerScore, Program
from vetting.scoring.weights import COMPONENTS
from vetting.selectors import program_latest_run, programs_for_user

logger = logging.getLogger(__name__)

SHORTLIST_WRITER_ROLES = (ROLE_ANALYST, ROLE_ADMIN)
MEMBERS_ADD_MAX = 500
# what is copied of a score into ``ShortlistMember.frozen`` (with run id, as_of,
# contributions, authenticity flags and the compliance flags of that moment)
FROZEN_FIELDS = (
    *COMPONENTS,
    "composite",
    "rank",
    "specialty_rank",
    "gates_passed",
    "gate_failures",
    "authenticity_flagged",
    "followers",
    "specialty_code",
    "scoring_version",
)


# --- permissions -------------------------------------------------------------------


def shortlist_can_edit(user: Any) -> bool:
    """Whether ``user`` may change shortlists (analysts and admins; one query)."""
    return user_has_role(user, SHORTLIST_WRITER_ROLES)


def _require_writer(user: Any) -> None:
    if not shortlist_can_edit(user):
        raise PermissionDenied("Only analysts and admins change shortlists.")


def _require_member(user: Any, program: Program) -> None:
    if not programs_for_user(user).filter(pk=program.pk).exists():
        raise Http404("No such program.")


# --- shortlists ----------------------------------------------------------------------


def _shortlist_state(shortlist: Shortlist) -> dict[str, Any]:
    return {
        "name": shortlist.name,
        "description": shortlist.description,
        "program": shortlist.program_id,
        "owner": shortlist.owner_id,
    }


def shortlist_create(
    *, program: Program, name: str, user: Any, description: str = ""
) -> Shortlist:
    """A new, empty shortlist for ``program`` owned by ``user``."""
    _require_writer(user)
    _require_member(user, program)
    shortlist = Shortlist(
        program=program,
        name=(name or "").strip(),
        description=(description or "").strip(),
        owner=user,
    )
    shortlist.full_clean()
    with transaction.atomic():
        shortlist.save()
        audit_record(
            actor=user,
            action="shortlist.created",
            obj=shortlist,
            program_id=program.pk,
            after=_shortlist_state(shortlist),
        )
    return shortlist


def shortlist_rename(
    *, shortlist: Shortlist, user: Any, name: str, description: str | None = None
) -> Shortlist:
    """Change the name (and the description, when given)."""
    _require_writer(user)
    _require_member(user, shortlist.program)
    with transaction.atomic():
        shortlist = _locked(shortlist)
        before = _shortlist_state(shortlist)
        shortlist.name = (name or "").strip()
        if description is not None:
            shortlist.description = description.strip()
        shortlist.full_clean()
        shortlist.save()
        audit_record(
            actor=user,
            action="shortlist.renamed",
            obj=shortlist,
            program_id=shortlist.program_id,
            before=before,
            after=_shortlist_state(shortlist),
        )
    return shortlist


def shortlist_delete(*, shortlist: Shortlist, user: Any) -> None:
    """Delete the shortlist and its members. A shortlist that was exported is kept:
    an export row must name its shortlist (``export_shortlist_has_list``)."""
    _require_writer(user)
    _require_member(user, shortlist.program)
    with transaction.atomic():
        shortlist = _locked(shortlist)
        exported = Export.objects.filter(shortlist=shortlist).count()
        if exported:
            raise ValidationError(
                f"This shortlist was exported {exported} time"
                f"{'s' if exported != 1 else ''}; exported shortlists are kept as "
                "the record of what was exported. Remove its members or rename it."
            )
        before = _shortlist_state(shortlist) | {
            "members": list(
                shortlist.members.order_by("rank").values_list("account_id", flat=True)
            )
        }
        audit_record(
            actor=user,
            action="shortlist.deleted",
            obj=shortlist,
            program_id=shortlist.program_id,
            before=before,
        )
        shortlist.delete()


def _locked(shortlist: Shortlist) -> Shortlist:
    return (
        Shortlist.objects.select_for_update(of=("self",))
        .select_related("program")
        .get(pk=shortlist.pk)
    )


def _touch(shortlist: Shortlist) -> None:
    Shortlist.objects.filter(pk=shortlist.pk).update(updated_at=timezone.now())


def score_frozen(
    score: InfluencerScore, flags: selectors.FindingFlags | None = None
) -> dict[str, Any]:
    """A score as it is now, as JSON: every component, composite, ranks, gates,
    authenticity flag and flags, contributions, run id, scoring version, ``as_of``
    and the compliance flags of the account at this moment."""
    frozen: dict[str, Any] = {name: getattr(score, name) for name in FROZEN_FIELDS}
    frozen.update(
        score_id=score.pk,
        run_id=score.run_id,
        as_of=score.as_of.isoformat(),
        contributions=dict(score.contributions or {}),
        authenticity_flags=list(score.flags or []),
        findings=(flags or selectors.NO_FLAGS).as_dict(),
        frozen_at=timezone.now().isoformat(),
    )
    return frozen


@dataclass
class MembersAdded:
    """What ``shortlist_members_add`` did: the members added, and the accounts that
    were already on the list (left as they were)."""

    added: list[ShortlistMember] = field(default_factory=list)
    already: list[int] = field(default_factory=list)


def score_ids_parse(values: list[Any]) -> list[int]:
    """Score ids from a form or JSON (``["3", "4,5"]`` or ``[3, 4]``), de-duplicated
    in order. Raises ``ValidationError`` on anything else."""
    ids: list[int] = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit():
                raise ValidationError(f"“{part[:20]}” is not a candidate id.")
            if int(part) not in ids:
                ids.append(int(part))
    return ids


def shortlist_members_add(
    *, shortlist: Shortlist, score_ids: list[int], user: Any
) -> MembersAdded:
    """Add the candidates of ``score_ids`` (scores of the program's latest run) at
    the end of the list, each with its score frozen as it is now. Accounts already
    on the list are left alone. Scores of another program or an older run are
    refused (nothing is added)."""
    _require_writer(user)
    _require_member(user, shortlist.program)
    if not score_ids:
        raise ValidationError("Select at least one candidate to add.")
    if len(score_ids) > MEMBERS_ADD_MAX:
        raise ValidationError(
            f"Add at most {MEMBERS_ADD_MAX} candidates at a time "
            f"({len(score_ids)} selected)."
        )
    found = {
        score.pk: score
        for score in InfluencerScore.objects.filter(
            pk__in=score_ids, program=shortlist.program
        )
    }
    missing = [pk for pk in score_ids if pk not in found]
    if missing:
        raise ValidationError(
            f"{len(missing)} of the selected candidates "
            f"{'is' if len(missing) == 1 else 'are'} not in the program "
            f"{shortlist.program.name}; a shortlist holds candidates of one program."
        )
    run = program_latest_run(shortlist.program)
    stale = [pk for pk in score_ids if run is None or found[pk].run_id != run.pk]
    if stale:
        raise ValidationError(
            "Some selected scores are from an older scoring run; add candidates "
            "from the program's latest results."
        )
    flags = selectors.finding_flags_by_account(s.account_id for s in found.values())
    result = MembersAdded()
    with transaction.atomic():
        shortlist = _locked(shortlist)
        existing = set(shortlist.members.values_list("account_id", flat=True))
        rank = shortlist.members.count()
        for pk in score_ids:
            score = found[pk]
            if score.account_id in existing:
                result.already.append(score.account_id)
                continue
            rank += 1
            frozen = score_frozen(score, flags.get(score.account_id))
            member = ShortlistMember(
                shortlist=shortlist,
                account_id=score.account_id,
                clinician_id=score.clinician_id,
                rank=rank,
                added_by=user,
                frozen_run_id=score.run_id,
                frozen_composite=score.composite,
                frozen=frozen,
            )
            # the related rows were just read; the list was checked for the account
            member.full_clean(
                exclude=["shortlist", "account", "clinician", "added_by", "frozen_run"],
                validate_unique=False,
                validate_constraints=False,
            )
            member.save()
            existing.add(score.account_id)
            result.added.append(member)
            audit_record(
                actor=user,
                action="shortlist.member_added",
                obj=member,
                program_id=shortlist.program_id,
                after={
                    "shortlist": shortlist.pk,
                    "account": score.account_id,
                    "rank": rank,
                    "frozen_composite": score.composite,
                    "frozen_run": score.run_id,
                },
            )
        if result.added:
            _touch(shortlist)
    return result


def shortlist_create_with_members(
    *, program: Program, name: str, score_ids: list[int], user: Any
) -> tuple[Shortlist, MembersAdded]:
    """A new shortlist with the candidates of ``score_ids``, in one transaction."""
    with transaction.atomic():
        shortlist = shortlist_create(program=program, name=name, user=user)
        result = shortlist_members_add(
            shortlist=shortlist, score_ids=score_ids, user=user
        )
    return shortlist, result


def _members_in_order(shortlist: Shortlist) -> list[ShortlistMember]:
    return list(
        ShortlistMember.objects.filter(shortlist=shortlist).order_by("rank", "pk")
    )


def _renumber(members: list[ShortlistMember]) -> None:
    """Ranks 1..n in list order; only changed rows are written."""
    for index, member in enumerate(members, start=1):
        if member.rank != index:
            ShortlistMember.objects.filter(pk=member.pk).update(
                rank=index, updated_at=timezone.now()
            )
            member.rank = index


def shortlist_member_move(
    *,
    member: ShortlistMember,
    user: Any,
    direction: str = "",
    rank: int | None = None,
) -> ShortlistMember:
    """Move a member one place ``up`` or ``down``, or to ``rank`` (clamped to
    1..n). The other members shift; ranks stay 1..n without gaps."""
    _require_writer(user)
    if direction not in ("", "up", "down"):
        raise ValidationError("Move a member up or down, or give it a rank.")
    if not direction and rank is None:
        raise ValidationError("Give a direction (up or down) or a rank.")
    if rank is not None and rank < 1:
        raise ValidationError("A rank is 1 or more.")
    with transaction.atomic():
        shortlist = _locked(member.shortlist)
        _require_member(user, shortlist.program)
        members = _members_in_order(shortlist)
        current = next((m for m in members if m.pk == member.pk), None)
        if current is None:
            raise Http404("No such member.")
        before = members.index(current) + 1
        if direction == "up":
            target = before - 1
        elif direction == "down":
            target = before + 1
        else:
            target = int(rank)
        target = min(max(target, 1), len(members))
        members.remove(current)
        members.insert(target - 1, current)
        _renumber(members)
        if target != before:
            _touch(shortlist)
            audit_record(
                actor=user,
                action="shortlist.member_moved",
                obj=current,
                program_id=shortlist.program_id,
                before={"rank": before},
                after={"rank": target, "shortlist": shortlist.pk},
            )
    current.refresh_from_db()
    return current


def shortlist_member_annotate(
    *, member: ShortlistMember, user: Any, note: str
) -> ShortlistMember:
    """Set the member's note (empty clears it)."""
    _require_writer(user)
    with transaction.atomic():
        shortlist = _locked(member.shortlist)
        _require_member(user, shortlist.program)
        member = ShortlistMember.objects.select_for_update().get(pk=member.pk)
        before = member.note
        member.note = (note or "").strip()
        member.full_clean(
            exclude=["shortlist", "account", "clinician", "added_by", "frozen_run"],
            validate_unique=False,
            validate_constraints=False,
        )
        if member.note != before:
            member.save(update_fields=["note", "updated_at"])
            _touch(shortlist)
            audit_record(
                actor=user,
                action="shortlist.member_annotated",
                obj=member,
                program_id=shortlist.program_id,
                before={"note": before},
                after={"note": member.note, "shortlist": shortlist.pk},
            )
    return member


def shortlist_member_remove(*, member: ShortlistMember, user: Any) -> None:
    """Take a member off the list; the members below move up one place."""
    _require_writer(user)
    with transaction.atomic():
        shortlist = _locked(member.shortlist)
        _require_member(user, shortlist.program)
        members = _members_in_order(shortlist)
        current = next((m for m in members if m.pk == member.pk), None)
        if current is None:
            raise Http404("No such member.")
        audit_record(
            actor=user,
            action="shortlist.member_removed",
            obj=current,
            program_id=shortlist.program_id,
            before={
                "shortlist": shortlist.pk,
                "account": current.account_id,
                "rank": current.rank,
                "note": current.note,
                "frozen_composite": current.frozen_composite,
            },
        )
        current.delete()
        members.remove(current)
        _renumber(members)
        _touch(shortlist)


# --- exports -------------------------------------------------------------------------


def _export_state(export: Export) -> dict[str, Any]:
    return {
        "kind": export.kind,
        "format": export.format,
        "filters": export.filters,
        "program": export.program_id,
        "shortlist": export.shortlist_id,
        "rows_total": export.rows_total,
    }


def discovery_query_clean(query: Any) -> dict[str, list[str]]:
    """The discovery parameters of ``query`` (a QueryDict or a dict of a string or
    a list of strings per key), the other keys dropped."""
    cleaned: dict[str, list[str]] = {}
    for key in selectors.discovery_filter_keys():
        if hasattr(query, "getlist"):
            values = query.getlist(key)
        else:
            values = query.get(key) if isinstance(query, dict) else None
            if values is None:
                values = []
            elif isinstance(values, str | int | float | bool):
                values = [values]
        # PostgreSQL text cannot hold NUL; a filter value is short
        values = [str(v).replace("\x00", "")[:200] for v in values]
        values = [v for v in values if v != ""]
        if values:
            cleaned[key] = values
    return cleaned


def export_create(
    *,
    user: Any,
    kind: str,
    file_format: str,
    query: Any = None,
    shortlist: Shortlist | None = None,
) -> Export:
    """Record an export and produce it: at once when it has at most
    ``EXPORT_INLINE_MAX_ROWS`` rows (the returned export has succeeded or failed),
    else queued as a task after commit (the export is pending).

    Discovery exports take the page's query parameters and are pinned to the
    latest runs of the user's programs at this moment; a shortlist export takes
    a shortlist the caller fetched for the user."""
    if file_format not in Export.Format.values:
        raise ValidationError("Choose CSV or XLSX.")
    if kind == Export.Kind.SHORTLIST:
        if shortlist is None:
            raise ValidationError("Choose the shortlist to export.")
        _require_member(user, shortlist.program)
        export = Export(
            kind=kind,
            format=file_format,
            filters={"shortlist": shortlist.pk},
            program=shortlist.program,
            shortlist=shortlist,
            requested_by=user,
        )
    elif kind == Export.Kind.DISCOVERY:
        cleaned = discovery_query_clean(query or {})
        program = None
        if cleaned.get("program"):
            program = programs_for_user(user).filter(slug=cleaned["program"][0]).first()
        export = Export(
            kind=kind,
            format=file_format,
            filters={"query": cleaned, "run_ids": latest_run_ids_for_user(user)},
            program=program,
            requested_by=user,
        )
    else:
        raise ValidationError("Export discovery results or a shortlist.")
    export.full_clean()
    with transaction.atomic():
        export.save()
        export.rows_total = exports.export_source(export).total
        export.save(update_fields=["rows_total", "updated_at"])
        audit_record(
            actor=user,
            action="export.created",
            obj=export,
            program_id=export.program_id,
            after=_export_state(export),
        )
        inline = export.rows_total <= settings.EXPORT_INLINE_MAX_ROWS
        if not inline:
            export_id = export.pk
            transaction.on_commit(lambda: export_run_task.delay(export_id=export_id))
    if inline:
        try:
            export = export_run(export_id=export.pk)
        except Exception as exc:  # the row says why; the page shows it
            logger.exception("export %s failed", export.pk)
            export_fail(export_id=export.pk, error=f"{type(exc).__name__}: {exc}")
            export.refresh_from_db()
    return export


def export_path(export: Export) -> Path:
    """Where the export's file is (under ``MEDIA_ROOT``)."""
    return Path(settings.MEDIA_ROOT) / export.file.name


def _file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def export_run(
    *, export_id: int, chunk_rows: int = exports.CHUNK_ROWS
) -> Export | None:
    """Write the export's file: claim it (pending, or running again after a worker
    died), stream the rows into ``MEDIA_ROOT/exports/`` (a ``.part`` file renamed
    when complete) writing ``rows_done`` after every ``chunk_rows`` rows, then
    store the size and SHA-256. A data error marks the export FAILED; a database
    connection error is left to the task to retry. Returns the export (None when
    it is gone)."""
    now = timezone.now()
    claimed = Export.objects.filter(
        pk=export_id, status__in=[Export.Status.PENDING, Export.Status.RUNNING]
    ).update(
        status=Export.Status.RUNNING,
        started_at=now,
        rows_done=0,
        error="",
        updated_at=now,
    )
    export = (
        Export.objects.select_related("requested_by", "shortlist__program", "program")
        .filter(pk=export_id)
        .first()
    )
    if not claimed or export is None:
        return export
    folder = Path(settings.MEDIA_ROOT) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    name = f"export-{export.pk}-{export.kind}-{stamp}.{export.format}"
    part = folder / f".{name}.{uuid.uuid4().hex[:8]}.part"
    try:
        source = exports.export_source(export, chunk_rows=chunk_rows)
        Export.objects.filter(pk=export.pk).update(rows_total=source.total)

        def progress(done: int) -> None:
            Export.objects.filter(pk=export.pk).update(
                rows_done=Least(done, F("rows_total")), updated_at=timezone.now()
            )

        written = exports.WRITERS[export.format](
            part, source, progress=progress, every=chunk_rows
        )
        sha256, size = _file_digest(part)
        part.replace(folder / name)
    except (OperationalError, InterfaceError):
        part.unlink(missing_ok=True)
        raise
    except Exception as exc:
        part.unlink(missing_ok=True)
        export_fail(export_id=export.pk, error=f"{type(exc).__name__}: {exc}")
        raise
    with transaction.atomic():
        Export.objects.filter(pk=export.pk).update(
            status=Export.Status.SUCCEEDED,
            file=f"exports/{name}",
            size_bytes=size,
            sha256=sha256,
            rows_total=written,
            rows_done=written,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        export.refresh_from_db()
        audit_record(
            actor=export.requested_by,
            action="export.completed",
            obj=export,
            program_id=export.program_id,
            after={
                "rows": written,
                "file": export.file.name,
                "size_bytes": size,
                "sha256": sha256,
            },
        )
    return export


def export_fail(*, export_id: int, error: str) -> None:
    """Mark a pending or running export FAILED with ``error``."""
    Export.objects.filter(
        pk=export_id, status__in=[Export.Status.PENDING, Export.Status.RUNNING]
    ).update(
        status=Export.Status.FAILED,
        error=error[:4000],
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


def export_download_record(*, export: Export, user: Any) -> None:
    """Audit one download of the export's file."""
    with transaction.atomic():
        audit_record(
            actor=user,
            action="export.downloaded",
            obj=export,
            program_id=export.program_id,
            after={"sha256": export.sha256, "file": export.file.name},
        )
