"""Deduplicate stage: one row per story_id, and every copy of a story in one
cluster, across feeds and across runs.

The decisions are made in the plain modules beside this one (`furniture`,
`minhash`, `verify`, `clusters`, through `fingerprints`); this module wires
them as keyed Beam steps, so the result depends on the data only, never on
bundles, workers or runner:

1. story_id: a story already stored is dropped (a rerun adds no rows);
   copies of one story_id within the run collapse to one. Only what a new
   story_id can collide with is read (`ReadStoredIds`): the story_ids of
   the published_date partitions the new stories fall in, and those of the
   dedup index (any published date, indexed within the retention). So a
   run's cost follows its own stories' dates, not DIR's history, and a
   story_id is never stored twice when it comes back with the same
   published date (however late), or with another one within the
   retention. A story whose date moves after the retention is not caught
   (see `ReadStoredIds`).
2. Fingerprints: per new story its cleaned text, shingles and MinHash
   signature, signed in batches.
3. Candidates: stories meet under keys: LSH band keys and the exact keys
   (normalised text hash, canonical URL), for this run's stories and the
   recent stories of the dedup index in OUTPUT/_state/. The keys cross one
   shuffle in blocks, grouped by key shard, and meet within their shard
   (`candidates`).
4. Verification: each candidate pair meets its two stories' fingerprints
   (joined by story_id, then grouped by pair) and is kept if one text is
   contained in the other (exact keys count as contained).
   Stored stories are verified on their stored text, re-read from the
   stories table for candidates only (their signature if it is gone).
5. Clusters: `assign_clusters` over the verified edges, one connected
   component of them per key: in canonical order
   each story joins the cluster it is verified against best (through its
   earliest story, or through a member it must overlap), or founds one;
   the fullest copy of its earliest stories is canonical; stored clusters
   never move.
6. Finish: each new story gets its cluster_id (and duplicate_of unless it
   is canonical) and its entry in the dedup index.

`Deduplicate.expand` reads as these steps, one private composite each.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import datetime, timedelta

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.io import fileio
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import (
    BagStateSpec,
    ReadModifyWriteStateSpec,
    TimerSpec,
    on_timer,
)

from schemas.records import DedupIndexEntry, Story
from schemas.tables import DEDUP_INDEX, STORIES, story_date
from transforms.dedup.clusters import assign_clusters
from transforms.dedup.candidates import (
    key_blocks,
    key_shards,
    pairs_in_shard,
    signature_matrix,
)
from transforms.dedup.fingerprints import (
    StoredStory,
    exact_keys,
    fingerprints,
    index_entry,
    pick_one_copy,
    slim,
    stored_fingerprint,
    verified_containment,
)
from transforms.dedup.index import index_files_pattern, read_stored, stored_ids_of_days
from transforms.dedup.minhash import MinHasher
from transforms.dedup.stream_index import StreamIndex
from transforms.lake import paths
from transforms.metrics import counter


# Rounds of label spreading that find an edge graph's components (see
# _Components): copies of one story are a star around the agency's copy or a
# short chain of excerpts, within 4 hops of its lowest story_id.
COMPONENT_ROUNDS = 3


# --- Keying and unpacking, named so that no step indexes into a tuple ----------

def _by_story_id(record):
    """A story, stored story_id or index entry keyed by its story_id."""
    return record.story_id, record


def _any_exact(pair, exact_flags):
    """A candidate pair met under several keys is exact if any key was."""
    return pair, any(exact_flags)


def _ids_of_pair(pair, _exact):
    a, b = pair
    return [(a, None), (b, None)]


def _ends_of_pair(pair, exact):
    """A candidate pair under each of its two stories."""
    a, b = pair
    yield a, (pair, exact)
    yield b, (pair, exact)


def _stored_candidate_entry(story_id, joined):
    """The index entry of a story that is in a candidate pair (none for a new story)."""
    if joined["entry"] and joined["pair"]:
        yield story_id, joined["entry"][0]


def _stored_story(row) -> StoredStory:
    return StoredStory(row["story_id"])


def _stored_of_entry(entry: DedupIndexEntry) -> StoredStory:
    return StoredStory(entry.story_id)


def _index_files_in_window(metadata, first_day: str):
    """An index file's path if its run_date partition may hold entries
    indexed within the retention (older partitions are not even opened)."""
    if paths.partition_value(metadata.path, DEDUP_INDEX)[:10] >= first_day:
        yield metadata.path


def _published_date(_story_id, entry):
    return entry.published_date


def _stories_files_of_day(day, output: str) -> str:
    return paths.partition_files_pattern(output, STORIES, day)


def _text_by_id(row):
    return row["story_id"], (row["title"], row["body"])


def _fingerprint_from_text(_story_id, joined):
    """A stored candidate's fingerprint: from its stored text if it was read back."""
    for entry in joined["entry"][:1]:
        title, body = joined["text"][0] if joined["text"] else (None, None)
        yield entry.story_id, stored_fingerprint(entry, title, body)


