"""Ingest benchmark: native Bluesky payloads through the real ingest path vs plain COPY.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/pp_bench7 \\
        .venv/bin/python bench/ingest.py --posts 200000

Steps, all in one process and one run (the machine is shared and noisy, so the
figures that matter are the ratios to the baseline measured alongside):

1. generate a recording: ``app.bsky.feed.getAuthorFeed`` envelopes (``--per-page``
   posts each, all by the page's author, as a real author feed) and
   ``app.bsky.feed.getLikes`` envelopes (``--likers`` likes on every
   ``--likes-every``-th post), written as JSONL in bounded memory;
2. (b) first load: TRUNCATE, then ``listening.services.ingest_run_execute`` on the
   recording: parse (orjson + the Bluesky connector) -> validate -> batch upsert;
3. (c) identical replay: a second run over the same file (0 created, 0 updated);
4. (a) baseline: dump the rows (b) wrote, TRUNCATE, and time a plain text-format COPY
   of the same account, post and interaction rows into the same tables (with their
   indexes and deferred foreign-key checks; not the first metric snapshot of every
   post, which only (b) writes).

Prints posts/s, the ratios (b)/(a) and (c)/(a), the CPU seconds of this process, of
the forked parsers and of the PostgreSQL backend, and the peak RSS of this process and
of the largest parser.
Targets on the project's 2-core machine: (b) >= 0.6x (a) and >= 20,000 posts/s;
(c) >= 0.8x (a); peak RSS < 500 MB for 1M posts. ``--ceiling`` also times (a) with
the posts' and interactions' foreign keys dropped (d), then their secondary indexes
too (e), then ``raw`` as text instead of jsonb (f), each in a rolled-back
transaction: what plain COPY costs in each, so how fast any ingest into these
tables can be on the machine it runs on. It TRUNCATEs the listening and
social-account tables of the database it is given: use a benchmark database.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/pp_bench7")

TABLES = (
    "listening_metricsnapshot",
    "listening_interaction",
    "listening_quarantinedrecord",
    "listening_post",
    "listening_ingestrun",
    "listening_source",
    "influencers_socialaccount",
)
BASELINE_TABLES = (  # in foreign-key order; the first two hold a few rows
    "listening_source",
    "listening_ingestrun",
    "influencers_socialaccount",
    "listening_post",
    "listening_interaction",
)
BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)
PHRASES = (
    "New #Cardiology data on statin adherence in older adults.",
    "Thread: what the SGLT2 trials do and do not show for #HeartFailure.",
    "Reminder that GLP-1 dosing is titrated for tolerability. #Endocrinology",
    "Grand rounds today on anticoagulation after TAVR, slides below.",
    "Patients ask about supplements for cholesterol: here is the evidence.",
    "Fair balance: discuss side effects with your clinician before switching.",
)


def load_average() -> str:
    """The 1/5/15-minute load averages (the machine is shared: report them)."""
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def rss_mb() -> str:
    """Peak RSS of this process and of the largest finished child (the parser)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return f"main {own:.0f} MB, parser {child:.0f} MB"


