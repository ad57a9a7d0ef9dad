"""Build a program's ``ScoringInputs`` from PostgreSQL (the read side of a scoring run).

The large tables (accounts, interactions, posts) are read with binary COPY straight
into numpy arrays (``common.pgcopy``): no model instances, no per-row Python. The
small ones (findings, payments, snapshots) use a plain cursor. The frames follow the
contract of ``vetting.scoring.frames``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from django.db import connection

from common.pgcopy import NAT, copy_arrays, us_to_datetime
from compliance.rules.disclosure import sponsorship_status
from vetting.scoring.frames import (
    INTERACTION_WEIGHTS,
    ScoringInputs,
    ScoringParams,
)

KINDS = ("reply", "quote", "repost", "like", "mention")
_KIND_SQL = (
    "CASE i.kind "
    + " ".join(f"WHEN '{kind}' THEN {code}" for code, kind in enumerate(KINDS))
    + " END"
)

# A cheap SQL prefilter for posts that may carry a sponsorship signal; the Python
# check (compliance.rules.disclosure.sponsorship_status) decides. LIKE ANY on the
# lower-cased text: 3.4x faster than the same alternation as a regex (250K posts:
# 0.8 s against 2.7 s), same rows.
_SPONSOR_TERMS = (
    "#ad", "#spon", "#paid", "#partner", "#collab", "#gifted", "#affiliate", "sponsor",
    "paid", "partner", "disclos", "consult", "speaker", "advis", "ambassador", "code",
    "affiliate", "gifted", "compensat", "coi:", "conflict", "honorari", "% off",
    "collab", "thank",
)  # fmt: skip
_SPONSOR_PATTERNS = [
    "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    for term in _SPONSOR_TERMS
]


@dataclass
class LoadedInputs:
    inputs: ScoringInputs
    input_hash: str
    counts: dict[str, int]


def _words_regex(terms: list[str]) -> str:
    """A PostgreSQL ARE matching any of ``terms`` as whole words (case-insensitive)."""
    clean = sorted({t.strip().lower() for t in terms if t and t.strip()})
    if not clean:
        return r"\m\M(?!)"  # matches nothing
    return r"\m(" + "|".join(re.escape(t) for t in clean) + r")\M"


def scoring_inputs_load(
    *, params: ScoringParams, lexicon: list[str], hashtags: list[str]
):
    """Every frame of one program's window. Returns ``LoadedInputs`` with a SHA-256 of
    the loaded data and the parameters (the scoring run's skip key)."""
    platforms = list(params.platforms) or ["bluesky", "mastodon", "x"]
    ws, we = params.window_start, params.window_end
    with connection.cursor() as cursor:
        raw = cursor.connection  # psycopg connection: binary COPY
        with raw.cursor() as cur:
            accounts = _accounts(cur, platforms, params.link_confidence_min)
            posts = _posts(cur, platforms, ws, we, lexicon, hashtags)
            edges = _edges(cur, platforms, ws, we, posts.index.to_numpy())
            follows = _follows(cur, platforms)
            snapshots = _snapshots(cur, platforms, we)
            findings = _findings(cur, platforms, ws, we)
            payments = _payments(cur)
            sponsored = _sponsored(cur, platforms, ws, we)
    inputs = ScoringInputs(
        accounts=accounts,
        edges=edges,
        posts=posts,
        follows=follows,
        snapshots=snapshots,
        findings=findings,
        payments=payments,
        sponsored=sponsored,
    )
    counts = {
        "accounts": len(accounts),
        "edges": len(edges),
        "follows": len(follows),
        "posts": len(posts),
        "snapshots": len(snapshots),
        "findings": len(findings),
        "payments": len(payments),
        "sponsored": len(sponsored),
    }
    return LoadedInputs(inputs, inputs_hash(inputs, params), counts)


def inputs_hash(inputs: ScoringInputs, params: ScoringParams) -> str:
    """SHA-256 over every frame's values and the parameters. Vectorised: numbers and
    times by their bytes, strings and lists by pandas' per-row 64-bit hashes."""
    from vetting.scoring.frames import SCORING_VERSION

    digest = hashlib.sha256()
    digest.update(SCORING_VERSION.encode())
    digest.update(repr(sorted(params.__dict__.items())).encode())
    for name in (
        "accounts",
        "edges",
        "follows",
        "posts",
        "snapshots",
        "findings",
        "payments",
        "sponsored",
    ):
        frame = getattr(inputs, name)
        digest.update(f"{name}:{len(frame)}".encode())
        digest.update(np.ascontiguousarray(frame.index.to_numpy()).tobytes())
        for column in frame.columns:
            digest.update(column.encode())
            digest.update(_column_bytes(frame[column]))
    return digest.hexdigest()


def _column_bytes(series: pd.Series) -> bytes:
    if isinstance(series.dtype, pd.DatetimeTZDtype) or series.dtype.kind == "M":
        values = series.to_numpy(dtype="datetime64[ns]").view("int64")
        return np.ascontiguousarray(values).tobytes()
    if series.dtype.kind in "biuf":
        return np.ascontiguousarray(series.to_numpy()).tobytes()
    values = series.map(
        lambda v: "\x1f".join(map(str, v)) if isinstance(v, list) else v
    )
    hashed = pd.util.hash_pandas_object(values.astype(str), index=False)
    return hashed.to_numpy().tobytes()


def _accounts(cur, platforms: list[str], confidence_min: float) -> pd.DataFrame:
    sql = """
        SELECT a.id::int8,
               array_position(%s::text[], a.platform)::int2,
               a.followers_count::int8, a.following_count::int8, a.posts_count::int8,
               COALESCE(a.account_created_at, '-infinity'::timestamptz),
               length(a.bio)::int8,
               CASE WHEN a.link_status = 'rejected' THEN -1
                    ELSE COALESCE(a.clinician_id, -1) END::int8,
               (c.id IS NOT NULL AND a.link_status <> 'rejected'
                AND (a.link_status = 'confirmed'
                     OR COALESCE(a.link_confidence, 0) >= %s)
                AND c.entity_type = 1 AND c.npi_status = 'active'
                AND c.identity_status = 'verified'),
               COALESCE(a.link_confidence, 'NaN'::float8)
        FROM influencers_socialaccount a
        LEFT JOIN influencers_clinician c ON c.id = a.clinician_id
        WHERE a.platform = ANY(%s)
        ORDER BY a.id
    """
    cols = [
        ("account_id", "int8"),
        ("platform", "int2"),
        ("followers", "int8"),
        ("following", "int8"),
        ("posts_count", "int8"),
        ("created_at", "timestamptz"),
        ("bio_len", "int8"),
        ("clinician_id", "int8"),
        ("is_hcp", "bool"),
        ("link_confidence", "float8"),
    ]
    a = copy_arrays(cur, sql, cols, (platforms, confidence_min, platforms))
    frame = pd.DataFrame(
        {
            "platform": np.asarray(platforms, dtype=object)[a["platform"] - 1]
            if len(a["platform"])
            else np.array([], dtype=object),
            "followers": a["followers"],
            "following": a["following"],
            "posts_count": a["posts_count"],
            "created_at": us_to_datetime(a["created_at"]),
            "bio_len": a["bio_len"],
            "clinician_id": a["clinician_id"],
            "is_hcp": a["is_hcp"],
            "link_confidence": a["link_confidence"],
        },
        index=pd.Index(a["account_id"], name="account_id"),
    )
    cur.execute(
        """
        SELECT c.id, c.primary_taxonomy_code, COALESCE(s.classification, '')
        FROM influencers_clinician c
        LEFT JOIN influencers_specialty s ON s.code = c.primary_taxonomy_code
        WHERE c.id IN (SELECT clinician_id FROM influencers_socialaccount
                       WHERE clinician_id IS NOT NULL)
        """
    )
    specialty = {row[0]: (row[1] or "", row[2]) for row in cur.fetchall()}
    codes = [specialty.get(c, ("", "")) for c in frame["clinician_id"].tolist()]
    frame["specialty"] = [c[0] for c in codes]
    frame["classification"] = [c[1] for c in codes]
    return frame


def _edges(
    cur, platforms: list[str], ws: datetime, we: datetime, post_ids: np.ndarray
) -> pd.DataFrame:
    """Engagement in the window: timed edges by their time; untimed ones (Mastodon
    favourites and boosts) when the post they concern is in the window (``post_ids``,
    sorted). No join: a scan of the interactions, the rest in numpy."""
    sql = f"""
        SELECT i.actor_id::int8, i.target_id::int8, ({_KIND_SQL})::int2,
               CASE WHEN i.kind = 'mention' THEN -1
                    ELSE COALESCE(i.post_id, -1) END::int8,
               COALESCE(i.occurred_at, '-infinity'::timestamptz)
        FROM listening_interaction i
        WHERE i.kind <> 'follow' AND i.platform = ANY(%s)
          AND i.actor_id <> i.target_id
          AND ((i.occurred_at >= %s AND i.occurred_at < %s)
               OR (i.occurred_at IS NULL AND i.post_id IS NOT NULL))
    """
    cols = [
        ("actor", "int8"),
        ("target", "int8"),
        ("kind", "int2"),
        ("post_id", "int8"),
        ("occurred_at", "timestamptz"),
    ]
    e = copy_arrays(cur, sql, cols, (platforms, ws, we))
    untimed = e["occurred_at"] == NAT
    if untimed.any():
        pos = np.searchsorted(post_ids, e["post_id"])
        pos = np.minimum(pos, max(len(post_ids) - 1, 0))
        known = (
            post_ids[pos] == e["post_id"]
            if len(post_ids)
            else np.zeros(len(pos), dtype=bool)
        )
        keep = ~untimed | known
        e = {name: values[keep] for name, values in e.items()}
    kinds = np.asarray(KINDS, dtype=object)
    weights = np.asarray([INTERACTION_WEIGHTS[k] for k in KINDS])
    return pd.DataFrame(
        {
            "actor": e["actor"],
            "target": e["target"],
            "kind": kinds[e["kind"]],
            "weight": weights[e["kind"]],
            "post_id": e["post_id"],
            "occurred_at": us_to_datetime(e["occurred_at"]),
        }
    )


def _follows(cur, platforms: list[str]) -> pd.DataFrame:
    sql = """
        SELECT i.actor_id::int8, i.target_id::int8,
               COALESCE(i.occurred_at, '-infinity'::timestamptz)
        FROM listening_interaction i
        WHERE i.kind = 'follow' AND i.platform = ANY(%s)
    """
    cols = [("actor", "int8"), ("target", "int8"), ("occurred_at", "timestamptz")]
    f = copy_arrays(cur, sql, cols, (platforms,))
    return pd.DataFrame(
        {
            "actor": f["actor"],
            "target": f["target"],
            "occurred_at": us_to_datetime(f["occurred_at"]),
        }
    )


def _posts(
    cur,
    platforms: list[str],
    ws: datetime,
    we: datetime,
    lexicon: list[str],
    hashtags: list[str],
) -> pd.DataFrame:
    tags = sorted({t.lower().lstrip("#") for t in hashtags if t})
    sql = """
        SELECT p.id::int8, p.author_id::int8, p.posted_at,
               COALESCE(par.id, -1)::int8, COALESCE(r.id, -1)::int8,
               COALESCE(q.id, -1)::int8,
               (p.text ~* %s OR lower(p.hashtags::text)::jsonb ?| %s::text[]),
               p.likes::int8, p.reposts::int8, p.replies::int8, p.quotes::int8
        FROM listening_post p
        LEFT JOIN listening_post par ON p.reply_to_external_id <> ''
             AND par.platform = p.platform AND par.external_id = p.reply_to_external_id
        LEFT JOIN listening_post r ON p.root_external_id <> ''
             AND r.platform = p.platform AND r.external_id = p.root_external_id
        LEFT JOIN listening_post q ON p.quote_of_external_id <> ''
             AND q.platform = p.platform AND q.external_id = p.quote_of_external_id
        WHERE p.platform = ANY(%s) AND p.repost_of_external_id = ''
          AND p.posted_at >= %s AND p.posted_at < %s
        ORDER BY p.id
    """
    cols = [
        ("post_id", "int8"),
        ("author", "int8"),
        ("posted_at", "timestamptz"),
        ("reply_to", "int8"),
        ("root", "int8"),
        ("quote_of", "int8"),
        ("topical", "bool"),
        ("likes", "int8"),
        ("reposts", "int8"),
        ("replies", "int8"),
        ("quotes", "int8"),
    ]
    p = copy_arrays(cur, sql, cols, (_words_regex(lexicon), tags, platforms, ws, we))
    frame = pd.DataFrame(
        {
            "author": p["author"],
            "posted_at": us_to_datetime(p["posted_at"]),
            "reply_to": p["reply_to"],
            "root": p["root"],
            "quote_of": p["quote_of"],
            "topical": p["topical"],
            "likes": p["likes"],
            "reposts": p["reposts"],
            "replies": p["replies"],
            "quotes": p["quotes"],
        },
        index=pd.Index(p["post_id"], name="post_id"),
    )
    cur.execute(
        """
        SELECT p.id, lower(p.hashtags::text)
        FROM listening_post p
        WHERE p.platform = ANY(%s) AND p.repost_of_external_id = ''
          AND p.posted_at >= %s AND p.posted_at < %s AND p.hashtags <> '[]'::jsonb
        """,
        (platforms, ws, we),
    )
    import json

    tagged = {pid: [t.lstrip("#") for t in json.loads(text)] for pid, text in cur}
    frame["hashtags"] = [tagged.get(pid, []) for pid in frame.index.tolist()]
    return frame


def _snapshots(cur, platforms: list[str], we: datetime) -> pd.DataFrame:
    sql = """
        SELECT m.account_id::int8, m.captured_at, m.followers::int8,
               COALESCE(m.following, -1)::int8
        FROM listening_metricsnapshot m
        JOIN influencers_socialaccount a ON a.id = m.account_id
        WHERE m.account_id IS NOT NULL AND m.followers IS NOT NULL
          AND a.platform = ANY(%s) AND m.captured_at <= %s
        ORDER BY m.account_id, m.captured_at
    """
    cols = [
        ("account_id", "int8"),
        ("captured_at", "timestamptz"),
        ("followers", "int8"),
        ("following", "int8"),
    ]
    s = copy_arrays(cur, sql, cols, (platforms, we))
    return pd.DataFrame(
        {
            "account_id": s["account_id"],
            "captured_at": us_to_datetime(s["captured_at"]),
            "followers": s["followers"],
            "following": s["following"],
        }
    )


def _findings(cur, platforms: list[str], ws: datetime, we: datetime) -> pd.DataFrame:
    cur.execute(
        """
        SELECT f.post_id, p.author_id, f.rule_code, f.severity, f.status,
               COALESCE(pr.brand_name, '')
        FROM compliance_finding f
        JOIN listening_post p ON p.id = f.post_id
        LEFT JOIN compliance_product pr ON pr.id = f.product_id
        WHERE f.is_current AND p.platform = ANY(%s)
          AND p.posted_at >= %s AND p.posted_at < %s
        ORDER BY f.id
        """,
        (platforms, ws, we),
    )
    rows = cur.fetchall()
    return pd.DataFrame(
        rows, columns=["post_id", "author", "rule", "severity", "status", "product"]
    ).astype({"post_id": "int64", "author": "int64"})


def _payments(cur) -> pd.DataFrame:
    cur.execute(
        """
        SELECT clinician_id, manufacturer_name, amount_usd::float8, products
        FROM compliance_paymentrecord
        WHERE clinician_id IS NOT NULL
        ORDER BY id
        """
    )
    rows = cur.fetchall()
    return pd.DataFrame(
        rows, columns=["clinician_id", "manufacturer", "amount", "products"]
    ).astype({"clinician_id": "int64", "amount": "float64"})


def _sponsored(cur, platforms: list[str], ws: datetime, we: datetime) -> pd.DataFrame:
    cur.execute(
        """
        SELECT p.id, p.author_id, p.text
        FROM listening_post p
        WHERE p.platform = ANY(%s) AND p.repost_of_external_id = ''
          AND p.posted_at >= %s AND p.posted_at < %s
          AND lower(p.text) LIKE ANY (%s::text[])
        ORDER BY p.id
        """,
        (platforms, ws, we, _SPONSOR_PATTERNS),
    )
    rows = []
    for post_id, author, text in cur:
        sponsored, disclosed = sponsorship_status(text)
        if sponsored:
            rows.append((post_id, author, disclosed))
    return pd.DataFrame(rows, columns=["post_id", "author", "disclosed"]).astype(
        {"post_id": "int64", "author": "int64", "disclosed": "bool"}
    )