def _fingerprint_to_pairs(_story_id, joined):
    """(story_id, {ends, new, stored}) -> (pair, (fingerprint, exact)) for
    each candidate pair the story is in (its fingerprint is a new story's or
    a stored one's, never both)."""
    for fingerprint in itertools.chain(joined["new"], joined["stored"]):
        for pair, exact in joined["ends"]:
            yield pair, (fingerprint, exact)


def _member(fingerprint):
    """The story as clustering sees it, with its shingle count."""
    return dataclasses.replace(fingerprint.member, size=fingerprint.shingle_count)


def _edge_ids(a, b, _score):
    return a.story_id, b.story_id


def _both_ways(a, b):
    yield a, b
    yield b, a


def _lowest_in_reach(story_id, neighbours):
    return story_id, min(story_id, *neighbours)


def _spread_label(story_id, joined):
    """A story's label to itself and its neighbours: the lowest wins."""
    (label,) = joined["label"]
    yield story_id, label
    for neighbours in joined["neighbours"]:
        for other in neighbours:
            yield other, label


def _spread_tagged(story_id, joined):
    """As _spread_label, telling a story's own label from its neighbours'."""
    (label,) = joined["label"]
    yield story_id, (True, label)
    for neighbours in joined["neighbours"]:
        for other in neighbours:
            yield other, (False, label)


def _unsettled_labels(_story_id, tagged):
    """Both labels of every edge whose ends disagree: their components have
    not settled in COMPONENT_ROUNDS."""
    own = next(label for is_own, label in tagged if is_own)
    others = {label for is_own, label in tagged if not is_own and label != own}
    if others:
        yield own, None
        for label in others:
            yield label, None


def _label_first(story_id, label):
    return label, story_id


def _component_of(label, joined):
    """(story_id, component key): the label, or None for every story of an
    unsettled component (those are clustered together under one key)."""
    key = None if joined["unsettled"] else label
    for story_id in joined["story"]:
        yield story_id, key


def _keyed_by_first(edge):
    return edge[0].story_id, edge


def _edge_in_component(_story_id, joined):
    for key in joined["component"][:1]:
        for edge in joined["edge"]:
            yield key, edge


def _assign(_key, edges):
    """All verified edges -> (story_id, cluster_id) of the new stories in them."""
    members, pairs = {}, []
    for a, b, score in edges:
        members[a.story_id], members[b.story_id] = a, b
        pairs.append((a.story_id, b.story_id, score))
    clusters = assign_clusters(members.values(), pairs)
    for story_id, cluster_id in sorted(clusters.items()):
        if members[story_id].stored_cluster is None:
            yield story_id, cluster_id


def _index_entry_from_row(row) -> DedupIndexEntry:
    return DedupIndexEntry(**row)


def _indexed_since(entry: DedupIndexEntry, since: datetime) -> bool:
    return entry.indexed_at >= since


