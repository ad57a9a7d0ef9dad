"""A synthetic scoring world in its own PostgreSQL database, written with binary COPY.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/pp_h4 \\
        .venv/bin/python bench/score_world.py --accounts 100000 --interactions 1000000

Creates (or reuses) the database ``<name of DATABASE_URL>_bench_score_<size>`` on the
same server, runs the migrations and ``load_nucc`` into it (``manage.py`` in a
subprocess pointed at it), then writes one world:

* ``Specialty``: the real NUCC codes; ``K = accounts / 500`` individual codes (at most
  the 698 there are) carry the world, with Zipf(0.8) sizes;
* ``SocialAccount``: ``accounts`` rows, Bluesky 70 % / Mastodon 30 %, heavy-tailed
  followers (log-normal times popularity), following, posts count, creation date, bio;
* ``Clinician``: 16 % of the accounts, valid NPIs (vectorised Luhn with the 80840
  prefix), individual, active, verified, generated, primary taxonomy = the account's
  specialty; 88 % of those accounts are linked (``npi_in_bio``, confidence 0.95);
* ``Interaction``: exactly ``interactions`` engagement edges (like 55 %, repost 15 %,
  reply 15 %, mention 10 %, quote 5 %), Chung-Lu with power-law activity and
  popularity (the ``make_graph`` of ``notes/perf-graph.md``): 70 % of the edges stay
  in the actor's specialty (latent for accounts without a clinician), 15 % answered
  back, actor and target on the same platform, never self; ``post`` is a post of the
  target (none for mentions), ``occurred_at`` after that post; unique per
  (kind, actor, target, post);
* ``Post``: ``max(interactions / 4, ...)`` posts inside the 180-day window, every
  engaged target has one; a tenth are replies (``reply_to`` / ``root`` external ids)
  written at the time of the reply edge; counters from the edges; 25 % on topic;
* ``MetricSnapshot``: 2-4 per account (1 % with a follower spike); ``Finding``: 0.2 %
  of the posts (10 % critical);
* one ``TherapeuticArea`` and one ``Program`` (slug ``bench-score``) targeting the
  three largest specialties and two others, window ending at the world's end.

Rows are generated with numpy and sent as binary COPY built by vectorised byte
scatter (no per-row Python), with the secondary indexes and foreign keys of the big
tables dropped during the load and rebuilt after. The parameters are stored in the
table ``bench_score_world`` at the end: a later call with the same parameters reuses
the database (``--force`` regenerates).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GENERATOR_VERSION = 1
PROGRAM_SLUG = "bench-score"
WINDOW_END = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW_DAYS = 180
US = 1_000_000
DAY_US = 86_400 * US
PG_EPOCH_US = 946_684_800 * US  # 2000-01-01 in Unix microseconds
KINDS = ("reply", "quote", "repost", "like", "mention")
KIND_P = (0.15, 0.05, 0.15, 0.55, 0.10)
MENTION = KINDS.index("mention")
REPLY = KINDS.index("reply")
PLATFORMS = ("bluesky", "mastodon")
BIG_TABLES = (
    "influencers_clinician",
    "influencers_socialaccount",
    "listening_post",
    "listening_interaction",
    "listening_metricsnapshot",
    "compliance_finding",
)
LEXICON = ["anticoagulation", "afib", "atrial fibrillation", "DOAC", "stroke risk"]
HASHTAGS = ["afib", "anticoagulation", "cardiology", "stroke"]
TOPICAL_TEXTS = [
    "New data on anticoagulation after TAVR, thread below.",
    "AFib patients ask about stroke risk every week: here is how I explain it.",
    "DOAC dosing in kidney disease is still confusing, a short primer.",
    "Atrial fibrillation screening with wearables: what the trials show.",
]
OTHER_TEXTS = [
    "Grand rounds today, great discussion.",
    "Reading on call tonight.",
    "Beautiful run before clinic.",
    "Residents did an amazing job this month.",
    "Journal club: the new heart failure guideline.",
    "Statins and muscle symptoms: mostly nocebo, a summary.",
    "Vaccination clinic was packed this morning.",
    "Teaching point: always check the ECG yourself.",
]
SPONSORED_TEXTS = [
    "#ad Thanks to our partner for supporting this education series.",
    "Proud to be a speaker for this program. Paid partnership.",
]
TAG_LISTS = [[], [], [], ["cardiology"], ["afib", "cardiology"], ["medsky"]]
BIOS = [
    "",
    "Physician. Views my own.",
    "Nurse practitioner | cardiology | coffee",
    "Pharmacist, runner, dad.",
    "Health news and more.",
    "Internal medicine resident. Tweets are not medical advice.",
]
FIRST = ["Ana", "Ben", "Chen", "Dana", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo"]
LAST = ["Rivera", "Smith", "Okafor", "Nguyen", "Kowalski", "Haddad", "Lee", "Patel"]


# ------------------------------------------------------------------ database helpers


def bench_database_url(base_url: str, accounts: int, interactions: int) -> str:
    """``base_url`` with the database renamed ``<name>_bench_score_<size>``."""
    parts = urlsplit(base_url)
    name = parts.path.lstrip("/") or "postgres"
    bench = f"{name}_bench_score_{size_tag(accounts)}_{size_tag(interactions)}"
    return urlunsplit(parts._replace(path="/" + bench))


def size_tag(n: int) -> str:
    for unit, div in (("m", 1_000_000), ("k", 1_000)):
        if n >= div and n % div == 0:
            return f"{n // div}{unit}"
    return str(n)


def _connect(url: str, **kwargs):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or "",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname=parts.path.lstrip("/"),
        **kwargs,
    )


def _server_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def world_params(accounts: int, interactions: int, seed: int) -> dict:
    return {
        "accounts": accounts,
        "interactions": interactions,
        "seed": seed,
        "version": GENERATOR_VERSION,
    }


def world_stored(url: str) -> dict | None:
    """The parameters stored in the bench database, None when it has none."""
    import psycopg

    try:
        with _connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT to_regclass('bench_score_world') IS NOT NULL")
            if not cur.fetchone()[0]:
                return None
            cur.execute("SELECT params, counts, seconds FROM bench_score_world")
            row = cur.fetchone()
            return (
                {"params": row[0], "counts": row[1], "seconds": row[2]} if row else None
            )
    except psycopg.OperationalError:
        return None


def manage(url: str, *args: str) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-only"),
    }
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


def world_ensure(
    base_url: str,
    *,
    accounts: int,
    interactions: int,
    seed: int = 7,
    force: bool = False,
    log=print,
) -> dict:
    """The bench database of these parameters, generated when missing or different.
    Returns ``{"url", "params", "counts", "seconds", "generated"}``."""
    url = bench_database_url(base_url, accounts, interactions)
    params = world_params(accounts, interactions, seed)
    stored = None if force else world_stored(url)
    if stored and stored["params"] == params:
        return {"url": url, **stored, "generated": False}
    name = urlsplit(url).path.lstrip("/")
    log(
        f"generating world {name}: {accounts:,} accounts, {interactions:,} interactions"
    )
    started = time.perf_counter()
    with _connect(_server_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    manage(url, "migrate", "--verbosity", "0")
    manage(url, "load_nucc")
    setup = time.perf_counter() - started
    log(f"  database, migrations, NUCC: {setup:.1f} s")
    counts, steps = world_write(url, accounts, interactions, seed, log=log)
    seconds = time.perf_counter() - started
    with _connect(url) as conn:
        conn.execute(
            "CREATE TABLE bench_score_world (params jsonb, counts jsonb, "
            "seconds float8, created_at timestamptz DEFAULT now())"
        )
        conn.execute(
            "INSERT INTO bench_score_world (params, counts, seconds) VALUES (%s, %s, %s)",
            (json.dumps(params), json.dumps(counts), seconds),
        )
    log(f"  world written in {seconds:.1f} s ({', '.join(steps)})")
    return {
        "url": url,
        "params": params,
        "counts": counts,
        "seconds": seconds,
        "generated": True,
    }


# ------------------------------------------------------ vectorised binary COPY writer


@dataclass
class Text:
    """A text column: row ``i`` is ``mat[i, :lens[i]]`` (UTF-8); ``lens[i] == -1``
    is NULL."""

    mat: np.ndarray  # (n, width) uint8
    lens: np.ndarray  # (n,) int32

    def __len__(self) -> int:
        return len(self.lens)


def vocab(strings: list[str], codes: np.ndarray, prefix: bytes = b"") -> Text:
    """Row ``i`` = ``prefix + strings[codes[i]]``."""
    encoded = [prefix + s.encode() for s in strings]
    width = max(1, max(len(e) for e in encoded))
    table = np.zeros((len(encoded), width), np.uint8)
    for i, e in enumerate(encoded):
        table[i, : len(e)] = np.frombuffer(e, np.uint8)
    lens = np.array([len(e) for e in encoded], np.int32)
    return Text(table[codes], lens[codes])


def const(value: str, n: int) -> Text:
    return vocab([value], np.zeros(n, np.int64))


def digits(values: np.ndarray, width: int) -> Text:
    """Zero-padded decimal text of ``values`` (non-negative, fewer than ``width``
    digits)."""
    values = np.asarray(values, np.int64)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    mat = ((values[:, None] // powers) % 10 + 48).astype(np.uint8)
    return Text(mat, np.full(len(values), width, np.int32))


def hexes(rng: np.random.Generator, n: int, nbytes: int = 32) -> Text:
    raw = rng.integers(0, 256, (n, nbytes), dtype=np.uint8)
    table = np.frombuffer(b"0123456789abcdef", np.uint8)
    mat = np.empty((n, nbytes * 2), np.uint8)
    mat[:, 0::2] = table[raw >> 4]
    mat[:, 1::2] = table[raw & 15]
    return Text(mat, np.full(n, nbytes * 2, np.int32))


def cat(*pieces: Text) -> Text:
    """Row-wise concatenation (NULL counts as empty)."""
    n = len(pieces[0])
    width = sum(p.mat.shape[1] for p in pieces)
    out = np.zeros((n, width), np.uint8)
    offset = np.zeros(n, np.int64)
    for p in pieces:
        lens = np.maximum(p.lens, 0)
        mask = np.arange(p.mat.shape[1]) < lens[:, None]
        rows, cols = np.nonzero(mask)
        out[rows, offset[rows] + cols] = p.mat[rows, cols]
        offset += lens
    return Text(out, offset.astype(np.int32))


def where(cond: np.ndarray, a: Text, b: Text) -> Text:
    width = max(a.mat.shape[1], b.mat.shape[1])
    mat = np.zeros((len(cond), width), np.uint8)
    mat[:, : a.mat.shape[1]] = np.where(cond[:, None], a.mat, 0)
    other = np.where(~cond[:, None], b.mat, 0)
    mat[:, : b.mat.shape[1]] |= other
    return Text(mat, np.where(cond, a.lens, b.lens).astype(np.int32))


def take(column, rows: np.ndarray):
    if isinstance(column, Text):
        return Text(column.mat[rows], column.lens[rows])
    if isinstance(column, tuple):  # (values, null mask)
        return (column[0][rows], column[1][rows])
    if isinstance(column, np.ndarray):
        return column[rows]
    return column  # scalar


_FIXED = {
    "bigint": ">i8",
    "integer": ">i4",
    "smallint": ">i2",
    "double precision": ">f8",
    "boolean": "u1",
    "timestamp with time zone": ">i8",
    "date": ">i4",
}


def _encode(pg_type: str, value, n: int) -> tuple[np.ndarray, np.ndarray]:
    """One column as ``(mat (n, w) uint8, lens (n,) int32)``, -1 = NULL."""
    if value is None:
        return np.zeros((n, 0), np.uint8), np.full(n, -1, np.int32)
    nulls = None
    if isinstance(value, tuple):
        value, nulls = value
    base = pg_type.split("(")[0]
    if base in _FIXED:
        dtype = np.dtype(_FIXED[base])
        if isinstance(value, (int, float, bool, np.integer, np.floating)):
            value = np.full(n, value)
        value = np.asarray(value)
        if base == "timestamp with time zone":
            value = value.astype(np.int64) - PG_EPOCH_US  # from Unix microseconds
        elif base == "date":
            value = (value.astype(np.int64) - PG_EPOCH_US) // DAY_US
        mat = value.astype(dtype).view(np.uint8).reshape(n, dtype.itemsize)
        lens = np.full(n, dtype.itemsize, np.int32)
    else:
        prefix = b"\x01" if base == "jsonb" else b""
        if isinstance(value, str):
            value = vocab([value], np.zeros(n, np.int64), prefix)
        elif prefix:
            value = cat(const("\x01", n), value)
        mat, lens = value.mat, value.lens.copy()
    if nulls is not None:
        lens[nulls] = -1
    return mat, lens


def _put(buf: np.ndarray, pos: np.ndarray, mat: np.ndarray) -> None:
    buf[pos[:, None] + np.arange(mat.shape[1])] = mat


def binary_rows(encoded: list[tuple[np.ndarray, np.ndarray]]) -> bytes:
    n = len(encoded[0][1])
    sizes = [np.maximum(lens, 0).astype(np.int64) for _, lens in encoded]
    row_len = 2 + sum(4 + s for s in sizes)
    starts = np.concatenate([[0], np.cumsum(row_len)])
    buf = np.empty(int(starts[-1]), np.uint8)
    pos = starts[:-1].copy()
    count = np.full(n, len(encoded), ">i2").view(np.uint8).reshape(n, 2)
    _put(buf, pos, count)
    pos += 2
    for (mat, lens), size in zip(encoded, sizes, strict=True):
        _put(buf, pos, lens.astype(">i4").view(np.uint8).reshape(n, 4))
        pos += 4
        width = mat.shape[1]
        if width:
            if (lens == width).all():
                _put(buf, pos, mat)
            else:
                rows, cols = np.nonzero(np.arange(width) < size[:, None])
                buf[pos[rows] + cols] = mat[rows, cols]
        pos += size
    return buf.tobytes()


def table_columns(cur, table: str) -> list[tuple[str, str, bool]]:
    cur.execute(
        "SELECT attname, format_type(atttypid, atttypmod), attnotnull "
        "FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum",
        (table,),
    )
    return cur.fetchall()


def _default(pg_type: str, now_us: int):
    base = pg_type.split("(")[0]
    if base in ("character varying", "text"):
        return ""
    if base == "jsonb":
        return "{}"
    if base == "boolean":
        return False
    if base == "timestamp with time zone":
        return now_us
    if base in _FIXED:
        return 0
    raise ValueError(f"no default for a NOT NULL column of type {pg_type}")


def copy_table(cur, table: str, n: int, columns: dict, chunk: int = 250_000) -> int:
    """COPY ``n`` rows into ``table``: ``columns`` maps a column to a numpy array, a
    ``Text``, a ``(values, null_mask)`` tuple or a scalar; NOT NULL columns left out
    get ``''`` / 0 / false / ``'{}'`` / now, nullable ones NULL."""
    now_us = int(time.time() * US)
    spec = table_columns(cur, table)
    unknown = set(columns) - {name for name, _, _ in spec}
    if unknown:
        raise ValueError(f"{table} has no columns {sorted(unknown)}")
    names, values = [], []
    for name, pg_type, not_null in spec:
        if name in columns:
            value = columns[name]
        elif not_null:
            value = _default(pg_type, now_us)
        else:
            continue
        names.append((name, pg_type))
        values.append(value)
    sql = f"COPY {table} ({', '.join(n for n, _ in names)}) FROM STDIN (FORMAT BINARY)"
    with cur.copy(sql) as copy:
        copy.write(b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8)
        for start in range(0, n, chunk):
            rows = np.arange(start, min(n, start + chunk))
            encoded = [
                _encode(pg_type, take(value, rows), len(rows))
                for (_, pg_type), value in zip(names, values, strict=True)
            ]
            copy.write(binary_rows(encoded))
        copy.write(b"\xff\xff")
    return n


def constraints_drop(cur, tables: tuple[str, ...]) -> list[str]:
    """Drop the foreign keys, unique constraints and secondary indexes of ``tables``
    (primary keys stay); return the statements that restore them, in order."""
    indexes, uniques, fkeys = [], [], []
    for table in tables:
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f')",
            (table,),
        )
        for name, definition, kind in cur.fetchall():
            target = fkeys if kind == "f" else uniques
            target.append(
                (
                    table,
                    name,
                    f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}',
                )
            )
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = %s::regclass)",
            (table, table),
        )
        indexes += [(table, name, definition) for name, definition in cur.fetchall()]
    for table, name, _ in fkeys + uniques:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for _, name, _ in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    return (
        [d for _, _, d in indexes]
        + [d for _, _, d in uniques]
        + [d for _, _, d in fkeys]
    )


# ------------------------------------------------------------------------ generation


def npis(rng: np.random.Generator, n: int) -> Text:
    """``n`` distinct valid NPIs (1 + 8 random digits + Luhn check digit over
    80840 + the first nine)."""
    body = 100_000_000 + rng.choice(100_000_000, size=n, replace=False)  # "1" + 8
    d = digits(body, 9).mat.astype(np.int64) - 48
    # Luhn over "80840" + 9 digits, check digit appended: from the right of the
    # payload the digits at even positions (0 = next to the check digit) are doubled.
    payload = np.concatenate([np.tile([8, 0, 8, 4, 0], (n, 1)), d], axis=1)
    doubled = (np.arange(payload.shape[1])[::-1] % 2) == 0
    vals = np.where(doubled, payload * 2, payload)
    vals = np.where(vals > 9, vals - 9, vals)
    check = (10 - vals.sum(axis=1) % 10) % 10
    return Text(
        np.concatenate([d, check[:, None]], axis=1).astype(np.uint8) + 48,
        np.full(n, 10, np.int32),
    )


def zipf_groups(rng, n: int, k: int) -> np.ndarray:
    p = 1.0 / np.arange(1, k + 1) ** 0.8
    return rng.choice(k, size=n, p=p / p.sum()).astype(np.int64)


def sample_edges(rng, count, cdf_out, comm, order, cum_in, lo, hi, platform):
    """``count`` raw Chung-Lu draws: (actor, target, kind), same platform, no loops."""
    n = len(comm)
    src = np.minimum(np.searchsorted(cdf_out, rng.random(count), "right"), n - 1)
    u = rng.random(count)
    intra = rng.random(count) < 0.7
    c = comm[src]
    t = np.where(intra, lo[c] + u * (hi[c] - lo[c]), u * cum_in[-1])
    dst = order[np.minimum(np.searchsorted(cum_in, t, "right"), n - 1)]
    back = rng.random(count) < 0.15
    s2 = np.concatenate([src, dst[back]])
    d2 = np.concatenate([dst, src[back]])
    keep = (s2 != d2) & (platform[s2] == platform[d2])
    kinds = rng.choice(len(KINDS), size=int(keep.sum()), p=KIND_P)
    return s2[keep], d2[keep], kinds


def world_write(
    url: str, n: int, m: int, seed: int, log=print
) -> tuple[dict, list[str]]:
    rng = np.random.default_rng(seed)
    steps: list[str] = []
    t0 = time.perf_counter()
    end_us = int(WINDOW_END.timestamp() * US)
    start_us = end_us - WINDOW_DAYS * DAY_US
    now_us = int(time.time() * US)

    with _connect(url) as conn, conn.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SET max_parallel_maintenance_workers = 2")
        cur.execute(
            "SELECT id, code FROM influencers_specialty WHERE section = 'Individual' "
            "ORDER BY code"
        )
        specialties = cur.fetchall()
        k = int(min(len(specialties), max(8, n // 500)))
        chosen = [
            specialties[i] for i in rng.choice(len(specialties), k, replace=False)
        ]
        spec_ids = np.array([s[0] for s in chosen], np.int64)
        spec_codes = [s[1] for s in chosen]

        # ------------------------------------------------------------- accounts
        ids = np.arange(1, n + 1, dtype=np.int64)
        comm = zipf_groups(rng, n, k)
        platform = (rng.random(n) < 0.3).astype(np.int64)  # 0 bluesky, 1 mastodon
        cap = np.sqrt(n) * 20
        w_out = np.minimum(rng.pareto(1.5, n) + 1, cap)
        w_out[rng.random(n) < 0.2] = 0.0
        w_in = np.minimum(rng.pareto(1.1, n) + 1, cap)
        n_clin = int(round(0.16 * n))
        clin_account = np.sort(rng.choice(n, n_clin, replace=False))
        linked = rng.random(n_clin) < 0.88
        clinician_of = np.full(n, -1, np.int64)
        clinician_of[clin_account[linked]] = np.flatnonzero(linked) + 1
        has_clin = clinician_of > 0
        followers = np.minimum(
            rng.lognormal(6.3, 1.6, n) * w_in**0.7, 5_000_000
        ).astype(np.int64)
        following = np.minimum(rng.lognormal(5.5, 1.0, n), 100_000).astype(np.int64)
        posts_count = np.minimum(rng.lognormal(5.0, 1.5, n), 500_000).astype(np.int64)
        recent = rng.random(n) < 0.05
        created = np.where(
            recent,
            start_us + (rng.random(n) * WINDOW_DAYS * DAY_US).astype(np.int64),
            end_us - ((30 + rng.random(n) * 3650) * DAY_US).astype(np.int64),
        )

        # ------------------------------------------------------------- edges
        order = np.argsort(comm, kind="stable")
        cum_in = np.cumsum(w_in[order])
        base = np.concatenate([[0.0], cum_in])
        comm_sorted = comm[order]
        lo = base[np.searchsorted(comm_sorted, np.arange(k), "left")]
        hi = base[np.searchsorted(comm_sorted, np.arange(k), "right")]
        cdf_out = np.cumsum(w_out)
        cdf_out /= cdf_out[-1]
        graph = (cdf_out, comm, order, cum_in, lo, hi, platform)
        src, dst, kind = sample_edges(rng, int(m * 1.3), *graph)

        # posts: one per engaged target, the rest by popularity
        n_posts = max(m // 4, 1)
        targets = np.unique(dst[kind != MENTION])
        if len(targets) > n_posts * 0.8:
            n_posts = int(len(targets) / 0.8)
        per_author = np.zeros(n, np.int64)
        per_author[targets] = 1
        rest = n_posts - len(targets)
        p = w_in * (w_out > 0) + 0.2 * w_in
        per_author += rng.multinomial(rest, p / p.sum())
        author = np.repeat(np.arange(n), per_author)  # 0-based account index
        n_posts = len(author)
        first_post = np.concatenate([[0], np.cumsum(per_author)[:-1]])
        posted = start_us + (rng.random(n_posts) * (WINDOW_DAYS - 1) * DAY_US).astype(
            np.int64
        )

        def post_of(account: np.ndarray) -> np.ndarray:
            return first_post[account] + (
                rng.random(len(account)) * per_author[account]
            ).astype(np.int64)

        def edges_keyed(src, dst, kind):
            ok = (kind == MENTION) | (per_author[dst] > 0)
            src, dst, kind = src[ok], dst[ok], kind[ok]
            post = np.where(kind == MENTION, -1, post_of(dst))
            key = (kind << 58) | (src << 29) | np.where(kind == MENTION, dst, post)
            return src, dst, kind, post, key

        src, dst, kind, post, key = edges_keyed(src, dst, kind)
        key, first = np.unique(key, return_index=True)
        src, dst, kind, post = src[first], dst[first], kind[first], post[first]
        while len(key) < m:
            extra_draws = int((m - len(key)) * 1.5) + 1000
            more = edges_keyed(*sample_edges(rng, extra_draws, *graph))
            key2 = np.concatenate([key, more[4]])
            key, first = np.unique(key2, return_index=True)
            src = np.concatenate([src, more[0]])[first]
            dst = np.concatenate([dst, more[1]])[first]
            kind = np.concatenate([kind, more[2]])[first]
            post = np.concatenate([post, more[3]])[first]
        pick = np.sort(rng.choice(len(key), m, replace=False))
        src, dst, kind, post = src[pick], dst[pick], kind[pick], post[pick]
        del key, first, pick
        perm = rng.permutation(m)  # database ids unrelated to structure
        src, dst, kind, post = src[perm], dst[perm], kind[perm], post[perm]

        # replies: a tenth of the posts answer a reply edge's post (depth 1)
        reply_to = np.full(n_posts, -1, np.int64)
        is_reply_edge = np.flatnonzero((kind == REPLY) & (per_author[src] > 0))
        is_reply_edge = is_reply_edge[
            rng.permutation(len(is_reply_edge))[: n_posts // 10]
        ]
        child = post_of(src[is_reply_edge])
        parent = post[is_reply_edge]
        child, first = np.unique(child, return_index=True)
        parent, reply_edge = parent[first], is_reply_edge[first]
        ok = ~np.isin(parent, child)
        child, parent, reply_edge = child[ok], parent[ok], reply_edge[ok]

        # times: posts uniform in the window, engagement after its post
        delay = (rng.lognormal(np.log(3 * 3600), 1.5, m) * US).astype(np.int64)
        base_t = np.where(post >= 0, posted[np.maximum(post, 0)], start_us)
        room = end_us - 1 - base_t
        occurred = np.where(
            kind == MENTION,
            start_us + (rng.random(m) * WINDOW_DAYS * DAY_US).astype(np.int64),
            base_t
            + np.where(delay < room, delay, (rng.random(m) * room).astype(np.int64)),
        )
        posted[child] = occurred[reply_edge]
        reply_to[child] = parent
        # edges on a reply post happen after it (its time moved)
        moved = (post >= 0) & (reply_to[np.maximum(post, 0)] >= 0)
        base_t = posted[np.maximum(post, 0)]
        room = end_us - 1 - base_t
        occurred = np.where(
            moved,
            base_t + (rng.random(m) * np.minimum(room, delay)).astype(np.int64),
            occurred,
        )
        counters = {
            name: np.bincount(
                post[(kind == KINDS.index(name)) & (post >= 0)], minlength=n_posts
            )
            for name in ("like", "repost", "reply", "quote")
        }
        steps.append(f"generate {time.perf_counter() - t0:.1f} s")
        log(
            f"  generated {n:,} accounts, {n_posts:,} posts, {m:,} edges in "
            f"{time.perf_counter() - t0:.1f} s (peak RSS {peak_rss_mb():,.0f} MB)"
        )

        # ------------------------------------------------------------- COPY
        t1 = time.perf_counter()
        restore = constraints_drop(cur, BIG_TABLES)
        npi = npis(rng, n_clin)
        clin_idx = np.arange(n_clin)
        spec_of_clin = comm[clin_account]
        copy_table(
            cur,
            "influencers_clinician",
            n_clin,
            {
                "id": clin_idx + 1,
                "npi": npi,
                "entity_type": 1,
                "first_name": vocab(FIRST, rng.integers(0, len(FIRST), n_clin)),
                "last_name": vocab(LAST, rng.integers(0, len(LAST), n_clin)),
                "credential": vocab(
                    ["MD", "DO", "NP", "PharmD", "RN"], rng.integers(0, 5, n_clin)
                ),
                "primary_taxonomy_code": vocab(spec_codes, spec_of_clin),
                "primary_specialty_id": spec_ids[spec_of_clin],
                "npi_status": "active",
                "identity_status": "verified",
                "source": "generated",
                "enumeration_date": end_us - 3000 * DAY_US,
            },
        )

        bsky = platform == 0
        ext = where(
            bsky,
            cat(const("did:plc:bench", n), digits(ids, 12)),
            cat(const("https://bench.social/users/u", n), digits(ids, 9)),
        )
        handle = where(
            bsky,
            cat(const("u", n), digits(ids, 9), const(".bsky.social", n)),
            cat(const("u", n), digits(ids, 9), const("@bench.social", n)),
        )
        clin_npi = Text(np.zeros((n, 10), np.uint8), np.zeros(n, np.int32))
        clin_npi.mat[has_clin] = npi.mat[clinician_of[has_clin] - 1]
        clin_npi.lens[has_clin] = 10
        bio = where(
            has_clin,
            cat(const("Physician | NPI ", n), clin_npi, const(" | views my own", n)),
            vocab(BIOS, rng.integers(0, len(BIOS), n)),
        )
        copy_table(
            cur,
            "influencers_socialaccount",
            n,
            {
                "id": ids,
                "platform": vocab(list(PLATFORMS), platform),
                "external_id": ext,
                "handle": handle,
                "bio": bio,
                "followers_count": followers,
                "following_count": following,
                "posts_count": posts_count,
                "account_created_at": created,
                "is_verified": False,
                "clinician_id": (clinician_of, ~has_clin),
                "link_method": vocab(["", "npi_in_bio"], has_clin.astype(np.int64)),
                "link_confidence": (np.full(n, 0.95), ~has_clin),
                "link_status": "unreviewed",
                "content_sha256": hexes(rng, n),
            },
        )
        del ext, handle, bio, clin_npi
        log(f"  accounts + clinicians copied ({time.perf_counter() - t1:.1f} s)")

        post_ids = np.arange(1, n_posts + 1, dtype=np.int64)
        ptext_kind = rng.random(n_posts)
        texts = TOPICAL_TEXTS + OTHER_TEXTS + SPONSORED_TEXTS
        code = np.where(
            ptext_kind < 0.25,
            rng.integers(0, len(TOPICAL_TEXTS), n_posts),
            np.where(
                ptext_kind < 0.99,
                len(TOPICAL_TEXTS) + rng.integers(0, len(OTHER_TEXTS), n_posts),
                len(TOPICAL_TEXTS) + len(OTHER_TEXTS) + rng.integers(0, 2, n_posts),
            ),
        )
        tags = rng.integers(0, len(TAG_LISTS), n_posts)
        post_platform = platform[author]
        post_ext = where(
            post_platform == 0,
            cat(const("at://bench/post/", n_posts), digits(post_ids, 10)),
            cat(const("https://bench.social/statuses/", n_posts), digits(post_ids, 10)),
        )
        has_parent = reply_to >= 0
        parent_ext = Text(
            post_ext.mat[np.maximum(reply_to, 0)],
            np.where(has_parent, post_ext.lens[np.maximum(reply_to, 0)], 0).astype(
                np.int32
            ),
        )
        jitter = (rng.random(n_posts) * 600 * US).astype(np.int64)
        extra = 1 + rng.random(n_posts) * 2
        copy_table(
            cur,
            "listening_post",
            n_posts,
            {
                "id": post_ids,
                "platform": vocab(list(PLATFORMS), post_platform),
                "external_id": post_ext,
                "author_id": ids[author],
                "text": vocab(texts, code),
                "language": "en",
                "posted_at": posted,
                "reply_to_external_id": parent_ext,
                "root_external_id": parent_ext,
                "hashtags": vocab([json.dumps(t) for t in TAG_LISTS], tags),
                "mentions": "[]",
                "links": "[]",
                "likes": (counters["like"] * extra).astype(np.int64),
                "reposts": (counters["repost"] * extra).astype(np.int64),
                "replies": (counters["reply"] * extra).astype(np.int64),
                "quotes": (counters["quote"] * extra).astype(np.int64),
                "content_sha256": hexes(rng, n_posts),
                "first_seen_at": posted + jitter,
                "content_changed_at": posted + jitter,
                "raw": "{}",
            },
        )
        del post_ext, parent_ext
        log(f"  posts copied ({time.perf_counter() - t1:.1f} s)")

        copy_table(
            cur,
            "listening_interaction",
            m,
            {
                "id": np.arange(1, m + 1, dtype=np.int64),
                "platform": vocab(list(PLATFORMS), platform[dst]),
                "kind": vocab(list(KINDS), kind),
                "actor_id": ids[src],
                "target_id": ids[dst],
                "post_id": (post + 1, post < 0),
                "occurred_at": occurred,
            },
        )
        log(f"  interactions copied ({time.perf_counter() - t1:.1f} s)")

        snaps = rng.integers(2, 5, n)
        who = np.repeat(np.arange(n), snaps)
        j = np.arange(len(who)) - np.repeat(np.cumsum(snaps) - snaps, snaps)
        last = np.repeat(snaps - 1, snaps)
        frac = (j + 1) / (last + 1)
        spike = np.repeat(rng.random(n) < 0.01, snaps)
        growth = np.where(spike & (j < last), 0.2, 1 - 0.1 * (1 - frac))
        captured = start_us + (frac * (WINDOW_DAYS - 1) * DAY_US).astype(np.int64)
        copy_table(
            cur,
            "listening_metricsnapshot",
            len(who),
            {
                "id": np.arange(1, len(who) + 1, dtype=np.int64),
                "account_id": ids[who],
                "captured_at": captured,
                "followers": (followers[who] * growth).astype(np.int64),
                "following": following[who],
                "posts_count": (posts_count[who] * frac).astype(np.int64),
            },
        )
        flagged = np.sort(rng.choice(n_posts, max(1, n_posts // 500), replace=False))
        nf = len(flagged)
        rules = [
            "OFF_LABEL",
            "FAIR_BALANCE_MISSING",
            "ADVERSE_EVENT",
            "COI_UNDISCLOSED",
        ]
        sev = np.where(rng.random(nf) < 0.1, 0, np.where(rng.random(nf) < 0.5, 1, 2))
        copy_table(
            cur,
            "compliance_finding",
            nf,
            {
                "id": np.arange(1, nf + 1, dtype=np.int64),
                "post_id": post_ids[flagged],
                "rule_code": vocab(rules, rng.integers(0, len(rules), nf)),
                "rule_version": "1",
                "severity": vocab(["critical", "major", "minor"], sev),
                "evidence": "[]",
                "explanation": "generated by bench/score_world.py",
                "fingerprint": hexes(rng, nf),
                "is_current": True,
                "status": "open",
            },
        )
        steps.append(f"COPY {time.perf_counter() - t1:.1f} s")
        t2 = time.perf_counter()
        for statement in restore:
            cur.execute(statement)
        steps.append(f"indexes + keys {time.perf_counter() - t2:.1f} s")
        log(f"  indexes and keys rebuilt ({time.perf_counter() - t2:.1f} s)")

        for table in BIG_TABLES:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(max(id), 1) FROM {table}))"
            )

        # the program: an area, the three largest specialties and two more
        sizes = np.bincount(spec_of_clin, minlength=k)
        ranked = list(np.argsort(-sizes, kind="stable"))
        targets_k = ranked[:3] + list(
            rng.choice(ranked[3:], min(2, max(0, k - 3)), replace=False)
        )
        cur.execute(
            "INSERT INTO influencers_therapeuticarea (created_at, updated_at, name, slug, "
            "description, lexicon, hashtags, conditions) VALUES (now(), now(), %s, %s, "
            "%s, %s, %s, %s) RETURNING id",
            (
                "Bench anticoagulation",
                "bench-anticoagulation",
                "generated by bench/score_world.py",
                json.dumps(LEXICON),
                json.dumps(HASHTAGS),
                json.dumps(["atrial fibrillation"]),
            ),
        )
        area = cur.fetchone()[0]
        from vetting.scoring.weights import DEFAULT_WEIGHTS

        cur.execute(
            "INSERT INTO vetting_program (created_at, updated_at, name, slug, description, "
            "therapeutic_area_id, platforms, follower_min, follower_max, weights, "
            "link_confidence_min, block_open_critical, window_days, window_end, "
            "drift_threshold, is_active) VALUES (now(), now(), %s, %s, %s, %s, %s, "
            "1000, 50000, %s, 0.8, true, %s, %s, 0.15, true) RETURNING id",
            (
                "Bench scoring",
                PROGRAM_SLUG,
                "generated by bench/score_world.py",
                area,
                json.dumps(list(PLATFORMS)),
                json.dumps(DEFAULT_WEIGHTS),
                WINDOW_DAYS,
                WINDOW_END,
            ),
        )
        program = cur.fetchone()[0]
        for i in targets_k:
            cur.execute(
                "INSERT INTO vetting_program_target_specialties (program_id, specialty_id) "
                "VALUES (%s, %s)",
                (program, int(spec_ids[i])),
            )
        conn.commit()
    t3 = time.perf_counter()
    with _connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    steps.append(f"vacuum analyze {time.perf_counter() - t3:.1f} s")
    counts = {
        "specialties": k,
        "clinicians": n_clin,
        "accounts": n,
        "linked": int(has_clin.sum()),
        "posts": n_posts,
        "replies": int(has_parent.sum()),
        "interactions": m,
        "snapshots": int(len(who)),
        "findings": nf,
    }
    _ = now_us
    return counts, steps


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--force", action="store_true", help="regenerate")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/peerproof"
        ),
        help="the server and base name (default: $DATABASE_URL)",
    )
    args = parser.parse_args(argv)
    world = world_ensure(
        args.database_url,
        accounts=args.accounts,
        interactions=args.interactions,
        seed=args.seed,
        force=args.force,
    )
    state = "generated" if world["generated"] else "reused"
    print(f"{state}: {world['url']}  ({world['seconds']:.1f} s to generate)")
    print("counts: " + ", ".join(f"{k} {v:,}" for k, v in world["counts"].items()))
    print(f"peak RSS {peak_rss_mb():,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
