"""Writes for the vetting app: users and their roles (DESIGN 7), programs and
scoring runs (DESIGN 5)."""

from __future__ import annotations

import pickle
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
    """Claim a pending run, load its inputs from PostgreSQL and hash them. When the
    hash equals the last succeeded run's, mark the run SKIPPED. Otherwise save the
    inputs to the run's work directory and split the candidates into parts (one per
    specialty, plus chunks of unlinked ones)."""
    from vetting.inputs import scoring_inputs_load
    from vetting.scoring.pipeline import candidates, parts

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
    loaded = scoring_inputs_load(
        params=params, lexicon=list(area.lexicon), hashtags=list(area.hashtags)
    )
    load_seconds = time.perf_counter() - started
    run.input_hash = loaded.input_hash
    run.window_start, run.window_end = params.window_start, params.window_end
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
    run.timings = {"load": round(load_seconds, 3)}
    previous = (
        ScoringRun.objects.filter(program=program, status="succeeded")
        .exclude(pk=run.pk)
        .order_by("-finished_at")
        .first()
    )
    if previous and previous.input_hash == loaded.input_hash:
        run.status = ScoringRun.Status.SKIPPED
        run.finished_at = timezone.now()
        run.accounts_scored = previous.accounts_scored
        run.save()
        return PreparedRun(run, True, True, [])
    chosen = candidates(loaded.inputs, params)
    split = parts(loaded.inputs, chosen, graph_parts=settings.SCORING_GRAPH_PARTS)
    work = _work_dir(run.pk)
    work.mkdir(parents=True, exist_ok=True)
    tmp = work / "inputs.pkl.part"
    with tmp.open("wb") as handle:
        pickle.dump(
            {"inputs": _frames_pack(loaded.inputs), "params": params, "parts": split},
            handle,
            protocol=pickle.HIGHEST_PROTOCOL,
        )
    tmp.replace(work / "inputs.pkl")
    run.parts_total = len(split)
    run.parts_done = 0
    run.timings["prepare"] = round(time.perf_counter() - started, 3)
    run.save()
    return PreparedRun(run, True, False, [(p.key, len(p.accounts)) for p in split])


# String columns with few distinct values travel as categoricals (codes pickle as one
# buffer; 10M Python string references do not) and come back as the contract's objects.
_PACKED = {"accounts": ("platform", "specialty", "classification"), "edges": ("kind",)}


def _frames_pack(inputs):
    from dataclasses import replace

    changes = {}
    for name, columns in _PACKED.items():
        frame = getattr(inputs, name).copy(deep=False)
        for column in columns:
            frame[column] = frame[column].astype("category")
        changes[name] = frame
    return replace(inputs, **changes)


def _frames_unpack(inputs):
    for name, columns in _PACKED.items():
        frame = getattr(inputs, name)
        for column in columns:
            frame[column] = frame[column].astype(object)
    return inputs


def _load_work(run_id: int) -> dict:
    with (_work_dir(run_id) / "inputs.pkl").open("rb") as handle:
        data = pickle.load(handle)  # noqa: S301 - our own file, written by prepare
    data["inputs"] = _frames_unpack(data["inputs"])
    return data


def scoring_run_part(*, run_id: int, key: str) -> bool:
    """Compute every score for one part of a run, save it next to the inputs and
    count it done. Returns True for exactly one call: the one that completed the
    last part (its caller finishes the run). Idempotent: a part already saved is
    neither computed nor counted again."""
    import os

    from vetting.scoring.pipeline import score_part

    work = _work_dir(run_id)
    target = work / f"part-{key.replace(':', '_')}.pkl"
    if target.exists():
        return False
    data = _load_work(run_id)
    part = next(p for p in data["parts"] if p.key == key)
    started = time.perf_counter()
    scores = score_part(data["inputs"], data["params"], part.accounts, kind=part.kind)
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

    run = ScoringRun.objects.select_related("program").get(pk=run_id)
    if run.status != ScoringRun.Status.RUNNING:
        return run
    data = _load_work(run_id)
    work = _work_dir(run_id)
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
        scores = composite_scores(scores, data["inputs"], data["params"])
    combine = time.perf_counter() - started
    written = _scores_write(run, scores, as_of=data["params"].window_end)
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().get(pk=run_id)
        run.accounts_scored = written
        run.status = ScoringRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        run.timings = {
            **run.timings,
            "parts_cpu": round(part_seconds, 3),
            "combine": round(combine, 3),
            "write": round(time.perf_counter() - started - combine, 3),
            "total": round((run.finished_at - run.started_at).total_seconds(), 3),
        }
        run.save()
    shutil.rmtree(work, ignore_errors=True)
    # fresh planner statistics for the pages (a run adds rows faster than
    # autovacuum's threshold notices; ANALYZE samples, so it stays cheap)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE vetting_influencerscore")
    from vetting.workflow import drift_check

    drift_check(run=run)
    return run


