"""Deduplicate stage: one row per story_id, and every copy of a story in one
cluster, across feeds and across runs.

The decisions are `transforms.near_dup`'s; this module wires them as keyed
Beam steps, so the result depends on the data only, never on bundles,
workers or runner:

1. story_id: a story already stored is dropped (a rerun adds no rows);
   copies of one story_id within the run collapse to one.
2. Fingerprints: per new story its cleaned text, shingles and MinHash
   signature, signed in batches.
3. Candidates: stories meet under keys, GroupByKey'd: LSH band keys and the
   exact keys (normalised text hash, canonical URL), for this run's stories
   and the recent stories of the dedup index in OUTPUT/_state/.
4. Verification: each candidate pair is joined to both fingerprints and kept
   if one text is contained in the other (exact keys count as contained).
   Stored stories are verified on their stored text, re-read from the
   stories table for candidates only (their signature if it is gone).
5. Clusters: `assign_clusters` over the verified edges: in canonical order
   each story joins the best-matching canonical story or founds a cluster;
   no chaining, stored clusters never move.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable, Optional

import apache_beam as beam
import numpy as np
from apache_beam.io.filesystems import FileSystems

from schemas.records import DedupIndexEntry, Story
from schemas.tables import story_date
from transforms import near_dup
from transforms.clean import canonical_url
from transforms.metrics import counter

# Key groups larger than this are furniture shared by unrelated stories
# (a band value of boilerplate), not a story's copies: skipped and counted.
MAX_BUCKET = 1000
INDEX_DIR = "_state/dedup_index"
DEFAULT_RETENTION_DAYS = 7.0


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
    def member(self) -> near_dup.ClusterMember:
        return near_dup.ClusterMember(self.story_id, self.rank, self.stored_cluster)


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


def pick_one_copy(copies: Iterable[Story]) -> tuple[Story, int]:
    """The copy of a story_id to keep (earliest, then by feed), and how many were merged."""
    ordered = sorted(copies, key=lambda s: (published_stamp(s), s.feed_url or "",
                                            s.source, s.content_hash))
    return ordered[0], len(ordered) - 1


def fingerprints(stories: list[Story], hasher: near_dup.MinHasher) -> list[Fingerprint]:
    texts = [near_dup.dedup_text(s.title, s.body) for s in stories]
    sets = [near_dup.shingles(t) for t in texts]
    signatures = hasher.signatures(sets)
    return [Fingerprint(s.story_id,
                        near_dup.rank_key(published_stamp(s), is_agency_copy(s), s.story_id),
                        text, shingle_set, signature, len(shingle_set))
            for s, text, shingle_set, signature in zip(stories, texts, sets, signatures)]


def stored_fingerprint(entry: DedupIndexEntry, title: Optional[str],
                       body: Optional[str]) -> Fingerprint:
    """A stored story's fingerprint: from its stored text when there is one."""
    signature = np.frombuffer(entry.signature, dtype=np.uint32)
    text = near_dup.dedup_text(title or "", body or "") if title or body else ""
    return Fingerprint(entry.story_id, near_dup.rank_key(entry.published, entry.agency_copy,
                                                         entry.story_id),
                       text, near_dup.shingles(text) if text else np.empty(0, np.uint64),
                       signature, entry.shingle_count, stored_cluster=entry.cluster_id)


def verified(a: Fingerprint, b: Fingerprint, exact: bool) -> Optional[float]:
    """Containment of the shorter in the longer if the pair is one story."""
    if exact:
        return 1.0
    if len(a.shingles) and len(b.shingles):
        if near_dup.is_near_duplicate_text(a.text, b.text, a.shingles, b.shingles):
            return near_dup.containment(a.shingles, b.shingles)
        return None
    # A stored text that could not be read back: decide on signatures.
    n_a, n_b = a.shingle_count, b.shingle_count
    if near_dup.is_near_duplicate_estimated(a.signature, n_a, b.signature, n_b):
        return near_dup.estimate_containment(a.signature, n_a, b.signature, n_b)
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


