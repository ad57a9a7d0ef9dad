"""The demo world's graph carries the signals the scores must find: true
micro-influencers, bot rings, pods and bought followers."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime

from demoworld.config import (
    SIZES,
    window_for_seed,
)
from tests.demoworld.helpers import (
    SEED,
    csv_rows,
    envelopes,
    own_posts,
)

# --- the social graph behind the scores ----------------------------------------------------


def test_true_micro_influencers_reach_far_more_of_their_specialty(world):
    rows = csv_rows(world.out_dir / "truth" / "accounts.csv")
    accounts = {r["external_id"]: r for r in rows if r["platform"] == "bluesky"}
    peers = Counter(
        r["specialty_code"]
        for r in accounts.values()
        if r["kind"] == "clinician" and r["link_method_expected"] != "none"
    )
    engaged: dict[str, set[str]] = defaultdict(set)
    for env in envelopes(world.out_dir, "bluesky", "likes"):
        author = env["body"]["uri"].split("/")[2]
        engaged[author] |= {like["actor"]["did"] for like in env["body"]["likes"]}
    for env in envelopes(world.out_dir, "bluesky", "reposts"):
        author = env["body"]["uri"].split("/")[2]
        engaged[author] |= {view["did"] for view in env["body"]["repostedBy"]}

    def density(did: str) -> float:
        spec = accounts[did]["specialty_code"]
        same = {
            e
            for e in engaged[did]
            if e in accounts
            and accounts[e]["specialty_code"] == spec
            and accounts[e]["kind"] == "clinician"
            and accounts[e]["link_method_expected"] != "none"
        }
        return len(same) / max(peers[spec] - 1, 1)

    mi = [density(d) for d, r in accounts.items() if r["true_micro_influencer"] == "1"]
    mi_specs = {r["specialty_code"] for r in accounts.values() if r["true_micro_influencer"] == "1"}  # fmt: skip
    ordinary = [
        density(d)
        for d, r in accounts.items()
        if r["role"] == "ordinary" and r["specialty_code"] in mi_specs
    ]
    assert statistics.median(mi) > 3 * statistics.median(ordinary)
    assert statistics.median(mi) > 0.3


def test_bots_are_new_empty_and_follow_far_more_than_they_are_followed(world):
    bots = {r["external_id"] for r in csv_rows(world.out_dir / "truth" / "bots.csv")}
    start, _ = window_for_seed(SEED)
    seen = 0
    for env in envelopes(world.out_dir, "bluesky", "profiles"):
        if env["recorded_at"] != world.window_end.replace("Z", ".000Z"):
            continue
        for profile in env["body"]["profiles"]:
            if profile["did"] not in bots:
                continue
            seen += 1
            assert "description" not in profile and "avatar" not in profile
            assert profile["followsCount"] >= 10 * max(profile["followersCount"], 1)
            created = datetime.fromisoformat(
                profile["createdAt"].replace("Z", "+00:00")
            )
            assert created > start
    assert seen > 20


def test_pods_like_each_others_posts_within_minutes(world):
    pods = csv_rows(world.out_dir / "truth" / "pods.csv")
    pod_of = {r["external_id"]: r["pod_id"] for r in pods if r["platform"] == "bluesky"}
    posted: dict[str, datetime] = {}
    for platform, post in own_posts(world.out_dir):
        if platform == "bluesky" and post["author"]["did"] in pod_of:
            posted[post["uri"]] = datetime.fromisoformat(post["record"]["createdAt"].replace("Z", "+00:00"))  # fmt: skip
    fast = slow = 0
    for env in envelopes(world.out_dir, "bluesky", "likes"):
        uri = env["body"]["uri"]
        if uri not in posted:
            continue
        author_pod = pod_of[uri.split("/")[2]]
        for like in env["body"]["likes"]:
            if pod_of.get(like["actor"]["did"]) != author_pod:
                continue
            when = datetime.fromisoformat(like["createdAt"].replace("Z", "+00:00"))
            minutes = (when - posted[uri]).total_seconds() / 60
            if minutes <= 15:
                fast += 1
            else:
                slow += 1
    assert fast > 50 and fast > 10 * slow


def test_bought_followers_show_as_a_spike_between_snapshots(world):
    rows = csv_rows(world.out_dir / "truth" / "accounts.csv")
    role = {r["external_id"]: r for r in rows if r["platform"] == "bluesky"}
    history: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for env in envelopes(world.out_dir, "bluesky", "profiles"):
        for profile in env["body"]["profiles"]:
            history[profile["did"]].append(
                (env["recorded_at"], profile["followersCount"])
            )

    def biggest_jump(did: str) -> float:
        counts = [c for _, c in sorted(history[did])]
        return max(b / max(a, 1) - 1 for a, b in zip(counts, counts[1:], strict=False))

    boosted = [d for d, r in role.items() if r["amplified"].startswith("bot_ring")]
    organic = [d for d, r in role.items() if r["true_micro_influencer"] == "1"]
    assert boosted and organic
    assert all(len(history[d]) == SIZES["small"].snapshots_tracked for d in organic)
    assert min(biggest_jump(d) for d in boosted) > 0.5
    assert max(biggest_jump(d) for d in organic) < 0.3
