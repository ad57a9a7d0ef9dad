"""Writes for the vetting app: users and their roles (DESIGN 7), programs and
scoring runs (DESIGN 5)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from vetting.constants import (
    DEMO_MEMBERSHIP_LIMITS,
    DEMO_USERS,
    ROLE_ADMIN,
    ROLES,
    demo_password,
)
from vetting.models import Program, ScoringRun
from vetting.scoring.weights import COMPONENTS, DEFAULT_WEIGHTS, SCORING_VERSION

# Demo users carry an address in this reserved (RFC 2606) domain, so they can be told
# apart from a real account that happens to be called "admin" (see vetting.checks).
DEMO_EMAIL_DOMAIN = "demo.peerproof.invalid"


def roles_ensure() -> None:
    """Make sure the six role groups exist (one query). Idempotent.

    The data migration creates them; this puts them back where a database was emptied
    after migrating (a transactional test's flush, a restored dump without auth rows).
    """
    Group.objects.bulk_create(
        [Group(name=name) for name in ROLES], ignore_conflicts=True
    )


def _role_group(role: str) -> Group:
    if role not in ROLES:
        raise ValidationError(
            {"role": f"Unknown role {role!r}; use one of: {', '.join(ROLES)}."}
        )
    try:
        return Group.objects.get(name=role)
    except Group.DoesNotExist:
        # The groups come from vetting/migrations/0001_roles.py.
        raise ValidationError(
            {"role": f"The group {role!r} is missing: run `manage.py migrate`."}
        ) from None


def _role_set(*, user: AbstractUser, group: Group) -> bool:
    """Make ``group`` the user's only role group (other groups are left alone).

    Returns whether membership changed.
    """
    current = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    if current == {group.name}:
        return False
    user.groups.remove(*Group.objects.filter(name__in=current - {group.name}))
    user.groups.add(group)
    return True


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    is_staff: bool | None = None,
    is_superuser: bool = False,
) -> AbstractUser:
    """Create a real (non-demo) user with one role and a validated password.

    The role must be one of ``vetting.constants.ROLES``; the password goes through
    ``AUTH_PASSWORD_VALIDATORS``. ``is_staff`` defaults to true only for the admin role.
    Raises ``ValidationError`` (nothing is written) on a bad role, a taken username or
    a weak password. Not idempotent: a second call with the same username fails.
    """
    group = _role_group(role)
    if username in DEMO_USERS and password == demo_password(username):
        raise ValidationError(
            {"password": "The published demo password is not allowed."}
        )
    user_model = get_user_model()
    user = user_model(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_staff=(role == ROLE_ADMIN) if is_staff is None else is_staff,
        is_superuser=is_superuser,
    )
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    user.groups.add(group)
    password_validation.password_changed(password, user)
    return user


@dataclass(frozen=True)
class DemoUserResult:
    username: str
    role: str
    password: str
    status: str  # "created", "updated" or "unchanged"


@transaction.atomic
def demo_users_ensure() -> list[DemoUserResult]:
    """Create or update one demo user per role from ``DEMO_USERS``. Idempotent.

    Each user gets the demo password, its role group (and no other role group), its
    name and a ``@demo.peerproof.invalid`` address; ``admin`` is also staff and
    superuser. Rows already in that state are left untouched (``unchanged``). The demo
    passwords skip the password validators on purpose, and ``vetting.auth`` refuses
    them whenever ``DEMO_USERS_ALLOWED`` is off.
    """
    user_model = get_user_model()
    existing = {
        user.username: user
        for user in user_model.objects.filter(username__in=DEMO_USERS)
    }
    results = []
    for username, (role, full_name) in DEMO_USERS.items():
        group = _role_group(role)
        first_name, _, last_name = full_name.rpartition(" ")
        wanted = {
            "first_name": first_name,
            "last_name": last_name,
            "email": f"{username}@{DEMO_EMAIL_DOMAIN}",
            "is_active": True,
            "is_staff": role == ROLE_ADMIN,
            "is_superuser": role == ROLE_ADMIN,
        }
        password = demo_password(username)
        user = existing.get(username)
        if user is None:
            user = user_model(username=username, **wanted)
            user.set_password(password)
            user.full_clean()
            user.save()
            user.groups.add(group)
            status = "created"
        else:
            changed = [
                name for name, value in wanted.items() if getattr(user, name) != value
            ]
            for name in changed:
                setattr(user, name, wanted[name])
            # check_password() costs one hash; set_password() would re-salt the hash
            # and rewrite the row on every run.
            if not user.check_password(password):
                user.set_password(password)
                changed.append("password")
            if changed:
                user.full_clean()
                user.save(update_fields=changed)
            role_changed = _role_set(user=user, group=group)
            status = "updated" if changed or role_changed else "unchanged"
        results.append(
            DemoUserResult(
                username=username, role=role, password=password, status=status
            )
        )
    return results


# --- programs -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramSpec:
    slug: str
    name: str
    area: str
    products: tuple[str, ...]
    specialties: tuple[str, ...]
    description: str


DEMO_PROGRAMS = (
    ProgramSpec(
        "eliquis-afib-2025",
        "ELIQUIS: anticoagulation educators",
        "anticoagulation",
        ("ELIQUIS",),
        (
            "207RC0000X",
            "207RH0003X",
            "207RX0202X",
            "207R00000X",
            "207Q00000X",
            "183500000X",
        ),
        "Clinicians who teach peers about stroke prevention in atrial fibrillation "
        "and VTE treatment, for a medical-education programme on apixaban.",
    ),
    ProgramSpec(
        "humira-immunology-2025",
        "HUMIRA: immunology voices",
        "immunology",
        ("HUMIRA",),
        (
            "207RR0500X",
            "207RG0100X",
            "207N00000X",
            "207R00000X",
            "207Q00000X",
            "183500000X",
        ),
        "Rheumatologists, gastroenterologists and dermatologists with credibility "
        "on biologic therapy, for an advisory and peer-education programme.",
    ),
    ProgramSpec(
        "lipitor-lipids-2025",
        "LIPITOR: lipid management",
        "lipids",
        ("LIPITOR",),
        (
            "207RC0000X",
            "207RE0101X",
            "207R00000X",
            "207Q00000X",
            "183500000X",
            "363LF0000X",
            "363L00000X",
            "363A00000X",
        ),
        "Primary-care and cardiometabolic clinicians, pharmacists and NPs who "
        "discuss cholesterol and statin therapy with peers.",
    ),
)


def program_upsert(
    *,
    slug: str,
    name: str,
    area_slug: str,
    product_brands: Iterable[str] = (),
    specialty_codes: Iterable[str] = (),
    description: str = "",
    window_end: datetime | None = None,
    members: Iterable = (),
) -> Program:
    """Create or update a program by slug (idempotent)."""
    from compliance.models import Product
    from influencers.models import Specialty, TherapeuticArea

    area = TherapeuticArea.objects.get(slug=area_slug)
    with transaction.atomic():
        program = Program.objects.filter(slug=slug).first() or Program(slug=slug)
        program.name = name
        program.description = description
        program.therapeutic_area = area
        program.window_end = window_end
        program.full_clean()
        program.save()
        brands = [b.upper() for b in product_brands]
        program.products.set(
            [p for p in Product.objects.all() if p.brand_name.upper() in brands]
        )
        program.target_specialties.set(
            Specialty.objects.filter(code__in=list(specialty_codes))
        )
        if members:
            program.members.add(*members)
    return program


def therapeutic_areas_ensure():
    """Load the bundled therapeutic areas when none are loaded yet (the demo's
    programs need them); returns the load report, or None when present."""
    from influencers.loaders.therapeutic_areas import therapeutic_areas_load
    from influencers.models import TherapeuticArea

    if TherapeuticArea.objects.exists():
        return None
    return therapeutic_areas_load(
        path=Path(settings.BASE_DIR) / "fixtures/programs/therapeutic_areas.json"
    )


def demo_programs_ensure(*, window_end: datetime | None) -> list[Program]:
    """The three demo programs (ELIQUIS, HUMIRA, LIPITOR) with every demo user as a
    member (except those ``DEMO_MEMBERSHIP_LIMITS`` keeps to some programs), their
    window ending where the demo world's does."""
    User = get_user_model()
    users = list(User.objects.filter(username__in=list(DEMO_USERS)))
    return [
        program_upsert(
            slug=spec.slug,
            name=spec.name,
            area_slug=spec.area,
            product_brands=spec.products,
            specialty_codes=spec.specialties,
            description=spec.description,
            window_end=window_end,
            members=[
                user
                for user in users
                if spec.slug in DEMO_MEMBERSHIP_LIMITS.get(user.username, (spec.slug,))
            ],
        )
        for spec in DEMO_PROGRAMS
    ]


def program_params(program: Program, *, now: datetime | None = None):
    """The program as ``ScoringParams`` (window from ``window_end`` or now)."""
    from vetting.scoring.frames import ScoringParams

    end = program.window_end or (now or timezone.now())
    codes = tuple(sorted(program.target_specialties.values_list("code", flat=True)))
    classes = tuple(
        sorted(
            {
                c
                for c in program.target_specialties.values_list(
                    "classification", flat=True
                )
                if c
            }
        )
    )
    weights = {c: float(program.weights.get(c, DEFAULT_WEIGHTS[c])) for c in COMPONENTS}
    return ScoringParams(
        window_start=end - timedelta(days=program.window_days),
        window_end=end,
        target_specialties=codes,
        target_classifications=classes,
        platforms=tuple(program.platforms or ()),
        follower_min=program.follower_min,
        follower_max=program.follower_max,
        weights=weights,
        link_confidence_min=program.link_confidence_min,
        block_open_critical=program.block_open_critical,
    )


# --- scoring runs ---------------------------------------------------------------------


def _work_dir(run_id: int) -> Path:
    return Path(settings.SCORING_WORK_DIR) / f"run-{run_id}"


def scoring_run_create(
    *, program: Program, requested_by=None
) -> tuple[ScoringRun, bool]:
    """A pending run of ``program``, or the one already pending/running (one active
    run per program, by constraint). Returns ``(run, created)``."""
    with transaction.atomic():
        active = (
            ScoringRun.objects.select_for_update()
            .filter(program=program, status__in=["pending", "running"])
            .first()
        )
        if active:
            return active, False
        run = ScoringRun(
            program=program,
            scoring_version=SCORING_VERSION,
            requested_by=requested_by,
        )
        run.full_clean()
        run.save()
        return run, True


@dataclass
class PreparedRun:
    run: ScoringRun
    claimed: bool  # False: another delivery already prepared (or ran) it
    skipped: bool
    parts: list  # [(key, n_accounts)]


def scoring_run_prepare(*, run_id: int) -> PreparedRun:
    """Claim a pending run and decide whether it has work to do. Steps:

    1. fingerprint the tables the load reads (``inputs_fingerprint``: counts and row
       versions, seconds); equal to the last succeeded run's, the run is SKIPPED
       without loading anything;
    2. load the inputs from PostgreSQL and hash them; a hash equal to the last
       succeeded run's also makes it SKIPPED;
    3. split the candidates into parts (specialty groups, then one activity part),
       build the engagement graph once and save inputs, graph and parts to the run's
       work directory for the part tasks."""
    from vetting.inputs import inputs_fingerprint, scoring_inputs_load
    from vetting.scoring.graph import hashtag_table
    from vetting.scoring.graph import prepare as graph_prepare
    from vetting.scoring.pipeline import candidates, parts
    from vetting.scoring_files import work_write

    claimed = ScoringRun.objects.filter(pk=run_id, status="pending").update(
        status="running", started_at=timezone.now()
    )
    run = ScoringRun.objects.select_related("program__therapeutic_area").get(pk=run_id)
    if not claimed:
        return PreparedRun(run, False, run.status == "skipped", [])
    program = run.program
    params = program_params(program)
    area = program.therapeutic_area
    started = time.perf_counter()
    previous = (
        ScoringRun.objects.filter(program=program, status="succeeded")
        .exclude(pk=run.pk)
        .order_by("-finished_at")
        .first()
    )
    sources = {
        "params": params,
        "lexicon": list(area.lexicon),
        "hashtags": list(area.hashtags),
    }
    run.source_hash = inputs_fingerprint(**sources)
    run.window_start, run.window_end = params.window_start, params.window_end
    run.timings = {"fingerprint": round(time.perf_counter() - started, 3)}
    if previous and previous.source_hash == run.source_hash:
        return _skipped(run, previous)
    load_started = time.perf_counter()
    loaded = scoring_inputs_load(**sources)
    load_seconds = time.perf_counter() - load_started
    run.input_hash = loaded.input_hash
    run.parameters = {
        "target_specialties": list(params.target_specialties),
        "platforms": list(params.platforms),
        "follower_min": params.follower_min,
        "follower_max": params.follower_max,
        "weights": params.weights,
        "link_confidence_min": params.link_confidence_min,
        "inputs": loaded.counts,
    }
    run.edges = loaded.counts["edges"]
    run.timings.update(
        load=round(load_seconds, 3),
        **{f"load_{step}": seconds for step, seconds in loaded.timings.items()},
    )
    if previous and previous.input_hash == loaded.input_hash:
        return _skipped(run, previous)
    step = time.perf_counter()
    # the engagement graph and its hashtag table once, for every part
    graph = graph_prepare(loaded.inputs)
    hashtag_table(graph, loaded.inputs)
    run.timings["graph"] = round(time.perf_counter() - step, 3)
    step = time.perf_counter()
    chosen = candidates(loaded.inputs, params)
    split = parts(loaded.inputs, chosen, graph_parts=settings.SCORING_GRAPH_PARTS)
    run.timings["split"] = round(time.perf_counter() - step, 3)
    step = time.perf_counter()
    work_write(
        _work_dir(run.pk), loaded.inputs, graph=graph, params=params, parts=split
    )
    run.timings["save"] = round(time.perf_counter() - step, 3)
    run.parts_total = len(split)
    run.parts_done = 0
    run.timings["prepare"] = round(time.perf_counter() - started, 3)
    run.save()
    return PreparedRun(run, True, False, [(p.key, len(p.accounts)) for p in split])


def _skipped(run: ScoringRun, previous: ScoringRun) -> PreparedRun:
    """Mark ``run`` SKIPPED: ``previous`` (the last succeeded run) stays current."""
    run.status = ScoringRun.Status.SKIPPED
    run.finished_at = timezone.now()
    run.accounts_scored = previous.accounts_scored
    run.input_hash = run.input_hash or previous.input_hash
    run.edges = run.edges or previous.edges
    if not run.parameters:
        run.parameters = previous.parameters
    run.save()
    return PreparedRun(run, True, True, [])


def scoring_run_part(*, run_id: int, key: str) -> bool:
    """Compute every score for one part of a run, save it next to the inputs and
    count it done. Returns True for exactly one call: the one that completed the
    last part (its caller finishes the run). Idempotent: a part already saved is
    neither computed nor counted again."""
    import os

    from vetting.scoring.pipeline import score_part
    from vetting.scoring_files import StoredInputs, work_run

    work = _work_dir(run_id)
    target = work / f"part-{key.replace(':', '_')}.pkl"
    if target.exists():
        return False
    data = work_run(work)
    part = next(p for p in data["parts"] if p.key == key)
    started = time.perf_counter()
    scores = score_part(
        StoredInputs(work), data["params"], part.accounts, kind=part.kind
    )
    scores.attrs["seconds"] = time.perf_counter() - started
    tmp = target.with_suffix(f".{os.getpid()}.part")
    scores.to_pickle(tmp)
    try:
        os.link(tmp, target)  # fails if another delivery saved it first
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE vetting_scoringrun SET parts_done = parts_done + 1, "
            "updated_at = now() WHERE id = %s RETURNING parts_done, parts_total",
            [run_id],
        )
        done, total = cursor.fetchone()
    return done == total