# --- Beam steps -----------------------------------------------------------------

class _KeepNewStories(beam.DoFn):
    """Per story_id: drop what is already stored, keep one copy of the rest."""

    def setup(self):
        self._stored = counter("stories_already_stored")
        self._merged = counter("stories_same_id_merged")

    def process(self, grouped):
        _story_id, joined = grouped
        copies, stored = joined["new"], joined["stored"]
        if stored:
            self._stored.inc(len(copies))
            return
        if copies:
            story, merged = pick_one_copy(copies)
            self._merged.inc(merged)
            yield story


class _Fingerprint(beam.DoFn):
    """Batches of stories -> (story_id, fingerprint); the MinHasher is built
    once per worker.

    The story's candidate keys (tagged "keys") and a slim fingerprint for its
    index entry (tagged "slim") come out here too, where story and
    fingerprint are both at hand: neither has to be joined back to the
    other across a shuffle.
    """

    def setup(self):
        self._hasher = near_dup.MinHasher()

    def process(self, batch: list[Story]):
        for story, fingerprint in zip(batch, fingerprints(batch, self._hasher)):
            yield fingerprint.story_id, fingerprint
            yield beam.pvalue.TaggedOutput("slim", (fingerprint.story_id, slim(fingerprint)))
            for keyed in _new_keys((story, fingerprint)):
                yield beam.pvalue.TaggedOutput("keys", keyed)


def slim(fingerprint: Fingerprint) -> Fingerprint:
    """The fingerprint without its text and shingles: what an index entry
    needs (signature, shingle count) and no more."""
    return dataclasses.replace(fingerprint, text="", shingles=np.empty(0, np.uint64))


def _new_keys(pair):
    story, fingerprint = pair
    for key in exact_keys(story.content_hash, story.url):
        yield key, (story.story_id, True)
    for key in near_dup.band_keys(fingerprint.signature):
        yield key, (story.story_id, True)


def _stored_keys(entry: DedupIndexEntry):
    for key in exact_keys(entry.content_hash, entry.canonical_url):
        yield key, (entry.story_id, False)
    signature = np.frombuffer(entry.signature, dtype=np.uint32)
    for key in near_dup.band_keys(signature):
        yield key, (entry.story_id, False)


class _PairsInGroup(beam.DoFn):
    """Candidate pairs of a key group, each with at least one new story."""

    def setup(self):
        self._skipped = counter("dedup_key_groups_skipped")

    def process(self, grouped):
        key, members = grouped
        members = sorted(set(members))
        if len(members) < 2 or not any(is_new for _, is_new in members):
            return
        if len(members) > MAX_BUCKET:
            self._skipped.inc()
            return
        exact = not key.startswith("lsh:")
        for i, (a, a_new) in enumerate(members):
            for b, b_new in members[i + 1:]:
                if a != b and (a_new or b_new):
                    yield (a, b), exact


def _first_half(grouped):
    """(a, {pairs, fingerprint}) -> (b, (fingerprint of a, exact))."""
    _a, joined = grouped
    for fingerprint in joined["fingerprint"]:
        for b, exact in joined["pairs"]:
            yield b, (fingerprint, exact)


class _Verify(beam.DoFn):
    def setup(self):
        self._candidates = counter("dedup_candidate_pairs")
        self._edges = counter("dedup_verified_pairs")

    def process(self, grouped):
        _b, joined = grouped
        for b in joined["fingerprint"]:
            for a, exact in joined["halves"]:
                self._candidates.inc()
                score = verified(a, b, exact)
                if score is not None:
                    self._edges.inc()
                    yield a.member, b.member, score