# --- DoFns: the per-element work, with their counters ---------------------------

class _KeepNewFn(beam.DoFn):
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


class _FingerprintFn(beam.DoFn):
    """Batches of new stories and stored index entries -> (story_id,
    fingerprint) of each new story; the MinHasher is built once per worker.

    Every candidate key (tagged "keys") comes out of this one step, a new
    story's and a stored entry's alike, in one block per key shard of the
    batch (`candidates.key_blocks`). A slim fingerprint for the new story's
    index entry (tagged "slim") comes out here too, where story and
    fingerprint are both at hand. `stories` is how many stories and entries
    the run fingerprints, which sets the number of shards.
    """

    def setup(self):
        self._hasher = MinHasher()

    def process(self, batch: list, stories: int):
        new = [record for record in batch if isinstance(record, Story)]
        entries = [record for record in batch if isinstance(record, DedupIndexEntry)]
        prints = fingerprints(new, self._hasher)
        for fingerprint in prints:
            yield fingerprint.story_id, fingerprint
            yield beam.pvalue.TaggedOutput("slim", (fingerprint.story_id, slim(fingerprint)))
        blocks = key_blocks(
            [s.story_id for s in new] + [e.story_id for e in entries],
            [True] * len(new) + [False] * len(entries),
            signature_matrix([f.signature for f in prints] + [e.signature for e in entries]),
            [exact_keys(s.content_hash, s.url) for s in new]
            + [exact_keys(e.content_hash, e.canonical_url) for e in entries],
            key_shards(stories))
        for shard, block in blocks.items():
            yield beam.pvalue.TaggedOutput("keys", (shard, block))


class _PairsInShardFn(beam.DoFn):
    """A key shard's blocks -> candidate pairs ((a, b), exact) that share a
    key and hold a new story."""

    def setup(self):
        self._skipped = counter("dedup_key_groups_skipped")

    def process(self, grouped):
        _shard, blocks = grouped
        pairs, skipped = pairs_in_shard(blocks)
        self._skipped.inc(skipped)
        yield from pairs


class _VerifyFn(beam.DoFn):
    """(pair (a, b), its stories' fingerprints) -> verified edge (member a,
    member b, containment)."""

    def setup(self):
        self._candidates = counter("dedup_candidate_pairs")
        self._edges = counter("dedup_verified_pairs")

    def process(self, grouped):
        (a_id, b_id), halves = grouped
        ends = {fingerprint.story_id: (fingerprint, exact) for fingerprint, exact in halves}
        if a_id not in ends or b_id not in ends:
            return
        (a, exact), (b, _) = ends[a_id], ends[b_id]
        self._candidates.inc()
        score = verified_containment(a, b, exact)
        if score is not None:
            self._edges.inc()
            yield _member(a), _member(b), score


class _FinishFn(beam.DoFn):
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


# --- The steps of Deduplicate, one composite each --------------------------------

class _KeepNewStories(beam.PTransform):
    """{"new": stories, "stored": StoredStory} -> one copy of each story_id
    not stored yet (step 1)."""

    def expand(self, inputs):
        return ({"new": inputs["new"] | "ById" >> beam.Map(_by_story_id),
                 "stored": inputs["stored"] | "StoredById" >> beam.Map(_by_story_id)}
                | "JoinIds" >> beam.CoGroupByKey()
                | "PickCopy" >> beam.ParDo(_KeepNewFn()))


class _FingerprintStories(beam.PTransform):
    """{"new": new stories, "index": index entries} -> "prints" (story_id,
    fingerprint) of the new stories, "keys" (key shard, KeyBlock) of both
    and "slim" (story_id, slim fingerprint) of the new (steps 2 and 3)."""

    def __init__(self, batch_size: int):
        super().__init__()
        self._batch_size = batch_size

    def expand(self, inputs):
        both = (inputs["new"], inputs["index"]) | "NewAndIndexed" >> beam.Flatten()
        count = both | "Count" >> beam.combiners.Count.Globally()
        return (both
                | "Batch" >> beam.BatchElements(min_batch_size=16,
                                                max_batch_size=self._batch_size)
                | "Fingerprint" >> beam.ParDo(
                    _FingerprintFn(), stories=beam.pvalue.AsSingleton(count)).with_outputs(
                    "keys", "slim", main="prints"))