def scoring_run_finish(*, run_id: int) -> ScoringRun:
    """Combine the parts: composite, gates, ranks; write the ``InfluencerScore`` rows
    of the run in one COPY; mark it SUCCEEDED and remove the work directory."""
    import pandas as pd

    from vetting.scoring.pipeline import (
        ACTIVITY,
        GRAPH,
        combine_parts,
        composite_scores,
    )
    from vetting.scoring_files import StoredInputs, work_run

    run = ScoringRun.objects.select_related("program").get(pk=run_id)
    if run.status != ScoringRun.Status.RUNNING:
        return run
    work = _work_dir(run_id)
    data = work_run(work)
    started = time.perf_counter()
    frames = []
    for path in sorted(work.glob("part-*.pkl")):
        frame = pd.read_pickle(path)
        frame.attrs["kind"] = (
            GRAPH if path.name.startswith(f"part-{GRAPH}") else ACTIVITY
        )
        frames.append(frame)
    part_seconds = sum(f.attrs.get("seconds", 0.0) for f in frames)
    chosen = next(p.accounts for p in data["parts"] if p.kind == ACTIVITY)
    scores = combine_parts(frames, chosen)
    if len(scores):
        scores = composite_scores(scores, StoredInputs(work), data["params"])
    combine = time.perf_counter() - started
    # the scores and the run's status in one transaction: a finish redelivered after
    # a crash finds either both or neither
    with transaction.atomic():
        written, subscore_columns = _scores_write(
            run, scores, as_of=data["params"].window_end
        )
        write = time.perf_counter() - started - combine
        run = ScoringRun.objects.select_for_update().get(pk=run_id)
        run.accounts_scored = written
        run.subscore_columns = subscore_columns
        run.status = ScoringRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        run.timings = {
            **run.timings,
            "parts_cpu": round(part_seconds, 3),
            "combine": round(combine, 3),
            "write": round(write, 3),
        }
        run.save()
    shutil.rmtree(work, ignore_errors=True)
    step = time.perf_counter()
    # fresh planner statistics for the pages (a run adds rows faster than
    # autovacuum's threshold notices; ANALYZE samples, so it stays cheap)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE vetting_influencerscore")
    run.timings["analyze"] = round(time.perf_counter() - step, 3)
    from vetting.workflow import drift_check

    step = time.perf_counter()
    drift_check(run=run)
    run.timings["drift"] = round(time.perf_counter() - step, 3)
    run.timings["total"] = round((timezone.now() - run.started_at).total_seconds(), 3)
    ScoringRun.objects.filter(pk=run.pk).update(timings=run.timings)
    return run


