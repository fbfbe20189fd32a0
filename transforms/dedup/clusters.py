"""Clusters: which verified copies sit together, and which copy is canonical.

Plain functions, no Beam. Real syndication is a family of excerpts of one
text: the agency's full copy, a shortened copy, a copy with an extra
paragraph, a teaser. Each is verified against some of the others, not all
(two excerpts can each be contained in the full text and not in each
other). ``assign_clusters`` therefore lets a story join a cluster through
any member it is verified against, provided it is compatible with the
cluster's anchor (its earliest story, or its stored stories): verified
against the anchor itself, or bound to overlap it by at least
``BRIDGE_MIN_OVERLAP`` of the smaller text through the member they both
are verified against (inclusion-exclusion on shingle counts). Two stories
that are both contained in a third but share (almost) nothing, such as two
briefs reprinted on one page, stay apart.

Near-duplicates that are not exact copies (containment below 1) published
more than ``MAX_GAP`` apart are not joined: daily reports that fill one
template with other figures are different stories.

The canonical copy of a new cluster, whose story_id is its cluster_id, is
the fullest faithful copy of the earliest ones: the earliest story (then the
agency's own copy, then story_id), or the copy with the most shingles among
those that contain it (CANONICAL_MIN_CONTAINMENT), are at least
CANONICAL_MIN_GROWTH times its size and published within
``CANONICAL_WINDOW`` of it, so a teaser does not become canonical over the
full text of the same batch. Stored clusters never move: cluster_id is
stable, so a fuller copy arriving in a later run (or a later stream
window) joins the stored cluster as a duplicate; the stored canonical stays
canonical and its NLP is not re-run. Stored members are the anchors of
their cluster, so a copy verified only against the later fuller copy joins
only when it must overlap a stored member enough (BRIDGE_MIN_OVERLAP).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, Mapping, Optional, Sequence

# A story joins a cluster through a member M it is verified against (not
# the anchor A) only if it must share at least this share of the smaller
# of itself and A: |S & A| >= |S & M| + |A & M| - |M|, and is published
# within MAX_GAP of A. Two briefs reprinted whole on one page bound to 0 and
# stay apart; a teaser anchor and a copy that shares its lead but not its
# middle (tests/test_dedup.py) bound to about 0.17. Measured on
# benchmarks/eval_dedup.py, same-cluster recall on the syndicated set (seed
# 1, tuning): 0.939 with no bridges (the old rule), 0.973 at 0.5, 0.982 at
# 0.25, 0.984 at 0.1 and with no guard, precision 1.0 throughout. The
# spotify dev set is P=R=1.0 under every choice, old rule included, so it
# does not discriminate; census (held out) likewise.
BRIDGE_MIN_OVERLAP = 0.1
# Verified pairs with containment below 1.0 published further apart than
# this are not joined (templated daily and weekly reports on Reuters).
MAX_GAP = timedelta(days=3)
# A copy becomes canonical over the earliest story only if it holds at
# least CANONICAL_MIN_CONTAINMENT of it, has CANONICAL_MIN_GROWTH times its
# shingles and is published within CANONICAL_WINDOW of it: a teaser or a
# flash gives way to the full story, while a copy that is merely longer
# (its site's unknown furniture, an extra paragraph) or an update does not.
# On the syndicated set (seed 1) the source is canonical in 366 of 424
# clusters with no swaps and at 2.0, 332 at 1.25 (copies carrying extra
# lines won); on Reuters 12 clusters change canonical at 2.0 (0.9), 11 of
# them a flash or short first take replaced by the full story, one a copper
# price brief whose canonical becomes a commodity highlights page.
CANONICAL_WINDOW = timedelta(days=1)
CANONICAL_MIN_CONTAINMENT = 0.9
CANONICAL_MIN_GROWTH = 2.0


@dataclass(frozen=True)
class ClusterMember:
    """A story as clustering sees it.

    ``rank`` orders canonical choice, smallest first: build it with
    ``rank_key``. ``stored_cluster`` is the cluster_id of a story stored by
    an earlier run (it never changes), None for a new story. ``size`` is its
    shingle count, 0 when unknown (then it joins only through the anchor
    and never displaces the earliest copy as canonical).
    """

    story_id: str
    rank: tuple
    stored_cluster: Optional[str] = None
    size: int = 0


def rank_key(published: Optional[str], agency_copy: bool, story_id: str) -> tuple:
    """(published ISO stamp, 0 for the agency's own copy else 1, story_id).

    Earliest first, as ``fingerprints.pick_one_copy`` picks among copies of
    one story_id: the copy that broke the story founds the cluster. At the same
    stamp (feeds often carry the wire's own time) the agency's own copy
    wins; story_id makes the order total. Stamps must share one format (UTC ISO 8601).
    """
    return (published or "", 0 if agency_copy else 1, story_id)


def _published(member: ClusterMember) -> Optional[datetime]:
    stamp = member.rank[0] if member.rank else ""
    if not stamp or not isinstance(stamp, str):
        return None
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _apart(a: Optional[datetime], b: Optional[datetime], gap: timedelta) -> bool:
    return a is not None and b is not None and abs(a - b) > gap


def bridge_overlap(size_s: int, size_a: int, size_m: int,
                   score_sm: float, score_am: float) -> float:
    """The least share of the smaller of S and A they must have in common,
    given that both are verified against M (score = containment of the
    shorter of each pair in the longer); 0 when a size is unknown."""
    if min(size_s, size_a, size_m) <= 0:
        return 0.0
    shared_sm = score_sm * min(size_s, size_m)
    shared_am = score_am * min(size_a, size_m)
    return max(0.0, shared_sm + shared_am - size_m) / min(size_s, size_a)


def assign_clusters(members: Iterable[ClusterMember],
                    edges: Iterable[tuple[str, str, float]]) -> dict[str, str]:
    """cluster_id of every member, from verified edges (a, b, containment).

    Edges below containment 1.0 between stories published more than
    MAX_GAP apart are dropped. Stored members keep their stored cluster and
    are its anchors, attracting new copies from the start, even ones
    published earlier. New members, in rank order, join the cluster they
    are verified against best: first those with an edge to an anchor
    (highest containment, then best rank), else through any member M whose
    edge to an anchor A leaves the member bound to overlap A by
    BRIDGE_MIN_OVERLAP (``bridge_overlap``) and that is published within
    MAX_GAP of A. A member with neither founds its own cluster and is its
    anchor; a founder nobody joined then gets a second look against the
    clusters of the first pass (its bridge may have come later). A new
    cluster's id is its canonical's story_id (see the module docstring):
    members without sizes join only through anchors and leave the earliest
    canonical, as before sizes were given. The result depends only
    on the members and edges, not on their order, and a component of the
    edge graph can be processed apart from the rest with the same result.
    """
    by_id: dict[str, ClusterMember] = {}
    for member in members:
        if member.story_id in by_id and by_id[member.story_id] != member:
            raise ValueError(f"story_id {member.story_id!r} given twice")
        by_id[member.story_id] = member
    when = {sid: _published(m) for sid, m in by_id.items()}
    neighbours: dict[str, dict[str, float]] = {sid: {} for sid in by_id}
    for a, b, score in edges:
        if a == b or a not in by_id or b not in by_id:
            continue
        if score < 1.0 and _apart(when[a], when[b], MAX_GAP):
            continue
        neighbours[a][b] = max(score, neighbours[a].get(b, score))
        neighbours[b][a] = max(score, neighbours[b].get(a, score))

    cluster: dict[str, str] = {m.story_id: m.stored_cluster
                               for m in by_id.values() if m.stored_cluster}
    anchors: dict[str, list[str]] = {}  # cluster -> its anchors
    for sid, cid in sorted(cluster.items()):
        anchors.setdefault(cid, []).append(sid)

    def best_cluster(sid: str, assigned: Mapping[str, str]) -> Optional[str]:
        """The cluster ``sid`` joins given ``assigned``, None if none fits."""
        mine = neighbours[sid]
        direct, bridged = [], []
        for other, score in mine.items():
            cid = assigned.get(other)
            if cid is None or cid == sid:
                continue
            if other in anchors.get(cid, ()):
                direct.append((-score, by_id[other].rank, other))
                continue
            for anchor in anchors.get(cid, ()):
                score_am = neighbours[other].get(anchor)
                if score_am is None or anchor in mine or \
                        _apart(when[sid], when[anchor], MAX_GAP):
                    continue
                bound = bridge_overlap(by_id[sid].size, by_id[anchor].size,
                                       by_id[other].size, score, score_am)
                if bound >= BRIDGE_MIN_OVERLAP:
                    bridged.append((-score, by_id[other].rank, other))
                    break
        return assigned[min(direct or bridged)[2]] if direct or bridged else None

    def fuller(founder: str, other: str) -> bool:
        """Whether ``other`` is a fuller faithful copy of ``founder``."""
        score = neighbours[founder].get(other)
        return score is not None and score >= CANONICAL_MIN_CONTAINMENT and \
            by_id[other].size >= CANONICAL_MIN_GROWTH * by_id[founder].size > 0 and \
            when[other] is not None and when[founder] is not None and \
            when[other] - when[founder] <= CANONICAL_WINDOW

    founded: list[str] = []
    for member in sorted((m for m in by_id.values() if not m.stored_cluster),
                         key=lambda m: (m.rank, m.story_id)):
        sid = member.story_id
        cid = best_cluster(sid, cluster)
        if cid is None:
            cid = sid
            anchors[sid] = [sid]
            founded.append(sid)
        cluster[sid] = cid

    # A story that founded a cluster nobody joined may still belong with a
    # later copy's cluster: its bridge (a teaser contained in both) came
    # after it in rank order. Decided on the first pass's clusters.
    first_pass = dict(cluster)
    count: dict[str, int] = {}
    for cid in first_pass.values():
        count[cid] = count.get(cid, 0) + 1
    for sid in list(founded):
        if count[sid] == 1:
            cid = best_cluster(sid, first_pass)
            if cid is not None:
                cluster[sid] = cid
                founded.remove(sid)
                del anchors[sid]

    # Canonical of each new cluster: the fullest copy verified to contain
    # its earliest story, published soon after it.
    renamed: dict[str, str] = {}
    for founder in founded:
        first = by_id[founder]
        best = (-first.size, first.rank, founder)
        for other in neighbours[founder]:
            if cluster[other] == founder and fuller(founder, other):
                best = min(best, (-by_id[other].size, by_id[other].rank, other))
        renamed[founder] = best[2]
    return {sid: renamed.get(cid, cid) for sid, cid in cluster.items()}


def components(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The connected component of every story_id in an edge, named by its
    smallest story_id (union-find)."""
    parent: dict[str, str] = {}

    def root(sid: str) -> str:
        while parent.setdefault(sid, sid) != sid:
            parent[sid] = parent[parent[sid]]
            sid = parent[sid]
        return sid

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {sid: root(sid) for sid in parent}


def assign_by_component(members: Iterable[ClusterMember],
                        edges: Iterable[tuple[str, str, float]]) -> dict[str, str]:
    """``assign_clusters`` one connected component of the edges at a time
    (members in no edge are their own cluster): the same result, with
    memory bounded by the largest component, as `transforms` does it
    across workers."""
    members, edges = list(members), list(edges)
    component = components((a, b) for a, b, _ in edges)
    grouped: dict[str, tuple[list, list]] = {}
    result = {}
    for member in members:
        if member.story_id in component:
            grouped.setdefault(component[member.story_id], ([], []))[0].append(member)
        else:
            result[member.story_id] = member.stored_cluster or member.story_id
    for edge in edges:
        grouped.setdefault(component[edge[0]], ([], []))[1].append(edge)
    for part_members, part_edges in grouped.values():
        result.update(assign_clusters(part_members, part_edges))
    return result


def cluster_batch(ids: Sequence[str], ranks: Sequence[tuple],
                  edges: Iterable[tuple[int, int, float]],
                  stored: Optional[Mapping[str, str]] = None,
                  sizes: Optional[Sequence[int]] = None) -> dict[str, str]:
    """``assign_clusters`` for a batch whose edges are by position, one
    component at a time (``assign_by_component``); ``sizes``: shingle
    counts by position."""
    stored = stored or {}
    sizes = sizes if sizes is not None else [0] * len(ids)
    members = [ClusterMember(sid, rank, stored.get(sid), int(size))
               for sid, rank, size in zip(ids, ranks, sizes)]
    return assign_by_component(members, [(ids[a], ids[b], c) for a, b, c in edges])