def _assign(grouped):
    """All verified edges -> (story_id, cluster_id) of the new stories in them."""
    _key, edges = grouped
    members, pairs = {}, []
    for a, b, score in edges:
        members[a.story_id], members[b.story_id] = a, b
        pairs.append((a.story_id, b.story_id, score))
    clusters = near_dup.assign_clusters(members.values(), pairs)
    for story_id, cluster_id in sorted(clusters.items()):
        if members[story_id].stored_cluster is None:
            yield story_id, cluster_id


class _Finish(beam.DoFn):
    """A new story with its cluster, and its entry in the dedup index."""

    def __init__(self, indexed_at: datetime):
        self._indexed_at = indexed_at

    def setup(self):
        self._canonical = counter("stories_canonical")
        self._duplicate = counter("stories_duplicate")
        self._chars = {True: counter("chars_canonical"), False: counter("chars_duplicate")}

    def process(self, grouped):
        _story_id, joined = grouped
        (story,) = joined["story"]
        (fingerprint,) = joined["fingerprint"]
        cluster_id = joined["cluster"][0] if joined["cluster"] else story.story_id
        canonical = cluster_id == story.story_id
        (self._canonical if canonical else self._duplicate).inc()
        self._chars[canonical].inc(len(story.title) + len(story.body))
        yield dataclasses.replace(story, cluster_id=cluster_id,
                                  duplicate_of=None if canonical else cluster_id)
        yield beam.pvalue.TaggedOutput("index", index_entry(story, fingerprint, cluster_id,
                                                            self._indexed_at))


def index_pattern(output: str) -> str:
    return FileSystems.join(output, INDEX_DIR, "*", "*.parquet")


def prune_index(output: str, now: datetime, retention_days: float) -> int:
    """Delete index partitions older than the window (and a day of slack)."""
    cutoff = (now - timedelta(days=retention_days + 1)).strftime("%Y-%m-%d")
    pattern = FileSystems.join(output, INDEX_DIR, "run_date=*", "*.parquet")
    old = [m.path for m in FileSystems.match([pattern])[0].metadata_list
           if m.path.rsplit("run_date=", 1)[1][:10] < cutoff]
    if old:
        FileSystems.delete(old)
    return len(old)


class ReadDedupIndex(beam.PTransform):
    """The index entries of stories indexed within the retention window."""

    def __init__(self, output: str, now: datetime, retention_days: float):
        super().__init__()
        self._pattern = index_pattern(output)
        self._since = now - timedelta(days=retention_days)

    def expand(self, pbegin):
        since = self._since
        return (pbegin
                | "IndexPattern" >> beam.Create([self._pattern])
                | "ReadIndex" >> beam.io.ReadAllFromParquet()
                | "ToEntries" >> beam.Map(lambda row: DedupIndexEntry(**row))
                | "InWindow" >> beam.Filter(lambda e: e.indexed_at >= since))


class _StoredTexts(beam.PTransform):
    """(story_id, entry) of stored candidates -> their fingerprints, from the
    stored text when the stories table still has it."""

    def __init__(self, output: str):
        super().__init__()
        self._output = output

    def expand(self, entries):
        output = self._output
        texts = (
            entries
            | "Dates" >> beam.Map(lambda kv: kv[1].published_date)
            | "DistinctDates" >> beam.Distinct()
            | "DatePatterns" >> beam.Map(lambda day: FileSystems.join(
                output, "stories", f"published_date={day}", "*.parquet"))
            | "ReadTexts" >> beam.io.ReadAllFromParquet(columns=["story_id", "title", "body"])
            | "TextById" >> beam.Map(lambda row: (row["story_id"], (row["title"], row["body"]))))

        def fingerprint(grouped):
            _story_id, joined = grouped
            for entry in joined["entry"][:1]:
                title, body = joined["text"][0] if joined["text"] else (None, None)
                yield entry.story_id, stored_fingerprint(entry, title, body)

        return ({"entry": entries, "text": texts}
                | "JoinTexts" >> beam.CoGroupByKey()
                | "StoredFingerprints" >> beam.FlatMap(fingerprint))


