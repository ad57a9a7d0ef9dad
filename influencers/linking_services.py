"""Writes for identity resolution: link social accounts to clinicians, and record a
reviewer's confirm / reject.

The matching itself is pure code in ``influencers.linking``; these services build its
inputs from the database and write its answers back to ``SocialAccount``'s link fields.
Every change of link keeps the previous one in ``link_evidence["history"]``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from influencers.linking import (
    AccountInput,
    ClinicianInput,
    LinkResult,
    Taxonomy,
    accounts_match,
    clinician_index_build,
)
from influencers.models import Clinician, ClinicianTaxonomy, SocialAccount

BATCH_SIZE = 2000
HISTORY_KEPT = 50
DECISIONS = ("confirm", "reject")
_LINK_FIELDS = ["clinician", "link_method", "link_confidence", "link_evidence"]
_REVIEW_FIELDS = [*_LINK_FIELDS, "link_status", "link_reviewed_by", "link_reviewed_at"]
_NON_LINK_FIELDS = [
    f.name
    for f in SocialAccount._meta.concrete_fields
    if f.name not in _REVIEW_FIELDS and f.name != "id"
]


@dataclass
class LinkReport:
    """What one ``accounts_link`` run did."""

    accounts: int = 0  # unreviewed, non-manual accounts matched
    linked: int = 0  # of which now linked to a clinician
    by_method: dict[str, int] = field(default_factory=dict)
    new_links: int = 0  # linked now, not linked before
    relinked: int = 0  # linked before to another clinician
    unlinked: int = 0  # linked before, not now
    updated: int = 0  # rows written (the three above, and confidence or evidence)
    unchanged: int = 0
    skipped_reviewed: int = 0  # confirmed, rejected or manual links left alone
    clinicians: int = 0  # size of the index
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        methods = ", ".join(f"{m} {n}" for m, n in sorted(self.by_method.items()))
        return (
            f"{self.accounts} accounts matched against {self.clinicians} clinicians: "
            f"{self.linked} linked ({methods or 'none'}); {self.new_links} new, "
            f"{self.relinked} relinked, {self.unlinked} unlinked, {self.updated} rows "
            f"updated, {self.unchanged} unchanged; {self.skipped_reviewed} reviewed or "
            f"manual links left alone; {self.seconds:.1f} s"
        )


def clinician_inputs() -> Iterator[ClinicianInput]:
    """Every clinician as the matcher reads it: names, credential, taxonomies (primary
    first, as NUCC words), licences and practice place. Two queries, streamed."""
    taxonomies: dict[int, list[Taxonomy]] = {}
    licenses: dict[int, list[tuple[str, str]]] = {}
    rows = (
        ClinicianTaxonomy.objects.order_by("clinician_id", "-is_primary", "position")
        .values_list(
            "clinician_id",
            "specialty__classification",
            "specialty__specialization",
            "license_state",
            "license_number",
        )
        .iterator(chunk_size=10000)
    )
    for clinician_id, classification, specialization, state, number in rows:
        if classification:
            taxonomies.setdefault(clinician_id, []).append(
                Taxonomy.of(classification, specialization or "")
            )
        if number:
            licenses.setdefault(clinician_id, []).append((state, number))
    fields = (
        "id",
        "npi",
        "first_name",
        "last_name",
        "middle_name",
        "credential",
        "entity_type",
        "organization_name",
        "license_state",
        "license_number",
        "practice_city",
        "practice_state",
        "primary_specialty__classification",
        "primary_specialty__specialization",
    )
    for row in Clinician.objects.values(*fields).iterator(chunk_size=10000):
        own_taxonomies = taxonomies.get(row["id"], [])
        if not own_taxonomies and row["primary_specialty__classification"]:
            own_taxonomies = [
                Taxonomy.of(
                    row["primary_specialty__classification"],
                    row["primary_specialty__specialization"] or "",
                )
            ]
        own_licenses = licenses.get(row["id"], [])
        if row["license_number"] and not own_licenses:
            own_licenses = [(row["license_state"], row["license_number"])]
        yield ClinicianInput(
            key=row["id"],
            npi=row["npi"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            middle_name=row["middle_name"],
            credential=row["credential"],
            entity_type=row["entity_type"],
            organization_name=row["organization_name"],
            taxonomies=tuple(own_taxonomies),
            licenses=tuple(own_licenses),
            practice_city=row["practice_city"],
            practice_state=row["practice_state"],
        )


def _matchable_accounts():
    """Accounts the matcher may (re)link: unreviewed, and not linked by hand."""
    return SocialAccount.objects.filter(
        link_status=SocialAccount.LinkStatus.UNREVIEWED
    ).exclude(link_method=SocialAccount.LinkMethod.MANUAL)


def accounts_link(*, account_ids: list[int] | None = None) -> LinkReport:
    """Link unreviewed accounts (all, or ``account_ids``) to clinicians.

    Steps: build the clinician index (NPI, licence, last name + initial); read the
    accounts in batches of ``BATCH_SIZE`` by id; match each batch (pure); then, per
    batch in one transaction, lock the rows that are still unreviewed and not manual
    and write only those whose clinician, method, confidence or evidence changed
    (``bulk_update``). A previous link that is replaced or removed is kept in
    ``link_evidence["history"]``. Confirmed, rejected and manual links are never
    touched. Idempotent: a second run over the same data writes nothing.
    """
    started = time.perf_counter()
    report = LinkReport()
    index = clinician_index_build(clinician_inputs())
    report.clinicians = len(index)
    npi_of = {clin.input.key: npi for npi, clin in index.by_npi.items()}
    scope = SocialAccount.objects.all()
    if account_ids is not None:
        scope = scope.filter(pk__in=account_ids)
    report.skipped_reviewed = scope.count() - _in_scope(account_ids).count()
    methods: Counter = Counter()
    last_id = 0
    while True:
        batch = list(
            _in_scope(account_ids)
            .filter(pk__gt=last_id)
            .order_by("pk")
            .values("id", "handle", "display_name", "bio", "url", "platform")[
                :BATCH_SIZE
            ]
        )
        if not batch:
            break
        last_id = batch[-1]["id"]
        results = accounts_match(
            (
                AccountInput(
                    key=row["id"],
                    handle=row["handle"],
                    display_name=row["display_name"],
                    bio=row["bio"],
                    url=row["url"],
                    platform=row["platform"],
                )
                for row in batch
            ),
            index,
        )
        _batch_write(results, npi_of, report)
        for result in results:
            report.accounts += 1
            if result.linked:
                report.linked += 1
                methods[result.method] += 1
    report.by_method = dict(sorted(methods.items()))
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _in_scope(account_ids: list[int] | None):
    queryset = _matchable_accounts()
    if account_ids is not None:
        queryset = queryset.filter(pk__in=account_ids)
    return queryset


def _link_snapshot(account: SocialAccount, npi_of: dict[Any, str]) -> dict[str, Any]:
    """The current link of ``account`` as a history entry (without its history)."""
    evidence = {
        k: v for k, v in (account.link_evidence or {}).items() if k != "history"
    }
    return {
        "npi": npi_of.get(account.clinician_id, "") if account.clinician_id else "",
        "method": account.link_method,
        "confidence": account.link_confidence,
        "status": account.link_status,
        "reviewed_by": account.link_reviewed_by_id,
        "reviewed_at": account.link_reviewed_at.isoformat()
        if account.link_reviewed_at
        else None,
        "evidence": evidence,
    }


def _batch_write(
    results: list[LinkResult], npi_of: dict[Any, str], report: LinkReport
) -> None:
    by_id = {result.account_key: result for result in results}
    now_dt = timezone.now()
    now = now_dt.isoformat()
    with transaction.atomic():
        # Lock and re-check: a reviewer may have decided since the batch was read.
        locked = (
            _matchable_accounts()
            .select_for_update(of=("self",))
            .filter(pk__in=list(by_id))
            .only(*_REVIEW_FIELDS, "updated_at")
        )
        changed = []
        for account in locked:
            result = by_id[account.pk]
            history = list((account.link_evidence or {}).get("history", []))
            evidence = dict(result.evidence)
            if set(evidence) <= {"matcher_version"}:
                evidence = {}  # nothing seen: keep the row as it was ({}), if it was
            same = (
                account.clinician_id == result.clinician_key
                and account.link_method == (result.method or "")
                and account.link_confidence == result.confidence
                and {k: v for k, v in account.link_evidence.items() if k != "history"}
                == evidence
            )
            if same:
                report.unchanged += 1
                continue
            if account.clinician_id and account.clinician_id != result.clinician_key:
                history.append(
                    {
                        **_link_snapshot(account, npi_of),
                        "replaced_at": now,
                        "by": "matcher",
                    }
                )
                if result.clinician_key is None:
                    report.unlinked += 1
                else:
                    report.relinked += 1
            elif not account.clinician_id and result.clinician_key is not None:
                report.new_links += 1
            if history:
                evidence["history"] = history[-HISTORY_KEPT:]
            account.clinician_id = result.clinician_key
            account.link_method = result.method or ""
            account.link_confidence = result.confidence
            account.link_evidence = evidence
            account.updated_at = now_dt
            # Only the link fields are ours; the rest belongs to ingestion, and a
            # per-row foreign-key query for 100K rows is what bulk_update avoids (the
            # clinician ids come from the database a moment ago).
            account.clean_fields(exclude=[*_NON_LINK_FIELDS, "clinician"])
            changed.append(account)
        SocialAccount.objects.bulk_update(
            changed, [*_LINK_FIELDS, "updated_at"], batch_size=500
        )
        report.updated += len(changed)


def account_link_decide(
    *,
    account: SocialAccount,
    user: Any,
    decision: str,
    note: str = "",
    clinician: Clinician | None = None,
) -> SocialAccount:
    """A reviewer's decision on an account's link; returns the updated account.

    - ``confirm`` the current link, or, with ``clinician`` (another clinician than
      the linked one), link by hand: method ``manual``, confidence 1.0.
    - ``reject`` the current link (a ``note`` saying why is required); the account
      keeps the rejected clinician so the rejection stays on record, and neither the
      matcher nor the identity gate will ever use that link.
    Sets ``link_status``, ``link_reviewed_by`` and ``link_reviewed_at``; the previous
    link goes to ``link_evidence["history"]`` with the decision and the note. Raises
    ``ValidationError`` for an unknown decision, a reject without a note, or nothing to
    confirm or reject. One transaction, row locked, ending with a ``link.confirmed``
    or ``link.rejected`` audit event (the link fields before and after). Not
    idempotent: each call is one decision in the history and one audit event.
    """
    note = (note or "").strip()
    if decision not in DECISIONS:
        raise ValidationError(
            {"decision": f"decision must be one of {', '.join(DECISIONS)}"}
        )
    if decision == "reject" and not note:
        raise ValidationError({"note": "say why the link is rejected"})
    with transaction.atomic():
        locked = (
            SocialAccount.objects.select_for_update(of=("self",))
            .select_related("clinician", "link_reviewed_by")
            .get(pk=account.pk)
        )
        previous_npi = locked.clinician.npi if locked.clinician else ""
        before = _link_audit_state(locked, previous_npi)
        manual = clinician is not None and clinician.pk != locked.clinician_id
        if decision == "reject" and manual:
            raise ValidationError(
                {
                    "clinician": "a rejection concerns the current link; link by hand "
                    "with a confirm decision"
                }  # fmt: skip
            )
        if not manual and locked.clinician_id is None:
            raise ValidationError(
                {
                    "clinician": f"the account has no link to {decision}; give a clinician"
                }
            )
        now = timezone.now()
        review = {
            "decision": decision,
            "note": note,
            "by": user.pk,
            "by_username": user.get_username(),
            "at": now.isoformat(),
        }
        evidence = dict(locked.link_evidence or {})
        history = list(evidence.pop("history", []))
        history.append(
            {**_link_snapshot(locked, {locked.clinician_id: previous_npi}), **review}
        )
        if manual:
            evidence = {"manual": True, "npi": clinician.npi}
            locked.clinician = clinician
            locked.link_method = SocialAccount.LinkMethod.MANUAL
            locked.link_confidence = 1.0
        evidence["review"] = review
        evidence["history"] = history[-HISTORY_KEPT:]
        locked.link_evidence = evidence
        locked.link_status = (
            SocialAccount.LinkStatus.CONFIRMED
            if decision == "confirm"
            else SocialAccount.LinkStatus.REJECTED
        )
        locked.link_reviewed_by = user
        locked.link_reviewed_at = now
        # The ingest-owned fields are validated by ingestion; a reviewer's decision
        # must not fail on them.
        locked.full_clean(exclude=_NON_LINK_FIELDS)
        locked.save(update_fields=[*_REVIEW_FIELDS, "updated_at"])
        audit_record(
            actor=user,
            action="link.confirmed" if decision == "confirm" else "link.rejected",
            obj=locked,
            before=before,
            after=_link_audit_state(
                locked, locked.clinician.npi if locked.clinician else ""
            ),
            reason=note,
        )
    return locked


def _link_audit_state(account: SocialAccount, npi: str) -> dict[str, Any]:
    """An account's link as the audit trail records it (not the evidence history)."""
    reviewer = account.link_reviewed_by if account.link_reviewed_by_id else None
    return {
        "clinician_id": account.clinician_id,
        "clinician_npi": npi,
        "link_method": account.link_method,
        "link_confidence": account.link_confidence,
        "link_status": account.link_status,
        "link_reviewed_by": reviewer.get_username() if reviewer else None,
        "link_reviewed_at": account.link_reviewed_at,
    }