def scoring_run_fail(*, run_id: int, error: str) -> None:
    ScoringRun.objects.filter(pk=run_id, status__in=["pending", "running"]).update(
        status="failed", error=error[:5000], finished_at=timezone.now()
    )
    shutil.rmtree(_work_dir(run_id), ignore_errors=True)


SCORES_WRITE_CHUNK = 20_000


def _scores_write(run: ScoringRun, scores, *, as_of: datetime) -> tuple[int, list[str]]:
    """Insert the run's scores (whose rows never exist before) with one binary COPY
    (``vetting.score_copy``), encoded in chunks of ``SCORES_WRITE_CHUNK`` rows to
    bound memory. Returns the rows written and the names of the numeric sub-scores
    (``ScoringRun.subscore_columns``)."""
    from vetting import score_copy

    if scores is None or len(scores) == 0:
        return 0, []
    numbers, words = score_copy.subscore_columns(scores)
    columns = ", ".join(score_copy.COLUMNS)
    with connection.cursor() as cursor:
        raw = cursor.connection
        with (
            raw.cursor() as cur,
            cur.copy(
                f"COPY vetting_influencerscore ({columns}) FROM STDIN (FORMAT BINARY)"
            ) as copy,
        ):
            for block in score_copy.score_copy_chunks(
                scores,
                chunk=SCORES_WRITE_CHUNK,
                run_id=run.pk,
                program_id=run.program_id,
                as_of=as_of,
                numbers=numbers,
                words=words,
            ):
                copy.write(block)
    return len(scores), numbers