def cpu_seconds() -> tuple[float, float, float]:
    """CPU seconds used so far by this process, its finished children (the forked
    parser) and its PostgreSQL backend."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    server = (int(fields[11]) + int(fields[12])) / ticks
    times = os.times()
    return (
        times.user + times.system,
        times.children_user + times.children_system,
        server,
    )


def cpu_since(start: tuple[float, float, float]) -> str:
    main, parser, server = cpu_seconds()
    return (
        f"cpu: main {main - start[0]:.2f}s parser {parser - start[1]:.2f}s "
        f"postgres {server - start[2]:.2f}s"
    )


# --- the generator (native getAuthorFeed and getLikes payloads) ------------------------


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _author(n: int, prefix: str = "hcp") -> dict:
    did = f"did:plc:{prefix}{n:08d}"
    return {
        "did": did,
        "handle": f"{prefix}{n}.bsky.social",
        "displayName": f"Dr. {prefix.title()} {n}",
        "avatar": f"https://cdn.bsky.app/img/avatar/plain/{did}/bafkreia{n:08d}@jpeg",
        "associated": {"chat": {"allowIncoming": "following"}},
        "labels": [],
        "createdAt": "2023-09-19T15:47:01.417Z",
        "viewer": {"muted": False, "blockedBy": False},
    }


def _post(n: int, author: dict) -> dict:
    created = BASE_TIME + timedelta(seconds=37 * n)
    text = f"{PHRASES[n % len(PHRASES)]} ({n})"
    hashtag = text.find("#")
    facets = []
    if hashtag >= 0:
        tag = text[hashtag + 1 :].split(" ", 1)[0].rstrip(".")
        start = len(text[:hashtag].encode())
        facets.append(
            {
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
                "index": {"byteStart": start, "byteEnd": start + 1 + len(tag)},
            }
        )
    return {
        "uri": f"at://{author['did']}/app.bsky.feed.post/3l{n:011d}",
        "cid": f"bafyreig{n:051d}",
        "author": author,
        "record": {
            "$type": "app.bsky.feed.post",
            "createdAt": _z(created),
            "langs": ["en"],
            "text": text,
            "facets": facets,
        },
        "replyCount": n % 4,
        "repostCount": n % 6,
        "likeCount": n % 11,
        "quoteCount": n % 2,
        "indexedAt": _z(created + timedelta(seconds=1)),
        "viewer": {"threadMuted": False, "embeddingDisabled": False},
        "labels": [],
    }


def generate(
    path: Path,
    *,
    posts: int,
    per_page: int,
    authors: int,
    likes_every: int,
    likers: int,
    liker_pool: int,
) -> tuple[int, int]:
    """Write the recording; return (posts, likes) written. Bounded memory."""
    likes = 0
    with path.open("wb") as out:
        n = 0
        page = 0
        while n < posts:
            feed = []
            liked = []
            for _ in range(min(per_page, posts - n)):
                # an author feed: every post of a page is by the page's author
                post = _post(n, _author(page % authors))
                feed.append({"post": post})
                if likes_every and n % likes_every == 0:
                    liked.append(post["uri"])
                n += 1
            page += 1
            envelope = {
                "platform": "bluesky",
                "endpoint": "app.bsky.feed.getAuthorFeed",
                "params": {"actor": f"hcp{page % authors}.bsky.social", "limit": 100},
                "recorded_at": "2025-05-19T12:00:00Z",
                "body": {"feed": feed, "cursor": f"c{page}"},
            }
            out.write(orjson.dumps(envelope) + b"\n")
            for uri in liked:
                seed = zlib.crc32(uri.encode())
                entries = [
                    {
                        "indexedAt": "2025-05-02T10:00:00.000Z",
                        "createdAt": "2025-05-02T10:00:00.000Z",
                        "actor": _author((seed + i * 7919) % liker_pool, "fan"),
                    }
                    for i in range(likers)
                ]
                likes += len(entries)
                out.write(
                    orjson.dumps(
                        {
                            "platform": "bluesky",
                            "endpoint": "app.bsky.feed.getLikes",
                            "params": {"uri": uri, "limit": 100},
                            "recorded_at": "2025-05-19T12:00:00Z",
                            "body": {"uri": uri, "likes": entries},
                        }
                    )
                    + b"\n"
                )
    return n, likes


# --- database helpers -----------------------------------------------------------------


def truncate_and_checkpoint() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        cursor.execute("CHECKPOINT")


def dump_tables(folder: Path) -> dict[str, Path]:
    """COPY the baseline tables out in text format (the rows (b) wrote)."""
    from django.db import connection

    files = {}
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        for table in BASELINE_TABLES:
            path = folder / f"{table}.copy"
            with path.open("wb") as out, cursor.copy(f"COPY {table} TO STDOUT") as copy:
                for chunk in copy:
                    out.write(chunk)
            files[table] = path
    return files


def copy_in(files: dict[str, Path]) -> int:
    """(a): plain COPY of the dumped rows back into the same (empty) tables."""
    from django.db import connection, transaction

    rows = 0
    with transaction.atomic(), connection.connection.cursor() as cursor:
        for table in BASELINE_TABLES:
            with (
                files[table].open("rb") as src,
                cursor.copy(f"COPY {table} FROM STDIN") as copy,
            ):
                while chunk := src.read(1 << 20):
                    copy.write(chunk)
            rows += cursor.rowcount if cursor.rowcount > 0 else 0
    return rows


def copy_in_without(files: dict[str, Path], ddl: list[str]) -> tuple[float, dict]:
    """(a) again in a transaction that first runs ``ddl`` (drops constraints,
    indexes or the jsonb type) and is rolled back: where plain COPY's time goes.
    Returns the seconds and the seconds per table."""
    from django.db import connection

    truncate_and_checkpoint()
    per = {}
    started = time.perf_counter()
    with connection.connection.cursor() as cursor:
        cursor.execute("BEGIN")
        for statement in ddl:
            cursor.execute(statement)
        for table in BASELINE_TABLES:
            t = time.perf_counter()
            with (
                files[table].open("rb") as src,
                cursor.copy(f"COPY {table} FROM STDIN") as copy,
            ):
                while chunk := src.read(1 << 20):
                    copy.write(chunk)
            per[table] = time.perf_counter() - t
        seconds = time.perf_counter() - started  # nothing is left to check at commit
        cursor.execute("ROLLBACK")
    return seconds, per


def ceiling_variants() -> list[tuple[str, list[str]]]:
    """The DDL of each ``--ceiling`` variant of the posts and interactions tables."""
    from django.db import connection

    tables = "('listening_post', 'listening_interaction')"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint "
            f"WHERE contype = 'f' AND conrelid::regclass::text IN {tables}"
        )
        no_fk = [f'ALTER TABLE {t} DROP CONSTRAINT "{c}"' for t, c in cursor.fetchall()]
        cursor.execute(
            "SELECT indexrelid::regclass::text FROM pg_index "
            f"WHERE indrelid::regclass::text IN {tables} "
            "AND NOT indisprimary AND NOT indisunique"
        )
        no_index = [f'DROP INDEX "{name}"' for (name,) in cursor.fetchall()]
    as_text = ["ALTER TABLE listening_post ALTER COLUMN raw TYPE text"]
    return [
        ("(d) COPY, no foreign keys", no_fk),
        ("(e) COPY, no foreign keys, no secondary indexes", no_fk + no_index),
        ("(f) COPY, as (e) with raw as text", no_fk + no_index + as_text),
    ]


def ingest(path: Path, name: str) -> tuple[float, object]:
    from listening import services
    from listening.models import Source

    source = Source.objects.filter(name=name).first() or services.source_create(
        name=name, platform="bluesky", kind=Source.Kind.RECORDING, path=str(path)
    )
    run = services.ingest_run_create(source=source)
    started = time.perf_counter()
    run = services.ingest_run_execute(run_id=run.pk, worker="bench")
    return time.perf_counter() - started, run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--authors", type=int, default=5_000)
    parser.add_argument("--likes-every", type=int, default=5)
    parser.add_argument("--likers", type=int, default=5)
    parser.add_argument("--liker-pool", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument("--recording", type=Path, help="reuse this recording file")
    parser.add_argument("--keep", action="store_true", help="keep the recording")
    parser.add_argument("--profile", type=Path, help="cProfile (b) into this file")
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="also time (a) without foreign keys, secondary indexes and jsonb",
    )
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.LISTENING_BATCH_SIZE = args.batch_size
    settings.LISTENING_POST_INGEST_TASKS = []
    call_command("migrate", verbosity=0)
    try:
        from listening.connectors import get_connector  # noqa: F401
    except ImportError:  # the registry is not there yet: use the module directly
        from listening.connectors.bluesky import BlueskyConnector
        from listening.ingest import pipeline

        pipeline.default_connector_for = lambda platform: BlueskyConnector()

    print(f"start: {load_average()}")
    workdir = Path(tempfile.mkdtemp(prefix="pp-bench-ingest-"))
    recording = args.recording or workdir / "recording.jsonl"
    if not args.recording:
        t = time.perf_counter()
        posts, likes = generate(
            recording,
            posts=args.posts,
            per_page=args.per_page,
            authors=args.authors,
            likes_every=args.likes_every,
            likers=args.likers,
            liker_pool=args.liker_pool,
        )
        size = recording.stat().st_size / 1e6
        print(
            f"generated {posts:,} posts + {likes:,} likes, {size:,.0f} MB "
            f"in {time.perf_counter() - t:.1f}s"
        )
    print(f"RSS after generation: {rss_mb()}")

    # (b) first load
    truncate_and_checkpoint()
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu = cpu_seconds()
    b_seconds, run_b = ingest(recording, "bench recording")
    cpu_b = cpu_since(cpu)
    if args.profile:
        profiler.disable()
        profiler.dump_stats(args.profile)
    rss_b = rss_mb()
    from listening.ingest.upsert import TIMINGS

    print("   steps (b):", {k: round(v, 2) for k, v in TIMINGS.items()})
    TIMINGS.clear()
    n_posts = run_b.created + run_b.updated + run_b.unchanged
    print(
        f"(b) first load: {b_seconds:.2f}s  status={run_b.status} pages={run_b.pages} "
        f"created={run_b.created} interactions={run_b.interactions} "
        f"quarantined={run_b.quarantined}  RSS {rss_b}  {cpu_b}"
    )

    # (c) identical replay
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
    cpu = cpu_seconds()
    c_seconds, run_c = ingest(recording, "bench recording")
    cpu_c = cpu_since(cpu)
    rss_c = rss_mb()
    print("   steps (c):", {k: round(v, 2) for k, v in TIMINGS.items()})
    print(
        f"(c) replay:     {c_seconds:.2f}s  created={run_c.created} "
        f"updated={run_c.updated} unchanged={run_c.unchanged} "
        f"interactions={run_c.interactions}  RSS {rss_c}  {cpu_c}"
    )

    # (a) baseline: the same rows by plain COPY
    from listening.models import Interaction, MetricSnapshot

    snapshots = MetricSnapshot.objects.count()
    interactions = Interaction.objects.count()
    files = dump_tables(workdir)
    truncate_and_checkpoint()
    cpu = cpu_seconds()
    started = time.perf_counter()
    copied = copy_in(files)
    a_seconds = time.perf_counter() - started
    print(f"(a) plain COPY: {a_seconds:.2f}s  rows={copied:,}  {cpu_since(cpu)}")

    def rate(seconds: float) -> float:
        return n_posts / seconds if seconds else float("inf")

    print()
    print(
        f"posts={n_posts:,} interactions={interactions:,} snapshots(b)={snapshots:,} "
        f"batch={args.batch_size}"
    )
    print("| path | seconds | posts/s | vs COPY |")
    print("|---|---:|---:|---:|")
    print(
        f"| (a) plain COPY (baseline) | {a_seconds:.2f} | {rate(a_seconds):,.0f} | 1.00 |"
    )
    print(
        f"| (b) ingest, empty tables | {b_seconds:.2f} | {rate(b_seconds):,.0f} | "
        f"{a_seconds / b_seconds:.2f} |"
    )
    print(
        f"| (c) identical replay | {c_seconds:.2f} | {rate(c_seconds):,.0f} | "
        f"{a_seconds / c_seconds:.2f} |"
    )
    if args.ceiling:
        for label, ddl in ceiling_variants():
            cpu = cpu_seconds()
            seconds, per = copy_in_without(files, ddl)
            tables = ", ".join(
                f"{t.split('_', 1)[1]} {v:.2f}s" for t, v in per.items() if v >= 0.05
            )
            print(
                f"| {label} | {seconds:.2f} | {rate(seconds):,.0f} | "
                f"{a_seconds / seconds:.2f} |   ({tables}; {cpu_since(cpu)})"
            )
    print(f"peak RSS: {rss_mb()}")
    print(f"end: {load_average()}")
    truncate_and_checkpoint()
    for path in files.values():
        path.unlink()
    if not args.keep and not args.recording:
        recording.unlink()
        workdir.rmdir()


if __name__ == "__main__":
    main()
