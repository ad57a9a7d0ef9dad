"""Alert emails (issue 8): who is told about an alert, what they are told, and the
service that sends it once.

An alert goes to the members of its program whose role acts on it (``ALERT_ROLES``):
score drift and critical findings to the medical, legal and regulatory reviewers,
adverse-event clocks to the pharmacovigilance officers, new payments to the legal
reviewers; admins get every kind. Members without an email address are skipped (and
logged). The message is plain text with a link to the case (or the AE case, or the
program) built on ``settings.SITE_URL``. The backend is Django's (``EMAIL_BACKEND``:
console by default, SMTP from the environment).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from vetting.constants import (
    ROLE_ADMIN,
    ROLE_LEGAL,
    ROLE_MEDICAL,
    ROLE_PHARMACOVIGILANCE,
    ROLE_REGULATORY,
)
from vetting.models import Alert

logger = logging.getLogger(__name__)

REVIEWERS = (ROLE_MEDICAL, ROLE_LEGAL, ROLE_REGULATORY, ROLE_ADMIN)
ALERT_ROLES: dict[str, tuple[str, ...]] = {
    Alert.Kind.SCORE_DRIFT: REVIEWERS,
    Alert.Kind.CRITICAL_FINDING: REVIEWERS,
    Alert.Kind.AE_CLOCK: (ROLE_PHARMACOVIGILANCE, ROLE_ADMIN),
    Alert.Kind.NEW_PAYMENT: (ROLE_LEGAL, ROLE_ADMIN),
}
SUBJECT_PREFIX = "[PeerProof]"


def alert_recipients(alert: Alert) -> list[Any]:
    """Active members of the alert's program in a role that acts on its kind,
    ordered by username (one query). An alert without a program has none: it
    cannot be tied to a membership."""
    roles = ALERT_ROLES.get(alert.kind, ())
    if alert.program_id is None or not roles:
        return []
    return list(
        get_user_model()
        .objects.filter(
            programs=alert.program_id, is_active=True, groups__name__in=roles
        )
        .distinct()
        .order_by("username")
    )


def _absolute(name: str, **kwargs: Any) -> str:
    """``SITE_URL`` + the path of URL ``name`` ("" when it is not routed)."""
    try:
        return settings.SITE_URL + reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


def alert_links(alert: Alert) -> list[tuple[str, str]]:
    """``(label, absolute URL)`` of the pages to act on the alert from: its case,
    its adverse-event case, its program's dashboard and the program."""
    links = []
    if alert.case_id:
        links.append(
            ("Vetting case", _absolute("vetting:case-detail", pk=alert.case_id))
        )
    ae_case = (alert.detail or {}).get("ae_case")
    if isinstance(ae_case, int):
        links.append(("Adverse-event case", _absolute("review:ae-detail", pk=ae_case)))
    if alert.program_id:
        slug = alert.program.slug
        # the reports app owns the dashboard; named by URL, not imported
        links.append(
            ("Program dashboard", _absolute("reports:program-dashboard", slug=slug))
        )
        links.append(("Program", _absolute("vetting:program-detail", slug=slug)))
    return [(label, url) for label, url in links if url]


def alert_message(alert: Alert, recipients: list[Any]) -> EmailMessage:
    """The plain-text email about ``alert`` to ``recipients`` (who have an address)."""
    program = alert.program.name if alert.program_id else "no program"
    subject = (
        f"{SUBJECT_PREFIX} {alert.get_level_display()}: {alert.get_kind_display()}"
        f" · {program}"
    )
    lines = [
        f"{alert.get_kind_display()} ({alert.get_level_display().lower()}) in "
        f"{program}:",
        "",
        alert.message,
        "",
    ]
    links = alert_links(alert)
    if links:
        lines += [f"{label}: {url}" for label, url in links] + [""]
    lines += [
        f"Raised {alert.created_at:%Y-%m-%d %H:%M} UTC (alert {alert.pk}). "
        "Acknowledge it on the program's dashboard once it is handled.",
        "",
        "You receive this because you are a member of the program in a role that "
        "acts on this kind of alert.",
    ]
    return EmailMessage(
        subject=subject[:200],
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email for user in recipients],
        headers={"X-PeerProof-Alert": str(alert.pk)},
    )


def alert_email_send(*, alert_id: int) -> int:
    """Email the alert to its recipients once and set ``Alert.emailed_at``.

    Idempotent: the alert row is locked (``SELECT ... FOR UPDATE``) while the email
    is sent, and an alert with ``emailed_at`` set, or gone, is left alone, so two
    deliveries of the task never send two emails. A send error rolls back (the alert
    stays unsent, for a retry). Recipients without an address are skipped and logged;
    with nobody to tell, nothing is sent and ``emailed_at`` stays empty. Returns the
    number of addresses the email went to.
    """
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update(of=("self",))
            .select_related("program")
            .filter(pk=alert_id)
            .first()
        )
        if alert is None or alert.emailed_at is not None:
            return 0
        recipients = alert_recipients(alert)
        skipped = [user.username for user in recipients if not user.email]
        if skipped:
            logger.warning(
                "alert %s: no email address for %s; not emailed to them",
                alert.pk,
                ", ".join(skipped),
            )
        addressed = [user for user in recipients if user.email]
        if not addressed:
            logger.warning(
                "alert %s (%s, program %s): nobody to email",
                alert.pk,
                alert.kind,
                alert.program_id,
            )
            return 0
        alert_message(alert, addressed).send(fail_silently=False)
        alert.emailed_at = timezone.now()
        alert.save(update_fields=["emailed_at", "updated_at"])
    logger.info("alert %s emailed to %d address(es)", alert.pk, len(addressed))
    return len(addressed)
