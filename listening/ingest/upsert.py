"""Write one ``Batch`` to PostgreSQL: COPY into TEMP stages, then set-based upserts.

Order inside the caller's transaction:

1. accounts (full records and stubs for ids referenced only) into
   ``influencers_socialaccount``; an account snapshot when its counters changed;
2. posts, author resolved by natural key; a post snapshot when its counters changed;
3. interactions, actor/target/post resolved by natural key (target = the post's
   author when only the post is known);
4. quarantined records (once per source, record hash and reason).

Every upsert is ``INSERT ... SELECT DISTINCT ON (natural key) ... ON CONFLICT DO
UPDATE ... WHERE <hash> IS DISTINCT FROM EXCLUDED.<hash>``, and the SELECT already
skips rows that exist unchanged, so an identical replay writes no row versions and
takes no row locks. ``RETURNING (xmax = 0)`` tells created from updated rows.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import datetime
from hashlib import sha256
from typing import Any

import orjson
import psycopg
from django.db import IntegrityError, connection, transaction
from psycopg import sql as pgsql

from listening import constants as c
from listening.ingest.batch import (
    ACCOUNT_OBSERVATION_STAGE_COLUMNS,
    ACCOUNT_STAGE_COLUMNS,
    INTERACTION_STAGE_COLUMNS,
    NULL,
    POST_KEY_STAGE_COLUMNS,
    POST_STAGE_COLUMNS,
    Batch,
    copy_escape,
    copy_unescape,
)
from listening.records import QuarantineItem

COPY_CHUNK_CHARS = 1 << 20
# Seconds spent per step, summed over the process (the benchmark prints them).
TIMINGS: Counter[str] = Counter()

STAGE_DDL = """
SET LOCAL client_min_messages = warning;
SET LOCAL synchronous_commit = off;
SET LOCAL work_mem = '64MB';
SET LOCAL jit = off;
CREATE TEMP TABLE IF NOT EXISTS pp_stage_account_v2 (
    platform text, external_id text, handle text, display_name text, bio text,
    url text, followers_count integer, following_count integer, posts_count integer,
    account_created_at timestamptz, is_verified boolean, has_counters boolean,
    observed_at timestamptz
);
CREATE TEMP TABLE IF NOT EXISTS pp_stage_post_v2 (
    platform text, external_id text, author_external_id text, text text,
    language text, url text, reply_to_external_id text, root_external_id text,
    quote_of_external_id text, repost_of_external_id text, hashtags text,
    mentions text, links text, raw text, posted_at timestamptz,
    edited_at timestamptz, likes integer, reposts integer, replies integer,
    quotes integer, views bigint, content_sha256 text, metrics_sha256 text,
    observed_at timestamptz
);
CREATE TEMP TABLE IF NOT EXISTS pp_stage_postkey_v1 (
    platform text, external_id text, author_external_id text,
    content_sha256 text, metrics_sha256 text, observed_at timestamptz
);
CREATE TEMP TABLE IF NOT EXISTS pp_stage_account_obs_v1 (
    platform text, external_id text, followers_count integer,
    following_count integer, posts_count integer, observed_at timestamptz
);
CREATE TEMP TABLE IF NOT EXISTS pp_stage_interaction_v2 (
    platform text, kind text, actor_external_id text, target_external_id text,
    post_external_id text, occurred_at timestamptz
);
CREATE TEMP TABLE IF NOT EXISTS pp_stage_accountkey_v1 (
    platform text, external_id text
);
TRUNCATE pp_stage_account_v2, pp_stage_post_v2, pp_stage_postkey_v1,
    pp_stage_interaction_v2, pp_stage_account_obs_v1, pp_stage_accountkey_v1;
