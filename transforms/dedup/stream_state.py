"""Dedup for a stream: what each keyed state holds, and what it decides.

A batch run meets all of its stories at once and reads back from the lake
what they can collide with. A stream meets them poll by poll for as long
as the job runs, so it keeps that in keyed state instead, spread over keys
the way the batch spreads its shuffles, so that no key holds more than one
story's worth, one candidate key's members or one poll:

1. by story_id: whether the story_id was emitted (a story_id is never
   emitted twice) and which copy of it a poll keeps (`first_copy`);
   stored story_ids come from the lake, the partition of the story's date;
2. by candidate key (LSH band, text hash, URL): the story_ids under it
   within the retention, at most MAX_BUCKET + 1 of them (`meet_in_bucket`);
3. by story_id: the story's fingerprint, for the retention, sent to the
   new stories it is a candidate of;
4. by new story_id: its fingerprint and its candidates', for one poll
   (`verified_edges`);
5. one key: the poll's new stories and verified edges, clustered as a
   batch run clusters (`cluster_poll`), and the cluster_id of each story
   within the retention: an id and a time per story (the stored cluster
   never moves), where one key once held every fingerprint with its text,
   shingles and keys (5.4 KB a story).

The decisions are the batch's: the same keys, `verified_containment` and
`assign_clusters`, with every earlier story as a stored member. Plain
Python; `transforms.DeduplicateStream` wires the stages.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Iterable, Mapping, NamedTuple

from schemas.records import DedupIndexEntry, Story
from transforms.dedup.clusters import ClusterMember, assign_clusters
from transforms.dedup.fingerprints import (
    Fingerprint,
    copy_order,
    index_entry,
    verified_containment,
)
from transforms.dedup.minhash import MAX_BUCKET

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def first_copy(copies: Iterable[Story]) -> Story:
    """Of the copies of one story_id in a poll, the one kept: the earliest,
    then by feed, as the batch keeps it."""
    return min(copies, key=copy_order)


class Member(NamedTuple):
    """A story_id under a candidate key, and when it was indexed (UTC
    microseconds: a candidate key's state holds one per story under it,
    and an int pickles in a tenth of a datetime's bytes)."""

    story_id: str
    indexed_at: int


def micros(when: datetime) -> int:
    return (when - _EPOCH) // timedelta(microseconds=1)


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


class Ask(NamedTuple):
    """A candidate pair as routed: `holder` (a stored story, or the larger
    id of two new ones) sends its fingerprint to `asker` (a new story)."""

    holder: str
    asker: str
    exact: bool


def meet_in_bucket(key: str, arrived: Iterable[str], members: Iterable[Member],
                   now: datetime, retention: timedelta) -> tuple[list[Ask], list[Member]]:
    """One poll under one candidate key: the candidate pairs it makes, and
    the members the key keeps.

    As in the batch, a key shared by more than MAX_BUCKET live stories is
    furniture and makes no pairs. The key keeps only its newest
    MAX_BUCKET + 1 live members: live members expire newest last, so they
    decide that test exactly as all of them would.
    """
    arrived = set(arrived)
    cutoff = micros(now - retention)
    live = [m for m in members if m.indexed_at >= cutoff and m.story_id not in arrived]
    stored = {m.story_id for m in live}
    asks = []
    if len(arrived) + len(stored) <= MAX_BUCKET:
        exact = not key.startswith("lsh:")
        new = sorted(arrived)
        for i, a in enumerate(new):
            asks += [Ask(b, a, exact) for b in sorted(stored)]
            asks += [Ask(b, a, exact) for b in new[i + 1:]]
    return asks, newest(live + [Member(s, micros(now)) for s in arrived])


def newest(members: Iterable[Member], after: int = -1) -> list[Member]:
    """The newest MAX_BUCKET + 1 members indexed after `after` (micros)."""
    return sorted((m for m in members if m.indexed_at > after),
                  key=lambda m: (m.indexed_at, m.story_id))[-(MAX_BUCKET + 1):]


def merged_asks(asks: Iterable[tuple[str, bool]]) -> dict[str, bool]:
    """Asks for one holder from several keys: one per asker, exact when
    any key was exact."""
    merged: dict[str, bool] = {}
    for asker, exact in asks:
        merged[asker] = merged.get(asker, False) or exact
    return merged


class Edge(NamedTuple):
    """A verified pair, with what clustering needs of the other end."""

    story_id: str
    other: str
    score: float
    other_rank: tuple
    other_size: int


def verified_edges(own: Fingerprint, others: Iterable[tuple[Fingerprint, bool]]) -> list[Edge]:
    """The candidates of a new story that are copies of it."""
    edges = []
    for other, exact in others:
        score = verified_containment(own, other, exact)
        if score is not None:
            edges.append(Edge(own.story_id, other.story_id, score, other.rank,
                              other.shingle_count))
    return edges


class StoredCluster(NamedTuple):
    cluster_id: str
    indexed_at: datetime


def cluster_poll(arrivals: Iterable[tuple[Story, Fingerprint]], edges: Iterable[Edge],
                 stored: Mapping[str, StoredCluster], now: datetime,
                 retention: timedelta
                 ) -> tuple[list[tuple[Story, DedupIndexEntry]], dict[str, StoredCluster]]:
    """The poll's new stories, each with its cluster and index entry, as a
    batch run would cluster them against what is stored; and the stored
    clusters after the poll (expired ones dropped, the new ones added).

    An edge to a story no longer stored (expired) is ignored."""
    cutoff = now - retention
    clusters = {s: c for s, c in stored.items() if c.indexed_at >= cutoff}
    new = {story.story_id: (story, fingerprint) for story, fingerprint in arrivals}
    members = {sid: ClusterMember(sid, fp.rank, None, fp.shingle_count)
               for sid, (_story, fp) in new.items()}
    kept_edges = []
    for edge in edges:
        if edge.other not in new:
            known = clusters.get(edge.other)
            if known is None:
                continue
            members[edge.other] = ClusterMember(edge.other, edge.other_rank,
                                                known.cluster_id, edge.other_size)
        kept_edges.append((edge.story_id, edge.other, edge.score))
    assigned = assign_clusters(members.values(), kept_edges)
    found = []
    for story_id, (story, fingerprint) in sorted(new.items()):
        cluster_id = assigned[story_id]
        clusters[story_id] = StoredCluster(cluster_id, now)
        duplicate_of = None if cluster_id == story_id else cluster_id
        found.append((dataclasses.replace(story, cluster_id=cluster_id,
                                          duplicate_of=duplicate_of),
                      index_entry(story, fingerprint, cluster_id, now)))
    return found, clusters


def split_due(pending: Iterable[tuple[int, object]], now: int
              ) -> tuple[list[object], list[tuple[int, object]]]:
    """Buffered (timestamp, item) pairs: the items of polls up to `now`, and
    the pairs of later polls, which wait for their own timer."""
    pending = list(pending)
    return ([item for stamp, item in pending if stamp <= now],
            [(stamp, item) for stamp, item in pending if stamp > now])
