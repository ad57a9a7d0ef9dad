"""The networkx reference of the graph scores in :mod:`vetting.scoring.graph`.

Same signatures, same columns, same definitions (see the docstrings there); written
to be read, not to be fast: it builds ``nx.DiGraph`` objects and loops in Python. The
tests hold the fast path to these values (1e-9) and rankings. Use it for small graphs
and audits only: it is ~50x slower and ~25x hungrier than the fast path at 1M edges
(``notes/perf-graph.md``).

The small non-graph definitions (the score formulas, the percentile, the cascade
parent rule, the community numbering and labels) are shared with the fast path, so a
disagreement between the two always points at the graph computation.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from .frames import ScoringInputs, ScoringParams
from .graph import (
    CASCADE_KINDS,
    LABEL_TAGS,
    LOUVAIN_SEED,
    PEER_INFLUENCE_COLUMNS,
    TRUST_FULL_WEIGHT,
    community_score,
    post_parents,
    rank_key,
    requested_index,
    spread_score,
)


def _frame(index, columns: dict) -> pd.DataFrame:
    return pd.DataFrame(
        columns, index=pd.Index(index, dtype="int64", name="account_id")
    )


def account_attributes(inputs: ScoringInputs) -> tuple[dict[int, str], dict[int, bool]]:
    """``specialty`` ("" = none) and ``is_hcp`` of every account id seen anywhere."""
    specialty: dict[int, str] = {}
    is_hcp: dict[int, bool] = {}
    acc = inputs.accounts
    if len(acc):
        specs = acc["specialty"].fillna("").astype(str)
        hcps = acc["is_hcp"].fillna(False).astype(bool)
        for account_id, spec, hcp in zip(acc.index, specs, hcps, strict=True):
            specialty[int(account_id)] = spec
            is_hcp[int(account_id)] = bool(hcp)
    others = []
    if len(inputs.edges):
        others += inputs.edges["actor"].tolist() + inputs.edges["target"].tolist()
    if len(inputs.posts):
        others += inputs.posts["author"].tolist()
    for account_id in others:
        specialty.setdefault(int(account_id), "")
        is_hcp.setdefault(int(account_id), False)
    return specialty, is_hcp


def engagement_graph(inputs: ScoringInputs) -> nx.DiGraph:
    """Every account as a node; ``u -> v`` weighted by the summed weight of u's
    engagements with v (self-loops dropped)."""
    specialty, is_hcp = account_attributes(inputs)
    graph = nx.DiGraph()
    for account_id in sorted(specialty):
        graph.add_node(
            account_id, specialty=specialty[account_id], is_hcp=is_hcp[account_id]
        )
    edges = inputs.edges
    if len(edges):
        for actor, target, weight in zip(
            edges["actor"].tolist(),
            edges["target"].tolist(),
            edges["weight"].tolist(),
            strict=True,
        ):
            if actor == target:
                continue
            if graph.has_edge(actor, target):
                graph[actor][target]["weight"] += weight
            else:
                graph.add_edge(actor, target, weight=weight)
    return graph


def specialty_graph(graph: nx.DiGraph, specialty: str) -> nx.DiGraph:
    """The subgraph induced by every account of ``specialty``."""
    nodes = [v for v, s in graph.nodes(data="specialty") if s == specialty]
    return graph.subgraph(nodes)


# ------------------------------------------------------------------------------ trust


def trust_scores(
    inputs: ScoringInputs, params: ScoringParams, accounts: np.ndarray | None = None
) -> pd.DataFrame:
    """Reference of :func:`vetting.scoring.graph.trust_scores`."""
    graph = engagement_graph(inputs)
    index = requested_index(accounts, np.sort(inputs.accounts.index.to_numpy(np.int64)))
    active = (
        {int(a) for a in inputs.edges["actor"].tolist()} if len(inputs.edges) else set()
    )
    if len(inputs.posts):
        active |= {int(a) for a in inputs.posts["author"].tolist()}
    peers_of: dict[str, set[int]] = {}
    for v, data in graph.nodes(data=True):
        if data["specialty"] and data["is_hcp"] and v in active:
            peers_of.setdefault(data["specialty"], set()).add(v)
    rows = {name: [] for name in ("td", "tdw", "ps", "pe", "pa")}
    for v in index.tolist():
        td = tdw = ps = np.nan
        pe = pa = 0
        if v in graph:
            spec = graph.nodes[v]["specialty"]
            received = graph.in_degree(v, weight="weight")
            if received > 0:
                from_hcp = sum(
                    d["weight"]
                    for u, _, d in graph.in_edges(v, data=True)
                    if graph.nodes[u]["is_hcp"]
                )
                ps = from_hcp / received
            if spec:
                peers = peers_of.get(spec, set()) - {v}
                engaged = [u for u in peers if graph.has_edge(u, v)]
                pa, pe = len(peers), len(engaged)
                if pa:
                    td = pe / pa
                    tdw = (
                        sum(
                            min(1.0, graph[u][v]["weight"] / TRUST_FULL_WEIGHT)
                            for u in engaged
                        )
                        / pa
                    )
        for key, value in zip(rows, (td, tdw, ps, pe, pa), strict=True):
            rows[key].append(value)
    return _frame(
        index,
        {
            "trust_density": np.asarray(rows["td"], dtype=float),
            "trust_density_weighted": np.asarray(rows["tdw"], dtype=float),
            "peer_share": np.asarray(rows["ps"], dtype=float),
            "peers_engaged": np.asarray(rows["pe"], dtype=np.int64),
            "peers_active": np.asarray(rows["pa"], dtype=np.int64),
        },
    )


# --------------------------------------------------------------------- peer influence


def _specialty_index(graph: nx.DiGraph, accounts) -> np.ndarray:
    with_spec = sorted(v for v, s in graph.nodes(data="specialty") if s)
    return requested_index(accounts, np.asarray(with_spec, dtype=np.int64))


def peer_influence_scores(
    inputs: ScoringInputs, params: ScoringParams, accounts: np.ndarray | None = None
) -> pd.DataFrame:
    """Reference of :func:`vetting.scoring.graph.peer_influence_scores`
    (``nx.pagerank`` per specialty graph with ``tol = pagerank_l1_tol / N``)."""
    graph = engagement_graph(inputs)
    index = _specialty_index(graph, accounts)
    wanted = {graph.nodes[v]["specialty"] for v in index.tolist() if v in graph} - {""}
    rows: dict[int, dict[str, float]] = {}
    for spec in sorted(wanted):
        sub = specialty_graph(graph, spec)
        n = len(sub)
        pr = nx.pagerank(
            sub,
            alpha=params.pagerank_alpha,
            weight="weight",
            tol=params.pagerank_l1_tol / n,
            max_iter=10_000,
        )
        frame = pd.DataFrame({"pr": pd.Series(pr)})
        frame["key"] = rank_key(frame["pr"].to_numpy(), n)
        frame["pct"] = frame["key"].rank(method="average", pct=True)
        for v in sub:
            rows[v] = {
                "pagerank": pr[v],
                "pagerank_pct": frame.at[v, "pct"],
                "in_degree": float(sub.in_degree(v)),
                "in_degree_weighted": float(sub.in_degree(v, weight="weight")),
                "peer_influence": frame.at[v, "pct"],
            }
    return _frame(
        index,
        {
            c: np.asarray(
                [rows.get(v, {}).get(c, np.nan) for v in index.tolist()], dtype=float
            )
            for c in PEER_INFLUENCE_COLUMNS
        },
    )


# ------------------------------------------------------------------------ communities


def undirected_projection(sub: nx.DiGraph) -> nx.Graph:
    """``{u, v}`` weighted ``W(u->v) + W(v->u)`` (``to_undirected`` would not sum)."""
    und = nx.Graph()
    und.add_nodes_from(sorted(sub))
    for u, v, w in sub.edges(data="weight"):
        if und.has_edge(u, v):
            und[u][v]["weight"] += w
        else:
            und.add_edge(u, v, weight=w)
    return und


def louvain_partition(sub: nx.DiGraph, seed: int = LOUVAIN_SEED) -> list[set[int]]:
    """networkx Louvain of the undirected projection, numbered like the fast path:
    largest community first, ties by smallest account id."""
    und = undirected_projection(sub)
    parts = nx.community.louvain_communities(
        und, weight="weight", resolution=1, seed=seed
    )
    return sorted((set(p) for p in parts), key=lambda p: (-len(p), min(p)))


def leiden_partition(sub: nx.DiGraph) -> list[set[int]]:
    """The fast path's partition, computed from this networkx graph: igraph Leiden
    (modularity, seeded) on the undirected projection with nodes in account-id order
    and edges in (u, v) order, numbered like :func:`louvain_partition`.

    networkx has no Leiden of its own (``leiden_communities`` is a backend stub), so
    the reference takes the partition from the same algorithm and checks everything
    computed from it (ids, sizes, shares, labels, the score) with networkx; the
    partition itself is checked against networkx Louvain by modularity in the tests.
    """
    from vetting.scoring.graph import leiden_igraph

    nodes = sorted(sub.nodes)
    position = {v: i for i, v in enumerate(nodes)}
    und = undirected_projection(sub)
    pairs = sorted(
        (min(position[u], position[v]), max(position[u], position[v]), d["weight"])
        for u, v, d in und.edges(data=True)
    )
    a = np.asarray([p[0] for p in pairs], dtype=np.int64)
    b = np.asarray([p[1] for p in pairs], dtype=np.int64)
    w = np.asarray([p[2] for p in pairs], dtype=float)
    membership = leiden_igraph(len(nodes), a, b, w)
    groups: dict[int, set[int]] = {}
    for node, community in zip(nodes, membership.tolist(), strict=True):
        groups.setdefault(community, set()).add(node)
    return sorted(groups.values(), key=lambda p: (-len(p), min(p)))


def _labels(inputs: ScoringInputs, members: set[int]) -> str:
    counts: dict[str, int] = {}
    posts = inputs.posts
    if len(posts):
        for author, tags in zip(
            posts["author"].tolist(), posts["hashtags"].tolist(), strict=True
        ):
            if author in members and tags is not None:
                for tag in {str(t) for t in tags if t is not None and str(t) != ""}:
                    counts[tag] = counts.get(tag, 0) + 1
    top = sorted(counts, key=lambda t: (-counts[t], t))[:LABEL_TAGS]
    return ", ".join(top)


def community_scores(
    inputs: ScoringInputs,
    params: ScoringParams,
    accounts: np.ndarray | None = None,
    *,
    partition: str = "leiden",
) -> pd.DataFrame:
    """Reference of :func:`vetting.scoring.graph.community_scores`. ``partition``:
    ``"leiden"`` (the fast path's algorithm, see :func:`leiden_partition`; the
    pipeline's reference) or ``"louvain"`` (networkx ``louvain_communities``, to
    compare partitions by modularity)."""
    partition_of = leiden_partition if partition == "leiden" else louvain_partition
    graph = engagement_graph(inputs)
    index = _specialty_index(graph, accounts)
    wanted = {graph.nodes[v]["specialty"] for v in index.tolist() if v in graph} - {""}
    rows: dict[int, tuple] = {}
    for spec in sorted(wanted):
        sub = specialty_graph(graph, spec)
        for number, members in enumerate(partition_of(sub), start=1):
            inner = sub.subgraph(members)
            internal = inner.size(weight="weight")
            label = _labels(inputs, members)
            for v in members:
                share = (
                    inner.in_degree(v, weight="weight") / internal
                    if internal > 0
                    else np.nan
                )
                rows[v] = (f"{spec}:{number}", float(len(members)), share, label)
    ids = index.tolist()
    size = np.asarray([rows[v][1] if v in rows else np.nan for v in ids], dtype=float)
    share = np.asarray([rows[v][2] if v in rows else np.nan for v in ids], dtype=float)
    return _frame(
        index,
        {
            "community_id": np.asarray(
                [rows[v][0] if v in rows else "" for v in ids], dtype=object
            ),
            "community_size": size,
            "community_share": share,
            "community_label": np.asarray(
                [rows[v][3] if v in rows else "" for v in ids], dtype=object
            ),
            "community": community_score(share, size),
        },
    )


# ----------------------------------------------------------------------------- spread


def cascade_graph(inputs: ScoringInputs) -> nx.DiGraph:
    """The cascade forest as an ``nx.DiGraph`` parent -> child; nodes ``("post", id)``,
    ``("repost", actor, post)`` and ``("quote", actor, post)`` with their ``account``."""
    tree = nx.DiGraph()
    posts = inputs.posts
    if len(posts) == 0:
        return tree
    authors = dict(zip(posts.index.tolist(), posts["author"].tolist(), strict=True))
    for pid, author in authors.items():
        tree.add_node(("post", pid), account=author)
    for pid, parent in zip(
        posts.index.tolist(), post_parents(posts).tolist(), strict=True
    ):
        if parent >= 0:
            tree.add_edge(("post", parent), ("post", pid))
    stored_quotes = set(
        zip(posts["author"].tolist(), posts["quote_of"].tolist(), strict=True)
    )
    edges = inputs.edges
    if len(edges):
        for actor, kind, pid in zip(
            edges["actor"].tolist(),
            edges["kind"].tolist(),
            edges["post_id"].tolist(),
            strict=True,
        ):
            if kind not in CASCADE_KINDS or pid not in authors:
                continue
            if kind == "quote" and (actor, pid) in stored_quotes:
                continue  # the quote is a stored post, already in the tree
            node = (kind, actor, pid)
            tree.add_node(node, account=actor)
            tree.add_edge(("post", pid), node)
    return tree


def spread_scores(
    inputs: ScoringInputs, params: ScoringParams, accounts: np.ndarray | None = None
) -> pd.DataFrame:
    """Reference of :func:`vetting.scoring.graph.spread_scores` (``nx.wiener_index``
    of every cascade tree)."""
    tree = cascade_graph(inputs)
    posts = inputs.posts
    default = np.unique(posts["author"].to_numpy(np.int64)) if len(posts) else []
    index = requested_index(accounts, default)
    roots: dict[int, list] = {}
    for pid, author in zip(posts.index.tolist(), posts["author"].tolist(), strict=True):
        parents = list(tree.predecessors(("post", pid)))
        if not parents or tree.nodes[parents[0]]["account"] != author:
            roots.setdefault(author, []).append(("post", pid))
    rows = {}
    for author, author_roots in roots.items():
        reached: set[int] = set()
        depth = 0
        viralities = []
        for root in author_roots:
            nodes = nx.descendants(tree, root) | {root}
            reached |= {tree.nodes[x]["account"] for x in nodes}
            depth = max(depth, max(nx.shortest_path_length(tree, root).values()))
            if len(nodes) >= 2:
                und = tree.subgraph(nodes).to_undirected()
                pairs = len(nodes) * (len(nodes) - 1) / 2
                viralities.append(nx.wiener_index(und) / pairs)
        reach = len(reached - {author})
        virality = float(np.mean(viralities)) if viralities else np.nan
        rows[author] = (float(len(viralities)), float(reach), float(depth), virality)
    ids = index.tolist()
    cols = {}
    for i, name in enumerate(
        ("cascade_count", "cascade_reach", "cascade_depth", "structural_virality")
    ):
        cols[name] = np.asarray(
            [rows[v][i] if v in rows else np.nan for v in ids], dtype=float
        )
    cols["spread"] = spread_score(
        cols["cascade_reach"], cols["cascade_depth"], cols["structural_virality"]
    )
    return _frame(index, cols)