def scoring_run_inline(*, run_id: int) -> ScoringRun:
    """Prepare, compute every part and finish a run in this process (the command's
    ``--inline``, the benchmark and tests without a worker)."""
    try:
        prepared = scoring_run_prepare(run_id=run_id)
        if prepared.claimed and not prepared.skipped:
            for key, _size in prepared.parts:
                scoring_run_part(run_id=run_id, key=key)
            scoring_run_finish(run_id=run_id)
    except Exception as exc:
        scoring_run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}")
        raise
    return ScoringRun.objects.get(pk=run_id)


PROGRAM_SETTINGS = (
    "follower_min",
    "follower_max",
    "link_confidence_min",
    "block_open_critical",
    "window_days",
    "drift_threshold",
    "is_active",
    "weights",
)


def program_settings_update(*, program: Program, user, changes: dict) -> list[str]:
    """Apply an admin's changes to a program's settings and members; one audit event
    with the before and after of what changed. Returns the changed names."""
    from audit.services import audit_record

    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        before, after = {}, {}
        for name in PROGRAM_SETTINGS:
            if name in changes and getattr(program, name) != changes[name]:
                before[name] = getattr(program, name)
                after[name] = changes[name]
                setattr(program, name, changes[name])
        if "members" in changes:
            old = set(program.members.values_list("username", flat=True))
            new = {u.username for u in changes["members"]}
            if old != new:
                before["members"], after["members"] = sorted(old), sorted(new)
                program.members.set(changes["members"])
        if not after:
            return []
        program.full_clean()
        program.save()
        audit_record(
            actor=user,
            action="program.settings_changed",
            obj=program,
            program_id=program.pk,
            before=before,
            after=after,
        )
    return sorted(after)