class _CandidatePairs(beam.PTransform):
    """(key shard, KeyBlock) of new and stored stories -> ((a, b), exact)
    for each pair that shares a key and holds a new story (step 3)."""

    def expand(self, blocks):
        return (blocks
                | "ByShard" >> beam.GroupByKey()
                | "PairsInShard" >> beam.ParDo(_PairsInShardFn())
                | "ByPair" >> beam.GroupByKey()
                | "AnyExact" >> beam.MapTuple(_any_exact))


class _StoredTexts(beam.PTransform):
    """(story_id, entry) of stored candidates -> their fingerprints, from the
    stored text when the stories table still has it. Only the day
    partitions that hold a candidate are read."""

    def __init__(self, output: str):
        super().__init__()
        self._output = output

    def expand(self, entries):
        texts = (
            entries
            | "Dates" >> beam.MapTuple(_published_date)
            | "DistinctDates" >> beam.Distinct()
            | "DatePatterns" >> beam.Map(_stories_files_of_day, self._output)
            | "ReadTexts" >> beam.io.ReadAllFromParquet(columns=["story_id", "title", "body"])
            | "TextById" >> beam.Map(_text_by_id))
        return ({"entry": entries, "text": texts}
                | "JoinTexts" >> beam.CoGroupByKey()
                | "StoredFingerprints" >> beam.FlatMapTuple(_fingerprint_from_text))


class _StoredCandidateFingerprints(beam.PTransform):
    """{"pairs": candidate pairs, "index": index entries} -> (story_id,
    fingerprint) of the stored stories among the candidates (step 4, first
    half): only those are re-read."""

    def __init__(self, output: str):
        super().__init__()
        self._output = output

    def expand(self, inputs):
        in_pairs = (inputs["pairs"]
                    | "PairIds" >> beam.FlatMapTuple(_ids_of_pair)
                    | "DistinctIds" >> beam.Distinct())
        entries = (
            {"pair": in_pairs, "entry": inputs["index"] | "IndexById" >> beam.Map(_by_story_id)}
            | "JoinEntries" >> beam.CoGroupByKey()
            | "StoredOnly" >> beam.FlatMapTuple(_stored_candidate_entry))
        return entries | "StoredTexts" >> _StoredTexts(self._output)


class _VerifyPairs(beam.PTransform):
    """{"pairs": candidate pairs, "new"/"stored": the fingerprints of new
    stories and of stored candidates} -> verified edges (step 4). Each pair
    meets its two fingerprints under their story_ids, then the two meet under
    the pair: two keyed shuffles, the second carrying only candidates'
    fingerprints, instead of a side input holding every fingerprint. The two
    kinds of fingerprint enter the join apart: merged first, every new
    story's fingerprint would be written out and read back once more on the
    local runner, which materialises a Flatten."""

    def expand(self, inputs):
        return ({"ends": inputs["pairs"] | "Ends" >> beam.FlatMapTuple(_ends_of_pair),
                 "new": inputs["new"], "stored": inputs["stored"]}
                | "JoinPrints" >> beam.CoGroupByKey()
                | "ToPairs" >> beam.FlatMapTuple(_fingerprint_to_pairs)
                | "ByPair" >> beam.GroupByKey()
                | "Verify" >> beam.ParDo(_VerifyFn()))