class Deduplicate(beam.PTransform):
    """New stories -> (stories with cluster_id/duplicate_of, dedup index entries).

    `stored_ids` are the story_ids already in OUTPUT; `index` the recent
    stories of the dedup index (ReadDedupIndex); `output` is where stored
    texts are re-read for verification.
    """

    def __init__(self, stored_ids, index, output: str, indexed_at: datetime,
                 batch_size: int = 256):
        super().__init__()
        self._stored_ids, self._index = stored_ids, index
        self._output, self._indexed_at, self._batch_size = output, indexed_at, batch_size

    def expand(self, stories):
        new = (
            {"new": stories | "ById" >> beam.Map(lambda s: (s.story_id, s)),
             "stored": self._stored_ids | "StoredById" >> beam.Map(lambda s: (s.story_id, s))}
            | "JoinIds" >> beam.CoGroupByKey()
            | "PickCopy" >> beam.ParDo(_KeepNewStories()))
        new_by_id = new | "NewById" >> beam.Map(lambda s: (s.story_id, s))
        printed = (
            new
            | "Batch" >> beam.BatchElements(min_batch_size=16, max_batch_size=self._batch_size)
            | "Fingerprint" >> beam.ParDo(_Fingerprint()).with_outputs(
                "keys", "slim", main="prints"))
        new_prints = printed.prints

        index_by_id = self._index | "IndexById" >> beam.Map(lambda e: (e.story_id, e))
        keyed = (printed.keys, self._index | "StoredKeys" >> beam.FlatMap(_stored_keys))
        pairs = (
            keyed
            | "AllKeys" >> beam.Flatten()
            | "ByKey" >> beam.GroupByKey()
            | "Candidates" >> beam.ParDo(_PairsInGroup())
            | "ByPair" >> beam.GroupByKey()
            | "AnyExact" >> beam.Map(lambda kv: (kv[0], any(kv[1]))))

        # Stored stories that are candidates, fingerprinted from their text.
        stored_in_pairs = (
            pairs
            | "PairIds" >> beam.FlatMap(lambda kv: [(kv[0][0], None), (kv[0][1], None)])
            | "DistinctIds" >> beam.Distinct())
        stored_candidates = (
            {"pair": stored_in_pairs, "entry": index_by_id}
            | "JoinEntries" >> beam.CoGroupByKey()
            | "StoredOnly" >> beam.FlatMap(
                lambda kv: [(kv[0], kv[1]["entry"][0])] if kv[1]["entry"] and kv[1]["pair"] else []))
        stored_prints = stored_candidates | "StoredTexts" >> _StoredTexts(self._output)
        all_prints = (new_prints, stored_prints) | "AllPrints" >> beam.Flatten()

        halves = (
            {"pairs": pairs | "ByA" >> beam.Map(lambda kv: (kv[0][0], (kv[0][1], kv[1]))),
             "fingerprint": all_prints}
            | "JoinA" >> beam.CoGroupByKey()
            | "FirstHalf" >> beam.FlatMap(_first_half))
        edges = (
            {"halves": halves, "fingerprint": all_prints}
            | "JoinB" >> beam.CoGroupByKey()
            | "Verify" >> beam.ParDo(_Verify()))
        # Clustering needs every edge of a connected component together;
        # verified edges are few (about one per copy), so one key holds them.
        clusters = (
            edges
            | "OneKey" >> beam.Map(lambda edge: (None, edge))
            | "AllEdges" >> beam.GroupByKey()
            | "Assign" >> beam.FlatMap(_assign))

        finished = (
            {"story": new_by_id, "fingerprint": printed.slim, "cluster": clusters}
            | "JoinClusters" >> beam.CoGroupByKey()
            | "Finish" >> beam.ParDo(_Finish(self._indexed_at)).with_outputs("index", main="stories"))
        return finished.stories, finished.index