def scoring_run_fail(*, run_id: int, error: str) -> None:
    ScoringRun.objects.filter(pk=run_id, status__in=["pending", "running"]).update(
        status="failed", error=error[:5000], finished_at=timezone.now()
    )
    shutil.rmtree(_work_dir(run_id), ignore_errors=True)


_SCORE_COLUMNS = (
    "run_id",
    "program_id",
    "account_id",
    "clinician_id",
    "specialty_code",
    "as_of",
    "scoring_version",
    "followers",
    *COMPONENTS,
    "composite",
    "rank",
    "specialty_rank",
    "gates_passed",
    "gate_failures",
    "authenticity_flagged",
    "contributions",
    "details",
)


def _scores_chunk_csv(run: ScoringRun, scores, *, as_of: datetime) -> str:
    """CSV rows (for COPY) of some of the run's scores, built column-wise with
    JSON from pandas' C encoder."""
    import io

    import numpy as np
    import pandas as pd

    skip = {
        "gate_failures",
        "gates_passed",
        "rank",
        "specialty_rank",
        "followers",
        "specialty",
        "clinician_id",
        "composite",
    }
    detail_columns = [
        c
        for c in scores.columns
        if c not in skip
        and not c.startswith("contribution_")
        and not c.startswith("value_")
    ]

    def json_lines(frame) -> list[str]:
        text = frame.to_json(orient="records", lines=True, double_precision=6)
        return text.splitlines() if text else ["{}"] * len(frame)

    contributions = scores[[f"contribution_{c}" for c in COMPONENTS]].copy()
    contributions.columns = list(COMPONENTS)
    clinician = scores["clinician_id"].to_numpy()
    specialty_rank = pd.array(scores["specialty_rank"], dtype="Int64")
    out = pd.DataFrame(
        {
            "run_id": run.pk,
            "program_id": run.program_id,
            "account_id": scores.index.to_numpy(dtype=np.int64),
            "clinician_id": pd.Series(clinician, dtype="Int64")
            .where(clinician >= 0)
            .array,
            "specialty_code": scores["specialty"].to_numpy(),
            "as_of": as_of.isoformat(),
            "scoring_version": SCORING_VERSION,
            "followers": scores["followers"].to_numpy(dtype=np.int64),
            **{c: scores[f"value_{c}"].to_numpy(dtype=float) for c in COMPONENTS},
            "composite": scores["composite"].to_numpy(dtype=float),
            "rank": scores["rank"].to_numpy(dtype=np.int64),
            "specialty_rank": specialty_rank,
            "gates_passed": np.where(scores["gates_passed"].to_numpy(bool), "t", "f"),
            "gate_failures": [
                orjson_dumps(list(v)) for v in scores["gate_failures"].tolist()
            ],
            "authenticity_flagged": np.where(
                scores["flagged"].fillna(False).to_numpy(bool)
                if "flagged" in scores
                else np.zeros(len(scores), bool),
                "t",
                "f",
            ),
            "contributions": json_lines(contributions),
            "details": json_lines(scores[detail_columns]),
        }
    )
    buffer = io.StringIO()
    out.to_csv(buffer, header=False, index=False, na_rep="")
    return buffer.getvalue()


SCORES_WRITE_CHUNK = 50_000


def _scores_write(run: ScoringRun, scores, *, as_of: datetime) -> int:
    """Insert the run's scores (whose rows never exist before) with one CSV COPY,
    sent in chunks of ``SCORES_WRITE_CHUNK`` rows to bound memory."""
    if scores is None or len(scores) == 0:
        return 0
    columns = ", ".join(_SCORE_COLUMNS)
    with connection.cursor() as cursor:
        raw = cursor.connection
        with (
            raw.cursor() as cur,
            cur.copy(
                f"COPY vetting_influencerscore ({columns}) FROM STDIN "
                "WITH (FORMAT csv, FORCE_NOT_NULL (specialty_code))"
            ) as copy,
        ):
            for start in range(0, len(scores), SCORES_WRITE_CHUNK):
                chunk = scores.iloc[start : start + SCORES_WRITE_CHUNK]
                copy.write(_scores_chunk_csv(run, chunk, as_of=as_of))
    return len(scores)


def orjson_dumps(value) -> str:
    import orjson

    return orjson.dumps(value).decode()


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
