"""Clusters: which verified copies sit together, and which copy is canonical.

Plain functions, no Beam. In canonical rank order (earliest published, then
the agency's own copy, then story_id) each story joins the best-matching
canonical story it has a verified edge with, or founds its own cluster.
Only canonical stories attract members, so A~B and B~C never pull A and C
together unless A~C; stored clusters never move.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Sequence


@dataclass(frozen=True)
class ClusterMember:
    """A story as clustering sees it.

    ``rank`` orders canonical choice, smallest first: build it with
    ``rank_key``. ``stored_cluster`` is the cluster_id of a story stored by
    an earlier run (it never changes), None for a new story.
    """

    story_id: str
    rank: tuple
    stored_cluster: Optional[str] = None


def rank_key(published: Optional[str], agency_copy: bool, story_id: str) -> tuple:
    """(published ISO stamp, 0 for the agency's own copy else 1, story_id).

    Earliest first, as ``fingerprints.pick_one_copy`` picks among copies of
    one story_id: the copy that broke the story is canonical. At the same
    stamp (feeds often carry the wire's own time) the agency's own copy
    wins; story_id makes the order total. Stamps must share one format (UTC ISO 8601).
    """
    return (published or "", 0 if agency_copy else 1, story_id)


def assign_clusters(members: Iterable[ClusterMember],
                    edges: Iterable[tuple[str, str, float]]) -> dict[str, str]:
    """cluster_id of every member, from verified edges (a, b, containment).

    Stored members keep their stored cluster and attract new copies from the
    start, even ones published earlier. New members, in rank order, join the
    cluster of the canonical story they match best (highest containment,
    then best rank); a canonical story is a stored one or a new one that
    founded its cluster. A member with no edge to any canonical story
    founds its own cluster. Because only canonical stories attract, A~B and
    B~C put C with A only if C~A as well: no chaining. The result depends
    only on the members and edges, not on their order, and a component of
    the edge graph can be processed apart from the rest with the same result.
    """
    by_id: dict[str, ClusterMember] = {}
    for member in members:
        if member.story_id in by_id and by_id[member.story_id] != member:
            raise ValueError(f"story_id {member.story_id!r} given twice")
        by_id[member.story_id] = member
    neighbours: dict[str, dict[str, float]] = {sid: {} for sid in by_id}
    for a, b, score in edges:
        if a == b or a not in by_id or b not in by_id:
            continue
        neighbours[a][b] = max(score, neighbours[a].get(b, score))
        neighbours[b][a] = max(score, neighbours[b].get(a, score))

    cluster: dict[str, str] = {m.story_id: m.stored_cluster
                               for m in by_id.values() if m.stored_cluster}
    canonical = set(cluster)  # stored stories attract as their cluster
    for member in sorted((m for m in by_id.values() if not m.stored_cluster),
                         key=lambda m: (m.rank, m.story_id)):
        matches = [(-score, by_id[other].rank, other)
                   for other, score in neighbours[member.story_id].items()
                   if other in canonical]
        if matches:
            cluster[member.story_id] = cluster[min(matches)[2]]
        else:
            cluster[member.story_id] = member.story_id
            canonical.add(member.story_id)
    return cluster


def cluster_batch(ids: Sequence[str], ranks: Sequence[tuple],
                  edges: Iterable[tuple[int, int, float]],
                  stored: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """``assign_clusters`` for a batch whose edges are by position."""
    stored = stored or {}
    members = [ClusterMember(sid, rank, stored.get(sid)) for sid, rank in zip(ids, ranks)]
    return assign_clusters(members, [(ids[a], ids[b], c) for a, b, c in edges])
