"""What dedup knows of one story: its fingerprint, candidate keys and index entry.

Plain functions, no Beam: `transforms.Deduplicate` calls them per story and
per candidate pair; the decisions themselves are made in `furniture`,
`minhash`, `verify` and `clusters`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Optional

import numpy as np

from schemas.records import DedupIndexEntry, Story
from schemas.tables import story_date
from transforms.dedup.clusters import ClusterMember, rank_key
from transforms.dedup.furniture import dedup_text
from transforms.dedup.minhash import MinHasher, band_keys, shingles
from transforms.dedup.verify import (
    containment,
    estimate_containment,
    is_near_duplicate_estimated,
    is_near_duplicate_text,
)
from transforms.text.ids import canonical_url


@dataclass(frozen=True)
class StoredStory:
    """An already stored story_id (dedup reads only this column back)."""

    story_id: str


@dataclass(frozen=True, eq=False)
class Fingerprint:
    """What verification and clustering need of one story."""

    story_id: str
    rank: tuple
    text: str = field(repr=False)
    shingles: np.ndarray = field(repr=False)
    signature: np.ndarray = field(repr=False)
    # Size of the shingle set the signature was made of (also when the
    # shingles themselves are not at hand).
    shingle_count: int = 0
    # The cluster of a story stored by an earlier run; None for a new one.
    stored_cluster: Optional[str] = None

    @property
    def member(self) -> ClusterMember:
        return ClusterMember(self.story_id, self.rank, self.stored_cluster)


def published_stamp(story: Story) -> str:
    return (story.published_at or story.fetched_at).isoformat()


def is_agency_copy(story: Story) -> bool:
    """The wire service's own copy: its source names the credited agency."""
    return bool(story.agency) and story.agency.casefold() in story.source.casefold()


def exact_keys(text_hash: str, url: Optional[str]) -> list[str]:
    """Keys that make two stories the same story outright."""
    keys = [f"hash:{text_hash}"]
    link = canonical_url(url)
    if link:
        keys.append(f"url:{link}")
    return keys


def copy_order(story: Story) -> tuple:
    """Which of two copies of one story_id is kept: the earliest, then by feed."""
    return published_stamp(story), story.feed_url or "", story.source, story.content_hash


def pick_one_copy(copies: Iterable[Story]) -> tuple[Story, int]:
    """The copy of a story_id to keep (earliest, then by feed), and how many were merged."""
    ordered = sorted(copies, key=copy_order)
    return ordered[0], len(ordered) - 1


def fingerprints(stories: list[Story], hasher: MinHasher) -> list[Fingerprint]:
    texts = [dedup_text(s.title, s.body) for s in stories]
    sets = [shingles(t) for t in texts]
    signatures = hasher.signatures(sets)
    return [Fingerprint(s.story_id,
                        rank_key(published_stamp(s), is_agency_copy(s), s.story_id),
                        text, shingle_set, signature, len(shingle_set))
            for s, text, shingle_set, signature in zip(stories, texts, sets, signatures)]


def stored_fingerprint(entry: DedupIndexEntry, title: Optional[str],
                       body: Optional[str]) -> Fingerprint:
    """A stored story's fingerprint: from its stored text when there is one."""
    signature = np.frombuffer(entry.signature, dtype=np.uint32)
    text = dedup_text(title or "", body or "") if title or body else ""
    return Fingerprint(entry.story_id,
                       rank_key(entry.published, entry.agency_copy, entry.story_id),
                       text, shingles(text) if text else np.empty(0, np.uint64),
                       signature, entry.shingle_count, stored_cluster=entry.cluster_id)


def verified_containment(a: Fingerprint, b: Fingerprint, exact: bool) -> Optional[float]:
    """Containment of the shorter in the longer if the pair is one story,
    else None (exact-key pairs count as 1.0)."""
    if exact:
        return 1.0
    if len(a.shingles) and len(b.shingles):
        if is_near_duplicate_text(a.text, b.text, a.shingles, b.shingles):
            return containment(a.shingles, b.shingles)
        return None
    # A stored text that could not be read back: decide on signatures.
    n_a, n_b = a.shingle_count, b.shingle_count
    if is_near_duplicate_estimated(a.signature, n_a, b.signature, n_b):
        return estimate_containment(a.signature, n_a, b.signature, n_b)
    return None


def index_entry(story: Story, fingerprint: Fingerprint, cluster_id: str,
                indexed_at: datetime) -> DedupIndexEntry:
    return DedupIndexEntry(
        story_id=story.story_id, cluster_id=cluster_id, published=published_stamp(story),
        agency_copy=is_agency_copy(story),
        # The stories partition the story is written to: where its text is
        # re-read when a later copy needs verifying.
        published_date=story_date(story),
        shingle_count=fingerprint.shingle_count,
        signature=np.asarray(fingerprint.signature, dtype=np.uint32).tobytes(),
        content_hash=story.content_hash, canonical_url=canonical_url(story.url),
        indexed_at=indexed_at)


def slim(fingerprint: Fingerprint) -> Fingerprint:
    """The fingerprint without its text and shingles: what an index entry
    needs (signature, shingle count) and no more."""
    return dataclasses.replace(fingerprint, text="", shingles=np.empty(0, np.uint64))


def candidate_keys(story: Story, fingerprint: Fingerprint):
    """A new story's candidate keys: exact keys and LSH band keys."""
    for key in exact_keys(story.content_hash, story.url):
        yield key, (story.story_id, True)
    for key in band_keys(fingerprint.signature):
        yield key, (story.story_id, True)


def stored_candidate_keys(entry: DedupIndexEntry):
    """A stored story's candidate keys, from its index entry."""
    for key in exact_keys(entry.content_hash, entry.canonical_url):
        yield key, (entry.story_id, False)
    signature = np.frombuffer(entry.signature, dtype=np.uint32)
    for key in band_keys(signature):
        yield key, (entry.story_id, False)