"""

# Lookups: a batch is a few thousand staged rows, each matched to the big tables by
# a unique index. Every such lookup is a LATERAL subquery with LIMIT 1 (which the
# planner cannot flatten into a join), so it stays one index probe per staged row; as plain joins the planner, with statistics that lag a table
# growing from empty to millions of rows, picked hash joins that scan the whole
# posts or interactions table once per batch (quadratic over a run).
# jit = off: these statements are short; JIT compilation, when a batch's estimated
# cost crosses jit_above_cost, took longer (about a second) than the statement.
#
# synchronous_commit = off: a batch lost in a server crash also loses its saved
# cursor, so the retry repeats it; the upserts are idempotent, so nothing is lost or
# duplicated, and no batch waits for a WAL flush.

# Accounts: a value missing from the incoming record (NULL or '') keeps the stored
# one, so a post author's short profile never erases the follower counts or bio of a
# full profile, and a stub (id only) never overwrites anything. The hash is computed
# over the merged values, so an identical replay finds nothing to update. A record
# observed before the account's latest snapshot is older news and is skipped.
ACCOUNT_UPSERT = """
WITH src AS (
    SELECT DISTINCT ON (s.platform, s.external_id)
        s.platform, s.external_id, s.has_counters, s.observed_at, a.id AS old_id,
        COALESCE(NULLIF(s.handle, ''), a.handle, s.external_id) AS handle,
        COALESCE(NULLIF(s.display_name, ''), a.display_name, '') AS display_name,
        COALESCE(NULLIF(s.bio, ''), a.bio, '') AS bio,
        COALESCE(NULLIF(s.url, ''), a.url, '') AS url,
        COALESCE(s.followers_count, a.followers_count, 0) AS followers_count,
        COALESCE(s.following_count, a.following_count, 0) AS following_count,
        COALESCE(s.posts_count, a.posts_count, 0) AS posts_count,
        COALESCE(s.account_created_at, a.account_created_at) AS account_created_at,
        COALESCE(s.is_verified, a.is_verified, false) AS is_verified,
        a.content_sha256 AS old_sha256
    FROM pp_stage_account_v2 s
    LEFT JOIN LATERAL (
        SELECT a.id, a.handle, a.display_name, a.bio, a.url, a.followers_count,
            a.following_count, a.posts_count, a.account_created_at, a.is_verified,
            a.content_sha256
        FROM influencers_socialaccount a
        WHERE a.platform = s.platform AND a.external_id = s.external_id LIMIT 1
    ) a ON true
    ORDER BY s.platform, s.external_id, s.has_counters DESC, s.observed_at DESC
), hashed AS (
    SELECT src.*, encode(sha256(convert_to(concat_ws(E'\\x1f',
        handle, display_name, bio, url, followers_count::text,
        following_count::text, posts_count::text,
        COALESCE(to_char(account_created_at AT TIME ZONE 'UTC',
                         'YYYY-MM-DD"T"HH24:MI:SS.US'), ''),
        is_verified::text), 'UTF8')), 'hex') AS content_sha256
    FROM src
), changed AS (
    SELECT h.* FROM hashed h
    WHERE h.old_sha256 IS DISTINCT FROM h.content_sha256
        AND (h.old_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM listening_metricsnapshot m
            WHERE m.account_id = h.old_id AND m.captured_at > h.observed_at
        ))
), up AS (
    INSERT INTO influencers_socialaccount AS t (
        created_at, updated_at, platform, external_id, handle, display_name, bio,
        url, followers_count, following_count, posts_count, account_created_at,
        is_verified, link_method, link_evidence, link_status, content_sha256
    )
    SELECT %(now)s, %(now)s, platform, external_id, handle, display_name, bio, url,
        followers_count, following_count, posts_count, account_created_at,
        is_verified, '', '{}'::jsonb, 'unreviewed', content_sha256
    FROM changed
    ON CONFLICT (platform, external_id) DO UPDATE SET
        updated_at = EXCLUDED.updated_at,
        handle = EXCLUDED.handle,
        display_name = EXCLUDED.display_name,
        bio = EXCLUDED.bio,
        url = EXCLUDED.url,
        followers_count = EXCLUDED.followers_count,
        following_count = EXCLUDED.following_count,
        posts_count = EXCLUDED.posts_count,
        account_created_at = EXCLUDED.account_created_at,
        is_verified = EXCLUDED.is_verified,
        content_sha256 = EXCLUDED.content_sha256
    WHERE t.content_sha256 IS DISTINCT FROM EXCLUDED.content_sha256
    RETURNING t.id, (t.xmax = 0) AS inserted, t.platform, t.external_id,
        t.followers_count, t.following_count, t.posts_count
), snap AS (
    INSERT INTO listening_metricsnapshot (
        account_id, post_id, captured_at, followers, following, posts_count, run_id
    )
    SELECT up.id, NULL, ch.observed_at, up.followers_count, up.following_count,
        up.posts_count, %(run_id)s
    FROM up
    JOIN changed ch ON ch.platform = up.platform AND ch.external_id = up.external_id
    LEFT JOIN LATERAL (
        SELECT m.captured_at, m.followers, m.following, m.posts_count
        FROM listening_metricsnapshot m
        WHERE NOT up.inserted AND m.account_id = up.id
        ORDER BY m.captured_at DESC, m.id DESC
        LIMIT 1
    ) last ON true
    WHERE ch.has_counters AND (
        last.captured_at IS NULL
        OR (last.followers, last.following, last.posts_count)
            IS DISTINCT FROM (up.followers_count, up.following_count, up.posts_count)
    )
    RETURNING 1
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
    (SELECT count(*) FROM snap)
FROM up
"""

# Account history: a batch may hold several observations of one account (a recording
# of profile calls made at different times, a backfill), and a later batch may bring
# older ones. ACCOUNT_UPSERT keeps the latest; this adds a snapshot for each
# observation older than the account's latest snapshot whose counters differ from
# the observation before it, so growth curves keep every step. Idempotent: a
# snapshot already stored at that time is not added again.
ACCOUNT_HISTORY_SNAPSHOTS = """
WITH obs AS (
    SELECT DISTINCT ON (s.platform, s.external_id, s.observed_at)
        s.platform, s.external_id, s.observed_at,
        s.followers_count, s.following_count, s.posts_count
    FROM pp_stage_account_obs_v1 s
    WHERE s.followers_count IS NOT NULL AND s.observed_at IS NOT NULL
    ORDER BY s.platform, s.external_id, s.observed_at
), seq AS (
    SELECT obs.*,
        lag(ROW(followers_count, following_count, posts_count)) OVER w AS prev
    FROM obs
    WINDOW w AS (PARTITION BY platform, external_id ORDER BY observed_at)
)
INSERT INTO listening_metricsnapshot (
    account_id, post_id, captured_at, followers, following, posts_count, run_id
)
SELECT a.id, NULL, seq.observed_at, seq.followers_count, seq.following_count,
    seq.posts_count, %(run_id)s
FROM seq
JOIN LATERAL (
    SELECT a.id FROM influencers_socialaccount a
    WHERE a.platform = seq.platform AND a.external_id = seq.external_id LIMIT 1
) a ON true
WHERE seq.observed_at < COALESCE((
        SELECT max(m.captured_at) FROM listening_metricsnapshot m
        WHERE m.account_id = a.id
    ), '-infinity'::timestamptz)
    AND (seq.prev IS NULL
         OR seq.prev IS DISTINCT FROM
            ROW(seq.followers_count, seq.following_count, seq.posts_count))
    AND NOT EXISTS (
        SELECT 1 FROM listening_metricsnapshot m
        WHERE m.account_id = a.id AND m.captured_at = seq.observed_at
    )
"""

# Posts, step 1: which staged posts are new, and which changed? Only keys and hashes
# are staged for this, so an unchanged post (all of an identical replay) never
# crosses the wire in full. An existing post observed before its latest snapshot is
# older news and counts as unchanged.
POST_PROBE = """
SELECT k.platform, k.external_id, a.id AS author_id, p.id AS post_id
FROM (
    SELECT DISTINCT ON (platform, external_id) *
    FROM pp_stage_postkey_v1
    ORDER BY platform, external_id, observed_at DESC
) k
CROSS JOIN LATERAL (
    SELECT a.id FROM influencers_socialaccount a
    WHERE a.platform = k.platform AND a.external_id = k.author_external_id LIMIT 1
) a
LEFT JOIN LATERAL (
    SELECT p.id, p.content_sha256, p.metrics_sha256 FROM listening_post p
    WHERE p.platform = k.platform AND p.external_id = k.external_id LIMIT 1
) p ON true
WHERE p.id IS NULL OR (
    (p.content_sha256 IS DISTINCT FROM k.content_sha256
        OR p.metrics_sha256 IS DISTINCT FROM k.metrics_sha256)
    AND NOT EXISTS (
        SELECT 1 FROM listening_metricsnapshot m
        WHERE m.post_id = p.id AND m.captured_at > k.observed_at
    )
)
"""

# Step 2a, new posts: ids from the table's own sequence, then a plain COPY of the
# posts and their first snapshots (the rows a plain bulk load would write).
# The sequence is named once per batch and then written into the statement as a
# constant: ``nextval(pg_get_serial_sequence(...))`` looks the name up for every row
# (measured: 17 us a row against 1.2 us).
POST_SEQUENCE = "SELECT pg_get_serial_sequence('listening_post', 'id')"
POST_NEW_IDS = "SELECT nextval({sequence}::regclass) FROM generate_series(1, %(n)s)"
POST_DIRECT_COLUMNS = (
    "id",
    "author_id",
    "platform",
    "external_id",
    "text",
    "language",
    "url",
    "reply_to_external_id",
    "root_external_id",
    "quote_of_external_id",
    "repost_of_external_id",
    "hashtags",
    "mentions",
    "links",
    "raw",
    "posted_at",
    "edited_at",
    "likes",
    "reposts",
    "replies",
    "quotes",
    "views",
    "content_sha256",
    "metrics_sha256",
    "created_at",
    "updated_at",
    "first_seen_at",
    "content_changed_at",
    "last_run_id",
)
SNAPSHOT_DIRECT_COLUMNS = (
    "post_id",
    "captured_at",
    "likes",
    "reposts",
    "replies",
    "quotes",
    "views",
    "run_id",
)

# Step 2b, changed posts (and new ones a concurrent run inserted first): the whole
# rows go through a stage and this upsert. DISTINCT ON first (the batch is already unique per key; this is the guard
# that keeps ON CONFLICT DO UPDATE from touching one row twice), then skip rows that
# exist with the same content and counters (no write, no row lock) or that were
# observed before the post's latest snapshot, then upsert the rest.
POST_UPSERT = """
WITH staged AS (
    SELECT DISTINCT ON (s.platform, s.external_id) s.*
    FROM pp_stage_post_v2 s
    ORDER BY s.platform, s.external_id, s.observed_at DESC
), changed AS (
    SELECT s.*, a.author_id
    FROM staged s
    CROSS JOIN LATERAL (
        SELECT a.id AS author_id FROM influencers_socialaccount a
        WHERE a.platform = s.platform AND a.external_id = s.author_external_id LIMIT 1
    ) a
    LEFT JOIN LATERAL (
        SELECT p.id, p.content_sha256, p.metrics_sha256 FROM listening_post p
        WHERE p.platform = s.platform AND p.external_id = s.external_id LIMIT 1
    ) p ON true
    WHERE p.id IS NULL OR (
        (p.content_sha256 IS DISTINCT FROM s.content_sha256
            OR p.metrics_sha256 IS DISTINCT FROM s.metrics_sha256)
        AND NOT EXISTS (
            SELECT 1 FROM listening_metricsnapshot m
            WHERE m.post_id = p.id AND m.captured_at > s.observed_at
        )
    )
), up AS (
    INSERT INTO listening_post AS t (
        created_at, updated_at, platform, external_id, author_id, text, language,
        posted_at, edited_at, url, reply_to_external_id, root_external_id,
        quote_of_external_id, repost_of_external_id, hashtags, mentions, links,
        likes, reposts, replies, quotes, views, content_sha256, metrics_sha256,
        first_seen_at, content_changed_at, raw, last_run_id
    )
    SELECT %(now)s, %(now)s, platform, external_id, author_id, text, language,
        posted_at, edited_at, url, reply_to_external_id, root_external_id,
        quote_of_external_id, repost_of_external_id, hashtags::jsonb,
        mentions::jsonb, links::jsonb, likes, reposts, replies, quotes, views,
        content_sha256, metrics_sha256, %(now)s, %(now)s, raw::jsonb, %(run_id)s
    FROM changed
    ON CONFLICT (platform, external_id) DO UPDATE SET
        updated_at = EXCLUDED.updated_at,
        author_id = EXCLUDED.author_id,
        text = EXCLUDED.text,
        language = EXCLUDED.language,
        posted_at = EXCLUDED.posted_at,
        edited_at = EXCLUDED.edited_at,
        url = EXCLUDED.url,
        reply_to_external_id = EXCLUDED.reply_to_external_id,
        root_external_id = EXCLUDED.root_external_id,
        quote_of_external_id = EXCLUDED.quote_of_external_id,
        repost_of_external_id = EXCLUDED.repost_of_external_id,
        hashtags = EXCLUDED.hashtags,
        mentions = EXCLUDED.mentions,
        links = EXCLUDED.links,
        likes = EXCLUDED.likes,
        reposts = EXCLUDED.reposts,
        replies = EXCLUDED.replies,
        quotes = EXCLUDED.quotes,
        views = EXCLUDED.views,
        -- first_seen_at never changes: it is day 0 of adverse-event clocks.
        content_changed_at = CASE
            WHEN t.content_sha256 IS DISTINCT FROM EXCLUDED.content_sha256
            THEN EXCLUDED.content_changed_at ELSE t.content_changed_at END,
        content_sha256 = EXCLUDED.content_sha256,
        metrics_sha256 = EXCLUDED.metrics_sha256,
        raw = EXCLUDED.raw,
        last_run_id = EXCLUDED.last_run_id
    WHERE t.content_sha256 IS DISTINCT FROM EXCLUDED.content_sha256
        OR t.metrics_sha256 IS DISTINCT FROM EXCLUDED.metrics_sha256
    RETURNING t.id, (t.xmax = 0) AS inserted, t.platform, t.external_id, t.likes,
        t.reposts, t.replies, t.quotes, t.views,
        (t.content_changed_at = %(now)s) AS content_changed
), snap AS (
    INSERT INTO listening_metricsnapshot (
        account_id, post_id, captured_at, likes, reposts, replies, quotes, views,
        run_id
    )
    SELECT NULL, up.id, ch.observed_at, up.likes, up.reposts, up.replies,
        up.quotes, up.views, %(run_id)s
    FROM up
    JOIN changed ch ON ch.platform = up.platform AND ch.external_id = up.external_id
    LEFT JOIN LATERAL (
        SELECT m.captured_at, m.likes, m.reposts, m.replies, m.quotes, m.views
        FROM listening_metricsnapshot m
        WHERE NOT up.inserted AND m.post_id = up.id
        ORDER BY m.captured_at DESC, m.id DESC
        LIMIT 1
    ) last ON true
    WHERE up.inserted OR last.captured_at IS NULL
        OR (last.likes, last.reposts, last.replies, last.quotes, last.views)
            IS DISTINCT FROM (up.likes, up.reposts, up.replies, up.quotes, up.views)
    RETURNING 1
)
SELECT count(*) FILTER (WHERE inserted),
    count(*) FILTER (WHERE NOT inserted),
    count(*) FILTER (WHERE NOT inserted AND content_changed),
    (SELECT count(*) FROM snap)
FROM up
"""

INTERACTION_RESOLVED = """
    SELECT s.platform, s.kind, s.occurred_at, s.actor_external_id,
        s.target_external_id, s.post_external_id, a.id AS actor_id,
        p.id AS post_id, COALESCE(tg.id, p.author_id) AS target_id
    FROM pp_stage_interaction_v2 s
    CROSS JOIN LATERAL (
        SELECT a.id FROM influencers_socialaccount a
        WHERE a.platform = s.platform AND a.external_id = s.actor_external_id LIMIT 1
    ) a
    LEFT JOIN LATERAL (
        SELECT tg.id FROM influencers_socialaccount tg
        WHERE s.target_external_id <> ''
            AND tg.platform = s.platform AND tg.external_id = s.target_external_id LIMIT 1
    ) tg ON true
    LEFT JOIN LATERAL (
        SELECT p.id, p.author_id FROM listening_post p
        WHERE s.post_external_id <> ''
            AND p.platform = s.platform AND p.external_id = s.post_external_id LIMIT 1
    ) p ON true
"""

INTERACTION_UPSERT = f"""
WITH resolved AS ({INTERACTION_RESOLVED}
), staged AS (
    SELECT DISTINCT ON (r.kind, r.actor_id, r.target_id, r.post_id) r.*
    FROM resolved r
    WHERE r.target_id IS NOT NULL
    ORDER BY r.kind, r.actor_id, r.target_id, r.post_id, r.occurred_at NULLS LAST
), changed AS (
    -- Two probes, each an equality lookup on the natural-key index (with IS NOT
    -- DISTINCT FROM the planner falls back to scanning every edge of the target).
    SELECT s.* FROM staged s
    LEFT JOIN LATERAL (
        SELECT i.id, i.occurred_at FROM listening_interaction i
        WHERE s.post_id IS NOT NULL AND i.kind = s.kind
            AND i.actor_id = s.actor_id AND i.target_id = s.target_id
            AND i.post_id = s.post_id LIMIT 1
    ) i ON true
    LEFT JOIN LATERAL (
        SELECT i0.id, i0.occurred_at FROM listening_interaction i0
        WHERE s.post_id IS NULL AND i0.kind = s.kind
            AND i0.actor_id = s.actor_id AND i0.target_id = s.target_id
            AND i0.post_id IS NULL
        -- the natural-key order: ties the planner to that index, not to the
        -- (target, kind) one, which would read every follower of a big account
        ORDER BY i0.kind, i0.actor_id, i0.target_id, i0.post_id
        LIMIT 1
    ) i0 ON true
    WHERE COALESCE(i.id, i0.id) IS NULL
        OR (COALESCE(i.occurred_at, i0.occurred_at) IS NULL
            AND s.occurred_at IS NOT NULL)
), up AS (
    INSERT INTO listening_interaction AS t (
        created_at, updated_at, platform, kind, actor_id, target_id, post_id,
        occurred_at
    )
    SELECT %(now)s, %(now)s, platform, kind, actor_id, target_id, post_id,
        occurred_at
    FROM changed
    ON CONFLICT ON CONSTRAINT interaction_natural_key DO UPDATE SET
        occurred_at = EXCLUDED.occurred_at, updated_at = EXCLUDED.updated_at
    WHERE t.occurred_at IS NULL AND EXCLUDED.occurred_at IS NOT NULL
    RETURNING (t.xmax = 0) AS inserted
)
SELECT (SELECT count(*) FROM up WHERE inserted),
    (SELECT count(*) FROM resolved WHERE target_id IS NULL)
"""

# The same rows when they are known to be new (a first load: the posts they concern
# were created by this batch): a plain INSERT, without the natural-key probes and
# the speculative insertion of ON CONFLICT (about a quarter cheaper). Run in a
# savepoint: if any edge exists after all, or the batch holds one edge twice, the
# unique index refuses it at that row, and INTERACTION_UPSERT does the batch.
INTERACTION_INSERT_NEW = f"""
WITH resolved AS ({INTERACTION_RESOLVED}
), ins AS (
    INSERT INTO listening_interaction (
        created_at, updated_at, platform, kind, actor_id, target_id, post_id,
        occurred_at
    )
    SELECT %(now)s, %(now)s, platform, kind, actor_id, target_id, post_id,
        occurred_at
    FROM resolved
    WHERE target_id IS NOT NULL
    RETURNING 1
)
SELECT (SELECT count(*) FROM ins),
    (SELECT count(*) FROM resolved WHERE target_id IS NULL)
"""

# Edges about posts this batch created cannot exist yet: they skip the stage and are
# COPYed straight into the table with ids resolved here (actors and targets by
# natural key, the post and its author from the post insert), as a plain bulk load
# would. This lookup is one index probe per distinct account, not per edge.
ACCOUNT_IDS = """
SELECT k.platform, k.external_id, a.id
FROM pp_stage_accountkey_v1 k
CROSS JOIN LATERAL (
    SELECT a.id FROM influencers_socialaccount a
    WHERE a.platform = k.platform AND a.external_id = k.external_id LIMIT 1
) a
"""
INTERACTION_DIRECT_COLUMNS = (
    "created_at",
    "updated_at",
    "platform",
    "kind",
    "actor_id",
    "target_id",
    "post_id",
    "occurred_at",
)

INTERACTION_UNRESOLVED = f"""
SELECT r.platform, r.kind, r.actor_external_id, r.target_external_id,
    r.post_external_id, r.occurred_at
FROM ({INTERACTION_RESOLVED}) r
WHERE r.target_id IS NULL
"""

QUARANTINE_INSERT = """
INSERT INTO listening_quarantinedrecord (
    created_at, updated_at, run_id, source_id, platform, payload, record_sha256,
    reason, detail, status, resolution_note
)
SELECT %(now)s, %(now)s, %(run_id)s, %(source_id)s, q.platform, q.payload,
    q.record_sha256, q.reason, q.detail, 'open', ''
FROM unnest(%(platforms)s::text[], %(payloads)s::text[], %(hashes)s::text[],
            %(reasons)s::text[], %(details)s::text[])
    AS q(platform, payload, record_sha256, reason, detail)
ON CONFLICT ON CONSTRAINT quarantine_once_per_record DO NOTHING
"""


@dataclass(slots=True)
class BatchCounts:
    """What one batch (or, summed, one run) did to the database."""

    pages: int = 0
    received: int = 0
    posts_staged: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    content_changed: int = 0
    accounts_created: int = 0
    accounts_updated: int = 0
    interactions_staged: int = 0
    interactions_created: int = 0
    snapshots: int = 0
    quarantined: int = 0
    quarantine_new: int = 0

    def add(self, other: BatchCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(slots=True)
class RunState:
    """What the earlier batches of one run tell the next (kept by the caller).

    ``posts_new``: the last batch's posts were all new (a first load), so the next
    batch COPYs its posts straight into the table and lets the unique index find
    any that exist (then it probes, as a replay does from its first batch on).
    """

    posts_new: bool = True
    # account ids found by earlier batches, by (platform, external id): ids never
    # change, so a later batch looks up only the accounts it is the first to need.
    # Bounded (cleared when full). Were an account deleted during the run, the
    # foreign-key check at commit would fail the batch and the retried run starts
    # with an empty map: nothing wrong is ever written.
    account_ids: dict[tuple[str, str], int] = field(default_factory=dict)


ACCOUNT_IDS_KEPT = 200_000


def quarantine_payload(raw: Any) -> str:
    """The text kept for a quarantined record (JSON when possible; never a NUL)."""
    if isinstance(raw, bytes):
        text = raw.decode("utf-8", errors="replace")
    elif isinstance(raw, str):
        text = raw
    else:
        try:
            text = orjson.dumps(
                raw, default=str, option=orjson.OPT_NON_STR_KEYS
            ).decode()
        except (orjson.JSONEncodeError, TypeError):
            text = repr(raw)
    text = text.replace("\x00", "\\u0000")
    return text.encode("utf-8", errors="replace").decode("utf-8")


def _copy(cur: Any, table: str, columns: tuple[str, ...], lines: Any) -> int:
    n = 0
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        buf: list[str] = []
        size = 0
        for line in lines:
            buf.append(line)
            size += len(line)
            n += 1
            if size >= COPY_CHUNK_CHARS:
                copy.write("".join(buf))
                buf.clear()
                size = 0
        if buf:
            copy.write("".join(buf))
    return n


def quarantine_insert(
    cur: Any,
    items: list[QuarantineItem],
    *,
    now: datetime,
    run_id: int | None,
    source_id: int | None,
) -> int:
    """Insert quarantine rows, skipping ones already kept; return how many are new."""
    if not items:
        return 0
    platforms, payloads, hashes, reasons, details = [], [], [], [], []
    for item in items:
        payload = quarantine_payload(item.raw)
        platform = item.platform if isinstance(item.platform, str) else ""
        platforms.append(platform.replace("\x00", "")[:40])
        payloads.append(payload)
        hashes.append(sha256(payload.encode()).hexdigest())
        reasons.append((item.reason or c.PARSE_ERROR)[:40])
        details.append(quarantine_payload(item.detail or ""))
    cur.execute(
        QUARANTINE_INSERT,
        {
            "now": now,
            "run_id": run_id,
            "source_id": source_id,
            "platforms": platforms,
            "payloads": payloads,
            "hashes": hashes,
            "reasons": reasons,
            "details": details,
        },
    )
    return cur.rowcount


def batch_upsert(
    batch: Batch,
    *,
    now: datetime,
    run_id: int | None = None,
    source_id: int | None = None,
    state: RunState | None = None,
) -> BatchCounts:
    """Write ``batch`` with COPY + set-based upserts on Django's connection.

    Must run inside ``transaction.atomic`` (the caller also saves its cursor in the
    same transaction). Idempotent: the same batch a second time creates and updates
    nothing and adds no snapshots or quarantine rows. Returns the counts. ``state``
    carries hints from the run's earlier batches (see ``RunState``); it changes how
    fast a batch is written, never what is written.
    """
    batch.close()  # a no-op for batches from ``iter_batches`` (closed by the parser)
    counts = BatchCounts(
        pages=batch.pages,
        received=batch.received,
        posts_staged=len(batch.posts),
        interactions_staged=len(batch.interactions),
        quarantined=len(batch.quarantine),
    )
    params = {"now": now, "run_id": run_id}
    connection.ensure_connection()
    clock = time.perf_counter
    with connection.connection.cursor() as cur:
        t = clock()
        cur.execute(STAGE_DDL)
        t = _tick("stage_ddl", t)
        account_lines = batch.account_lines()
        t = _tick("account_lines", t)
        if account_lines:
            _copy(cur, "pp_stage_account_v2", ACCOUNT_STAGE_COLUMNS, account_lines)
            t = _tick("account_copy", t)
            cur.execute(ACCOUNT_UPSERT, params)
            created, updated, snaps = cur.fetchone()
            observations = batch.observation_lines()
            if observations:
                _copy(
                    cur,
                    "pp_stage_account_obs_v1",
                    ACCOUNT_OBSERVATION_STAGE_COLUMNS,
                    observations,
                )
                cur.execute(ACCOUNT_HISTORY_SNAPSHOTS, params)
                snaps += cur.rowcount
            t = _tick("account_upsert", t)
            counts.accounts_created, counts.accounts_updated = created, updated
            counts.snapshots += snaps
        new_posts: dict[tuple[str, str], tuple[int, int]] = {}
        known = None
        if state is not None:
            if len(state.account_ids) > ACCOUNT_IDS_KEPT:
                state.account_ids.clear()
            known = state.account_ids
        ids = _AccountIds(cur, batch, known)
        if batch.posts:
            t = _posts_write(
                cur,
                batch,
                counts,
                new_posts,
                ids,
                now=now,
                run_id=run_id,
                state=state,
                t=t,
            )
        quarantine = list(batch.quarantine)
        if batch.interactions:
            staged: list[str] = list(batch.interactions.values())
            unresolved = 0
            if new_posts:
                created, staged = _interactions_copy_new(batch, new_posts, ids, now=now)
                counts.interactions_created += created
                t = _tick("interaction_direct", t)
            if staged:
                _copy(cur, "pp_stage_interaction_v2", INTERACTION_STAGE_COLUMNS, staged)
                t = _tick("interaction_copy", t)
                created, unresolved = _interactions_write(
                    cur, params, fresh=bool(counts.created or counts.accounts_created)
                )
                counts.interactions_created += created
                t = _tick("interaction_upsert", t)
            rows = []
            if unresolved:
                cur.execute(INTERACTION_UNRESOLVED)
                rows = cur.fetchall()
            for row in rows:
                quarantine.append(
                    QuarantineItem(
                        platform=row[0],
                        raw={
                            "platform": row[0],
                            "kind": row[1],
                            "actor_external_id": row[2],
                            "target_external_id": row[3],
                            "post_external_id": row[4],
                            "occurred_at": row[5].isoformat() if row[5] else None,
                        },
                        reason=c.UNRESOLVED_TARGET,
                        detail="no target account and the post is unknown",
                    )
                )
            t = _tick("interaction_unresolved", t)
            counts.quarantined = len(quarantine)
        counts.quarantine_new = quarantine_insert(
            cur, quarantine, now=now, run_id=run_id, source_id=source_id
        )
        _tick("quarantine", t)
    return counts


class _AccountIds:
    """Account ids by (platform, external id), looked up in bulk for one batch: one
    index probe per distinct account, not one per row. ``edges`` is the set of
    (platform, actor or target id) of the batch's edges about a post, gathered once."""

    def __init__(
        self, cur: Any, batch: Batch, known: dict[tuple[str, str], int] | None = None
    ) -> None:
        self.cur = cur
        self.ids: dict[tuple[str, str], int] = {} if known is None else known
        self.asked: set[tuple[str, str]] = set()
        self.edges: set[tuple[str, str]] = set()
        for platform, _, actor, target, post in batch.interactions:
            if post:
                self.edges.add((platform, actor))
                if target:
                    self.edges.add((platform, target))

    def fetch(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Look up the ``keys`` not asked for yet; return every id known."""
        missing = keys - self.asked - self.ids.keys()
        if missing:
            t = time.perf_counter()
            cur = self.cur
            if self.asked:
                cur.execute("DELETE FROM pp_stage_accountkey_v1")
            self.asked |= missing
            _copy(
                cur,
                "pp_stage_accountkey_v1",
                ("platform", "external_id"),
                [f"{platform}\t{copy_escape(key)}\n" for platform, key in missing],
            )
            cur.execute(ACCOUNT_IDS)
            self.ids.update(
                ((platform, external_id), pk)
                for platform, external_id, pk in cur.fetchall()
            )
            _tick("account_ids", t)
        return self.ids


def _interactions_copy_new(
    batch: Batch,
    new_posts: dict[tuple[str, str], tuple[int, int]],
    ids: _AccountIds,
    *,
    now: datetime,
) -> tuple[int, list[str]]:
    """COPY the edges about posts this batch created straight into the table.

    Returns (rows written, stage lines of the other edges). The edges are new (their
    post did not exist), so no upsert is needed; should one be refused anyway (the
    same edge twice in another spelling, a concurrent run), the COPY is rolled back
    to its savepoint and every edge goes through the stage and upsert instead.
    """
    direct: list[tuple[tuple[str, str, str, str, str], str, int, int]] = []
    staged: list[str] = []
    for key, line in batch.interactions.items():
        post = new_posts.get((key[0], key[4])) if key[4] else None
        if post is None:
            staged.append(line)
        else:
            direct.append((key, line, *post))
    if not direct:
        return 0, staged
    known = ids.fetch(ids.edges)
    stamp = now.isoformat()
    head = f"{stamp}\t{stamp}\t"
    lines = []
    for (platform, kind, actor, target, _), line, post_id, author_id in direct:
        actor_id = known.get((platform, actor))
        if actor_id is None:  # never staged as an account: let the upsert decide
            staged.append(line)
            continue
        target_id = (known.get((platform, target)) if target else None) or author_id
        # the COPY text of occurred_at (and the newline) ends the staged line
        occurred = line[line.rindex("\t") :]
        lines.append(
            f"{head}{platform}\t{kind}\t{actor_id}\t{target_id}\t{post_id}{occurred}"
        )
    if not lines:
        return 0, staged
    try:
        with transaction.atomic():  # a savepoint: see the docstring
            written = _copy(
                ids.cur, "listening_interaction", INTERACTION_DIRECT_COLUMNS, lines
            )
    except (IntegrityError, psycopg.IntegrityError):
        return 0, list(batch.interactions.values())
    return written, staged


def _interactions_write(
    cur: Any, params: dict[str, Any], *, fresh: bool
) -> tuple[int, int]:
    """Write the staged interactions; return (created, unresolved).

    ``fresh``: the batch created posts or accounts, so its edges are most likely
    new; try the plain insert first (a replay, which creates nothing, goes straight
    to the upsert and so wastes nothing).
    """
    if fresh:
        try:
            with transaction.atomic():  # a savepoint: see INTERACTION_INSERT_NEW
                cur.execute(INTERACTION_INSERT_NEW, params)
                created, unresolved = cur.fetchone()
            return created, unresolved
        except (IntegrityError, psycopg.IntegrityError):
            pass
    cur.execute(INTERACTION_UPSERT, params)
    created, unresolved = cur.fetchone()
    return created, unresolved


def _posts_write(
    cur: Any,
    batch: Batch,
    counts: BatchCounts,
    new_posts: dict[tuple[str, str], tuple[int, int]],
    ids: _AccountIds,
    *,
    now: datetime,
    run_id: int | None,
    state: RunState | None,
    t: float,
) -> float:
    """Write the batch's posts: probe keys, COPY the new ones, upsert the changed.

    After a batch whose posts were all new (``state.posts_new``) the probe is
    skipped: the posts are COPYed straight away, and if the unique index refuses
    one (it exists), the COPY is rolled back to its savepoint and the batch takes
    the probe path. Fills ``new_posts`` with (post id, author id) of every post
    COPYed as new.
    """
    if state is not None and state.posts_new:
        if _posts_insert_optimistic(cur, batch, new_posts, ids, now=now, run_id=run_id):
            counts.created += len(new_posts)
            counts.snapshots += len(new_posts)
            counts.unchanged = len(batch.posts) - counts.created
            return _tick("post_insert", t)
        state.posts_new = False
        t = _tick("post_insert_refused", t)
    _copy(cur, "pp_stage_postkey_v1", POST_KEY_STAGE_COLUMNS, batch.post_key_lines())
    t = _tick("post_key_copy", t)
    cur.execute(POST_PROBE)
    probed = cur.fetchall()
    t = _tick("post_probe", t)
    new = [
        (platform, external_id, author)
        for platform, external_id, author, post in probed
        if post is None
    ]
    changed = [
        (platform, external_id)
        for platform, external_id, _, post in probed
        if post is not None
    ]
    if new:
        try:
            with transaction.atomic():  # a savepoint: see the except clause
                ids = _posts_insert(cur, batch, new, now=now, run_id=run_id)
            counts.created += len(new)
            for post_id, (platform, external_id, author_id) in zip(
                ids, new, strict=True
            ):
                new_posts[(platform, external_id)] = (post_id, author_id)
            counts.snapshots += len(new)
        except (IntegrityError, psycopg.IntegrityError):
            # Another run inserted some of these posts since the probe: let the
            # upsert sort them out.
            changed.extend((platform, external_id) for platform, external_id, _ in new)
        t = _tick("post_insert", t)
    if changed:
        _copy(cur, "pp_stage_post_v2", POST_STAGE_COLUMNS, batch.post_lines(changed))
        t = _tick("post_copy", t)
        cur.execute(POST_UPSERT, {"now": now, "run_id": run_id})
        created, updated, content_changed, snaps = cur.fetchone()
        t = _tick("post_upsert", t)
        counts.created += created
        counts.updated += updated
        counts.content_changed += content_changed
        counts.snapshots += snaps
    counts.unchanged = len(batch.posts) - counts.created - counts.updated
    if state is not None:
        state.posts_new = counts.created == len(batch.posts)
    return t


def _posts_insert_optimistic(
    cur: Any,
    batch: Batch,
    new_posts: dict[tuple[str, str], tuple[int, int]],
    ids: _AccountIds,
    *,
    now: datetime,
    run_id: int | None,
) -> bool:
    """COPY every post of ``batch`` as new, without probing; False (and nothing
    written) if one exists already or an author is unknown. The authors, actors and
    targets are looked up together (the edges of these posts need them next)."""
    posts = batch.posts
    authors = {row.author: copy_unescape(row.author) for row in posts.values()}
    wanted = {(platform, authors[row.author]) for (platform, _), row in posts.items()}
    known = ids.fetch(wanted | ids.edges)
    new = []
    for (platform, external_id), row in posts.items():
        author_id = known.get((platform, authors[row.author]))
        if author_id is None:
            return False
        new.append((platform, external_id, author_id))
    t = time.perf_counter()
    try:
        with transaction.atomic():  # a savepoint: see the docstring
            post_ids = _posts_insert(cur, batch, new, now=now, run_id=run_id)
            t = time.perf_counter()
    except (IntegrityError, psycopg.IntegrityError):
        return False
    _tick("post_savepoint_release", t)
    for post_id, (platform, external_id, author_id) in zip(post_ids, new, strict=True):
        new_posts[(platform, external_id)] = (post_id, author_id)
    return True


def _posts_insert(
    cur: Any,
    batch: Batch,
    new: list[tuple[str, str, int]],
    *,
    now: datetime,
    run_id: int | None,
) -> list[int]:
    """COPY posts known to be new, with ids from the table's sequence, and their
    first metric snapshots; return the ids (in the order of ``new``)."""
    t = time.perf_counter()
    cur.execute(POST_SEQUENCE)
    sequence = pgsql.Literal(cur.fetchone()[0])
    cur.execute(pgsql.SQL(POST_NEW_IDS).format(sequence=sequence), {"n": len(new)})
    ids = [row[0] for row in cur.fetchall()]
    t = _tick("post_ids", t)
    stamp = now.isoformat()
    run = NULL if run_id is None else str(run_id)
    tail = f"\t{stamp}\t{stamp}\t{stamp}\t{stamp}\t{run}\n"
    posts = batch.posts
    rows = [posts[(platform, external_id)] for platform, external_id, _ in new]
    _copy(
        cur,
        "listening_post",
        POST_DIRECT_COLUMNS,
        (
            f"{post_id}\t{author_id}\t{platform}\t{row.external_id}\t{row.body}{tail}"
            for post_id, (platform, _, author_id), row in zip(
                ids, new, rows, strict=True
            )
        ),
    )
    t = _tick("post_copy", t)
    _copy(
        cur,
        "listening_metricsnapshot",
        SNAPSHOT_DIRECT_COLUMNS,
        (
            f"{post_id}\t{row.observed_text}\t{row.counters}\t{run}\n"
            for post_id, row in zip(ids, rows, strict=True)
        ),
    )
    _tick("snapshot_copy", t)
    return ids


def _tick(step: str, started: float) -> float:
    now = time.perf_counter()
    TIMINGS[step] += now - started
    return now
