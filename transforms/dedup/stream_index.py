"""Dedup for a stream: what one keyed state holds between stories.

A batch run meets all of its stories at once; a stream meets them one at a
time, for as long as the job runs. `StreamIndex` keeps the story_ids seen
(stored ones included: a story_id is never emitted twice) and, for the
retention window, each story's fingerprint under its candidate keys, so a
copy arriving in a later window joins the stored cluster. Stored
story_ids are known as a batch run knows them: those of the dedup index
from the start, and those of a published_date partition once a story of
that date arrives (`unread_days`, `add_stored_days`), so a stream's start
and memory do not grow with DIR's history. The decisions are
the batch's: the same keys, `verified_containment` and `assign_clusters`,
with every earlier story as a stored member (stored clusters never move).

Plain Python: `transforms.DeduplicateStream` keeps one StreamIndex in the
state of a single key, so every story of the job passes through one
ordered place.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable, Optional

from schemas.records import DedupIndexEntry, Story
from schemas.tables import story_date
from transforms.dedup.clusters import ClusterMember, assign_clusters
from transforms.dedup.fingerprints import (
    Fingerprint,
    copy_order,
    candidate_keys,
    index_entry,
    stored_candidate_keys,
    stored_fingerprint,
    verified_containment,
)
from transforms.dedup.minhash import MAX_BUCKET


@dataclass
class _Kept:
    fingerprint: Fingerprint
    keys: tuple[tuple[str, bool], ...]
    indexed_at: datetime


@dataclass
class StreamIndex:
    retention: timedelta
    seen: set[str] = field(default_factory=set)
    kept: dict[str, _Kept] = field(default_factory=dict)
    by_key: dict[str, set[str]] = field(default_factory=dict)
    # The published_date partitions whose stored story_ids are in `seen`.
    days_read: set[str] = field(default_factory=set)

    @classmethod
    def from_stored(cls, retention: timedelta,
                    entries: Iterable[tuple[DedupIndexEntry, Optional[str], Optional[str]]]
                    ) -> "StreamIndex":
        """What batch runs (or an earlier stream) left in the dedup index:
        entries with their stored title and body."""
        index = cls(retention)
        for entry, title, body in entries:
            index.seen.add(entry.story_id)
            keys = tuple((key, exact) for key, (_id, exact) in
                         ((k, v) for k, v in stored_candidate_keys(entry)))
            index._keep(stored_fingerprint(entry, title, body), keys, entry.indexed_at)
        return index

    def unread_days(self, stories: Iterable[Story]) -> set[str]:
        """The published_date partitions of these stories not read yet."""
        return {story_date(story) for story in stories} - self.days_read

    def add_stored_days(self, days: Iterable[str], stored_ids: Iterable[str]) -> None:
        """The story_ids stored in these partitions, now known as seen."""
        self.days_read.update(days)
        self.seen.update(stored_ids)

    def _keep(self, fingerprint: Fingerprint, keys, indexed_at: datetime) -> None:
        self.kept[fingerprint.story_id] = _Kept(fingerprint, keys, indexed_at)
        for key, _exact in keys:
            self.by_key.setdefault(key, set()).add(fingerprint.story_id)

    def expire(self, now: datetime) -> None:
        """Forget fingerprints older than the retention (their ids stay seen)."""
        cutoff = now - self.retention
        for story_id in [s for s, k in self.kept.items() if k.indexed_at < cutoff]:
            for key, _exact in self.kept.pop(story_id).keys:
                members = self.by_key.get(key)
                if members is not None:
                    members.discard(story_id)
                    if not members:
                        del self.by_key[key]

    def add(self, arrivals: list[tuple[Story, Fingerprint]], now: datetime
            ) -> list[tuple[Story, DedupIndexEntry]]:
        """The stories that arrived together (one poll), each with its
        cluster and index entry, as a batch run would cluster them against
        what is stored; story_ids seen before are left out."""
        self.expire(now)
        new: dict[str, tuple[Story, Fingerprint, tuple]] = {}
        # Of two copies of one story_id the batch keeps the earliest (then by
        # feed): the same order here.
        for story, fingerprint in sorted(arrivals, key=lambda a: copy_order(a[0])):
            if story.story_id not in self.seen and story.story_id not in new:
                keys = tuple((key, exact) for key, (_id, exact)
                             in candidate_keys(story, fingerprint))
                new[story.story_id] = (story, fingerprint, keys)
        groups: dict[str, set[str]] = {}
        for story_id, (_story, _fp, keys) in new.items():
            for key, _exact in keys:
                groups.setdefault(key, set()).add(story_id)
        pairs: dict[tuple[str, str], bool] = {}
        for key, arrived in groups.items():
            stored = self.by_key.get(key, set())
            if len(arrived) + len(stored) > MAX_BUCKET:
                continue  # furniture shared by unrelated stories, as in batch
            exact = not key.startswith("lsh:")
            members = sorted(arrived | stored)
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    if a in new or b in new:
                        pairs[(a, b)] = pairs.get((a, b), False) or exact
        edges, stored_members = [], {}
        for (a, b), exact in sorted(pairs.items()):
            score = verified_containment(self._fingerprint(a, new), self._fingerprint(b, new),
                                         exact)
            if score is None:
                continue
            edges.append((a, b, score))
            for other in (a, b):
                if other not in new:
                    kept = self.kept[other].fingerprint
                    stored_members[other] = ClusterMember(other, kept.rank, kept.stored_cluster,
                                                          kept.shingle_count)
        members = [dataclasses.replace(fp.member, size=fp.shingle_count)
                   for _s, fp, _k in new.values()] + list(stored_members.values())
        clusters = assign_clusters(members, edges)
        found = []
        for story_id, (story, fingerprint, keys) in sorted(new.items()):
            cluster_id = clusters[story_id]
            self.seen.add(story_id)
            self._keep(dataclasses.replace(fingerprint, stored_cluster=cluster_id), keys, now)
            canonical = cluster_id == story_id
            found.append((dataclasses.replace(story, cluster_id=cluster_id,
                                              duplicate_of=None if canonical else cluster_id),
                          index_entry(story, fingerprint, cluster_id, now)))
        return found

    def _fingerprint(self, story_id: str, new: dict) -> Fingerprint:
        return new[story_id][1] if story_id in new else self.kept[story_id].fingerprint