class _Components(beam.PTransform):
    """Verified edges (story_id a, story_id b) -> (story_id, component key)
    for every story in an edge: its component of the edge graph, found the
    Beam way, by keyed joins.

    Each story's label starts as the lowest story_id among itself and its
    neighbours and then takes, COMPONENT_ROUNDS times, the lowest label
    among them: a component whose stories are all within that many hops of
    its lowest story_id ends with one label (copies of one story are close:
    most components are a star or a short chain). A component that has not
    settled (an edge whose ends still disagree) gets the key None, which all
    such components share: clustering several components together gives
    the same result as one at a time, so the answer is exact either way;
    only the spread is lost for those.
    """

    def expand(self, pairs):
        neighbours = (pairs
                      | "BothWays" >> beam.FlatMapTuple(_both_ways)
                      | "Neighbours" >> beam.GroupByKey())
        labels = neighbours | "Start" >> beam.MapTuple(_lowest_in_reach)
        for round_ in range(COMPONENT_ROUNDS):
            labels = ({"label": labels, "neighbours": neighbours}
                      | f"Join{round_}" >> beam.CoGroupByKey()
                      | f"Spread{round_}" >> beam.FlatMapTuple(_spread_label)
                      | f"Lowest{round_}" >> beam.CombinePerKey(min))
        unsettled = (
            {"label": labels, "neighbours": neighbours}
            | "JoinCheck" >> beam.CoGroupByKey()
            | "SpreadCheck" >> beam.FlatMapTuple(_spread_tagged)
            | "ByStory" >> beam.GroupByKey()
            | "Unsettled" >> beam.FlatMapTuple(_unsettled_labels))
        return ({"story": labels | "ByLabel" >> beam.MapTuple(_label_first),
                 "unsettled": unsettled}
                | "JoinUnsettled" >> beam.CoGroupByKey()
                | "Component" >> beam.FlatMapTuple(_component_of))


class _AssignClusters(beam.PTransform):
    """Verified edges -> (story_id, cluster_id) of the new stories in them
    (step 5). Clustering needs every edge of a connected component
    together, and no more: the edges are grouped by component
    (`_Components`), so components are clustered on many workers and no
    key holds more than its component (`clusters.assign_by_component` does
    the same in-process)."""

    def expand(self, edges):
        component = (edges
                     | "EdgeIds" >> beam.MapTuple(_edge_ids)
                     | "Components" >> _Components())
        return ({"edge": edges | "ByFirst" >> beam.Map(_keyed_by_first),
                 "component": component}
                | "JoinComponent" >> beam.CoGroupByKey()
                | "InComponent" >> beam.FlatMapTuple(_edge_in_component)
                | "ByComponent" >> beam.GroupByKey()
                | "Assign" >> beam.FlatMapTuple(_assign))


class _Finish(beam.PTransform):
    """{"stories": new stories, "slim": slim fingerprints, "clusters":
    cluster ids} -> stories with cluster_id/duplicate_of, and (tagged
    "index") their dedup index entries. A story in no verified edge is its
    own cluster."""

    def __init__(self, indexed_at: datetime):
        super().__init__()
        self._indexed_at = indexed_at

    def expand(self, inputs):
        return ({"story": inputs["stories"] | "NewById" >> beam.Map(_by_story_id),
                 "fingerprint": inputs["slim"],
                 "cluster": inputs["clusters"]}
                | "JoinClusters" >> beam.CoGroupByKey()
                | "Finish" >> beam.ParDo(_FinishFn(self._indexed_at)).with_outputs(
                    "index", main="stories"))


# --- Public composites ------------------------------------------------------------

class ReadDedupIndex(beam.PTransform):
    """The index entries of stories indexed within the retention window.

    Only the run_date partitions from the window's first day on are read
    (entries are indexed on their run's date, so older ones cannot be in
    the window), whether or not pruning has removed the others yet.
    """

    def __init__(self, output: str, now: datetime, retention_days: float):
        super().__init__()
        self._pattern = index_files_pattern(output)
        self._since = now - timedelta(days=retention_days)

    def expand(self, pbegin):
        return (pbegin
                | "IndexPattern" >> beam.Create([self._pattern])
                | "MatchIndex" >> fileio.MatchAll()
                | "InWindowFiles" >> beam.FlatMap(_index_files_in_window,
                                                  f"{self._since:%Y-%m-%d}")
                | "ReadIndex" >> beam.io.ReadAllFromParquet()
                | "ToEntries" >> beam.Map(_index_entry_from_row)
                | "InWindow" >> beam.Filter(_indexed_since, self._since))


