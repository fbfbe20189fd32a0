"""Deduplicate stage: one row per story_id, and every copy of a story in one
cluster, across feeds and across runs.

The decisions are made in the plain modules beside this one (`furniture`,
`minhash`, `verify`, `clusters`, through `fingerprints`); this module wires
them as keyed Beam steps, so the result depends on the data only, never on
bundles, workers or runner:

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
from datetime import datetime, timedelta

import apache_beam as beam

from schemas.records import DedupIndexEntry, Story
from schemas.tables import STORIES
from transforms.dedup.clusters import assign_clusters
from transforms.dedup.fingerprints import (
    Fingerprint,
    candidate_keys,
    fingerprints,
    index_entry,
    pick_one_copy,
    slim,
    stored_candidate_keys,
    stored_fingerprint,
    verified_containment,
)
from transforms.dedup.index import index_files_pattern
from transforms.dedup.minhash import MAX_BUCKET, MinHasher
from transforms.lake import paths
from transforms.metrics import counter


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
        self._hasher = MinHasher()

    def process(self, batch: list[Story]):
        for story, fingerprint in zip(batch, fingerprints(batch, self._hasher)):
            yield fingerprint.story_id, fingerprint
            yield beam.pvalue.TaggedOutput("slim", (fingerprint.story_id, slim(fingerprint)))
            for keyed in candidate_keys(story, fingerprint):
                yield beam.pvalue.TaggedOutput("keys", keyed)


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
                score = verified_containment(a, b, exact)
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
    clusters = assign_clusters(members.values(), pairs)
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


class ReadDedupIndex(beam.PTransform):
    """The index entries of stories indexed within the retention window."""

    def __init__(self, output: str, now: datetime, retention_days: float):
        super().__init__()
        self._pattern = index_files_pattern(output)
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
            | "DatePatterns" >> beam.Map(
                lambda day: paths.partition_files_pattern(output, STORIES, day))
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
        keyed = (printed.keys, self._index | "StoredKeys" >> beam.FlatMap(stored_candidate_keys))
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