class ReadStoredIds(beam.PTransform):
    """New stories -> StoredStory for every story_id stored in the
    published_date partitions those stories fall in, and no other.

    A story is written to the partition of its published date (or fetch
    date when it has none), so a story_id served again with the same date
    can only sit there. One whose date changed sits elsewhere: the dedup
    index, whose ids `Deduplicate` adds, covers it for the retention; after
    that it is stored a second time under its new date. Older partitions
    are never opened: reading them all made every run cost DIR's history.
    Matched when the pipeline runs, so a first run (nothing stored) works.
    """

    def __init__(self, output: str):
        super().__init__()
        self._output = output

    def expand(self, stories):
        return (stories
                | "Dates" >> beam.Map(story_date)
                | "DistinctDates" >> beam.Distinct()
                | "DatePatterns" >> beam.Map(_stories_files_of_day, self._output)
                | "ReadIds" >> beam.io.ReadAllFromParquet(columns=["story_id"])
                | "ToStored" >> beam.Map(_stored_story))


def _entries_of_others(_story_id, joined):
    if not joined["story"]:
        yield from joined["entry"]


class _WithoutReprocessed(beam.PTransform):
    """{"index": entries, "stories": new stories} -> the index entries of
    stories not among the new ones (a reprocessed story must not meet its
    own stored self)."""

    def expand(self, inputs):
        return ({"entry": inputs["index"] | "EntryById" >> beam.Map(_by_story_id),
                 "story": inputs["stories"] | "StoryById" >> beam.Map(_by_story_id)}
                | "JoinIds" >> beam.CoGroupByKey()
                | "Others" >> beam.FlatMapTuple(_entries_of_others))


class Deduplicate(beam.PTransform):
    """New stories -> (stories with cluster_id/duplicate_of, dedup index entries).

    `stored_ids` are the story_ids already in OUTPUT that the new stories
    can collide with (`ReadStoredIds`); `index` the recent stories of the
    dedup index (ReadDedupIndex), whose ids count as stored too; `output` is
    where stored texts are re-read for verification. With `reprocess`,
    stories already stored are kept (their rows are to be rewritten) and
    clustered afresh against the other stored stories.
    """

    def __init__(self, stored_ids, index, output: str, indexed_at: datetime,
                 batch_size: int = 256, reprocess: bool = False):
        super().__init__()
        self._stored_ids, self._index = stored_ids, index
        self._output, self._indexed_at, self._batch_size = output, indexed_at, batch_size
        self._reprocess = reprocess

    def expand(self, stories):
        stored_ids, index = self._stored_ids, self._index
        if self._reprocess:
            stored_ids = stories.pipeline | "NoneStored" >> beam.Create([])
            index = {"index": index, "stories": stories} | "Others" >> _WithoutReprocessed()
        else:
            # An indexed story is stored, whatever partition its date put it
            # in: the second source, for stories whose date has changed.
            stored_ids = ((stored_ids, index | "IndexedIds" >> beam.Map(_stored_of_entry))
                          | "AllStored" >> beam.Flatten())
        new = {"new": stories, "stored": stored_ids} | "KeepNew" >> _KeepNewStories()
        printed = ({"new": new, "index": index}
                   | "Fingerprints" >> _FingerprintStories(self._batch_size))
        pairs = printed.keys | "Candidates" >> _CandidatePairs()
        stored_prints = ({"pairs": pairs, "index": index}
                         | "StoredCandidates" >> _StoredCandidateFingerprints(self._output))
        edges = ({"pairs": pairs, "new": printed.prints, "stored": stored_prints}
                 | "Verify" >> _VerifyPairs())
        clusters = edges | "Cluster" >> _AssignClusters()
        finished = ({"stories": new, "slim": printed.slim, "clusters": clusters}
                    | "Finish" >> _Finish(self._indexed_at))
        return finished.stories, finished.index


class _StreamDedupFn(beam.DoFn):
    """Every story of a stream through one keyed state (a StreamIndex): a
    story_id is emitted once, a copy joins the cluster it belongs to, in
    whatever window it arrives.

    The stories of one poll are clustered together, as a batch run clusters
    its stories: they wait in a bag until the watermark passes their poll's
    time (an event-time timer), then go through the index in one batch.
    """

    INDEX = ReadModifyWriteStateSpec("dedup_index", PickleCoder())
    ARRIVED = BagStateSpec("arrived", PickleCoder())
    POLL_DONE = TimerSpec("poll_done", TimeDomain.WATERMARK)

    def __init__(self, output: str, started_at: datetime, retention_days: float):
        self._output, self._started_at = output, started_at
        self._retention_days = retention_days

    def setup(self):
        self._hasher = MinHasher()
        self._stored = counter("stories_already_stored")
        self._merged = counter("stories_same_id_merged")
        self._canonical = counter("stories_canonical")
        self._duplicate = counter("stories_duplicate")

    def _start(self) -> StreamIndex:
        entries = read_stored(self._output, self._started_at, self._retention_days)
        return StreamIndex.from_stored(timedelta(days=self._retention_days), entries)

    def process(self, keyed, timestamp=beam.DoFn.TimestampParam,
                arrived=beam.DoFn.StateParam(ARRIVED),
                poll_done=beam.DoFn.TimerParam(POLL_DONE)):
        arrived.add(keyed[1])
        poll_done.set(timestamp)

    @on_timer(POLL_DONE)
    def cluster_arrivals(self, arrived=beam.DoFn.StateParam(ARRIVED),
                         index=beam.DoFn.StateParam(INDEX)):
        stories = list(arrived.read())
        arrived.clear()
        if not stories:
            return
        current = index.read() or self._start()
        days = current.unread_days(stories)
        if days:
            # A stored story_id can only be in its date's partition (or the
            # index, read at the start): each partition is read once, when a
            # story of its date first arrives.
            current.add_stored_days(days, stored_ids_of_days(self._output, days))
        now = max(story.fetched_at for story in stories)
        stored = sum(story.story_id in current.seen for story in stories)
        found = current.add(list(zip(stories, fingerprints(stories, self._hasher))), now)
        index.write(current)
        # Counted per poll as well, for the window's reconciliation.
        merged = len(stories) - stored - len(found)
        self._stored.inc(stored)
        self._merged.inc(merged)
        for name, dropped in (("already_stored", stored), ("same_id_merged", merged)):
            if dropped:
                yield beam.pvalue.TaggedOutput("dropped", (name, dropped))
        for story, entry in found:
            (self._canonical if story.is_canonical else self._duplicate).inc()
            yield story
            yield beam.pvalue.TaggedOutput("index", entry)


class DeduplicateStream(beam.PTransform):
    """A stream's stories -> (stories with cluster_id/duplicate_of, index
    entries, (count name, n) of the stories each poll dropped: already
    stored, or the same story_id as one kept), one poll at a time through
    keyed state: the stream's Deduplicate.

    Stories must be in the global window (state must outlive windows); the
    outputs keep their timestamps for windowing after.
    """

    def __init__(self, output: str, started_at: datetime, retention_days: float):
        super().__init__()
        self._fn = _StreamDedupFn(output, started_at, retention_days)

    def expand(self, stories):
        found = (stories
                 | "OneKey" >> beam.Map(lambda story: ("all", story))
                 .with_output_types(tuple[str, Story])
                 | "Dedup" >> beam.ParDo(self._fn).with_outputs(
                     "index", "dropped", main="stories"))
        return found.stories, found.index, found.dropped
