"""Deduplicate stage: one row per story_id, and exact copies in one cluster.

Two stories are the same story when they share a key: the canonical URL, or
the hash of their normalised text. Keys are matched against the stories of
this run and against the stories already stored in the output, so a copy that
arrives tomorrow joins today's cluster and never moves it.

The keyed steps are plain GroupByKey/CoGroupByKey, so the result depends only
on the data, not on bundles, workers or runner. Near-duplicate detection plugs
in at `candidate_keys`: more keys per story (LSH bands), with a verification
step before a key group may join two stories.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Optional

import apache_beam as beam

from schemas.records import Story
from transforms.clean import canonical_url
from transforms.metrics import counter


@dataclass(frozen=True, order=True)
class Member:
    """What clustering needs to know of a story, ordered by canonical rank.

    The earliest published copy is canonical; story_id breaks ties so the
    choice is the same on every run and runner.
    """

    published: str
    story_id: str
    # Stories stored by earlier runs already belong to a cluster, which no
    # later copy may change.
    stored_cluster: Optional[str] = None


@dataclass(frozen=True)
class StoredStory:
    """The columns of an already stored story that dedup reads back."""

    story_id: str
    cluster_id: str
    url: Optional[str]
    content_hash: str
    published_at: Optional[datetime]
    fetched_at: datetime


def _stamp(published: Optional[datetime], fetched: datetime) -> str:
    return (published or fetched).isoformat()


def candidate_keys(url: Optional[str], text_hash: str) -> list[str]:
    """Keys under which two copies of one story meet."""
    keys = [f"hash:{text_hash}"]
    link = canonical_url(url)
    if link:
        keys.append(f"url:{link}")
    return keys


def member_of_story(story: Story) -> Member:
    return Member(_stamp(story.published_at, story.fetched_at), story.story_id)


def member_of_stored(stored: StoredStory) -> Member:
    return Member(_stamp(stored.published_at, stored.fetched_at),
                  stored.story_id, stored.cluster_id)


def anchor_of(members: Iterable[Member]) -> tuple[int, Member]:
    """The member a key group's new stories attach to, with its priority.

    A stored cluster wins over any new story (priority 0), so clusters stay
    put across runs; among new stories the earliest wins (priority 1).
    """
    members = sorted(members)
    stored = [m for m in members if m.stored_cluster]
    if stored:
        return 0, stored[0]
    return 1, members[0]


def cluster_of(anchor: Member) -> str:
    return anchor.stored_cluster or anchor.story_id


def pick_one_copy(copies: Iterable[Story]) -> tuple[Story, int]:
    """The copy of a story_id to keep (earliest, then by feed), and how many were merged."""
    ordered = sorted(copies, key=lambda s: (member_of_story(s), s.feed_url or "",
                                            s.source, s.content_hash))
    return ordered[0], len(ordered) - 1


class _KeepNewStories(beam.DoFn):
    """Per story_id: drop what is already stored, keep one copy of the rest."""

    def setup(self):
        self._stored = counter("stories_already_stored")
        self._merged = counter("stories_same_id_merged")

    def process(self, grouped):
        _story_id, (copies, stored) = grouped
        if stored:
            self._stored.inc(len(copies))
            return
        if copies:
            story, merged = pick_one_copy(copies)
            self._merged.inc(merged)
            yield story


def _anchors_for_key(grouped):
    """Each new story of a key group, paired with the group's anchor."""
    _key, members = grouped
    priority, anchor = anchor_of(members)
    for member in members:
        if not member.stored_cluster:
            yield member.story_id, (priority, anchor)


def _best_anchor(grouped):
    story_id, anchors = grouped
    return story_id, min(anchors)


def _follow_anchor(grouped):
    """Point each story at its anchor's own cluster (one hop of transitivity).

    If B is anchored on A through one key but A itself joined C through
    another, B belongs with C. Exact keys rarely chain further than that.
    """
    _anchor_id, (pointing, anchor_choice) = grouped
    anchor_cluster = None
    if anchor_choice:
        (_priority, anchor_anchor), = anchor_choice
        anchor_cluster = cluster_of(anchor_anchor)
    for story_id, (_priority, anchor) in pointing:
        yield story_id, anchor_cluster if not anchor.stored_cluster and \
            anchor_cluster else cluster_of(anchor)


def _assign(grouped):
    _story_id, (stories, clusters) = grouped
    (story,) = stories
    (cluster_id,) = clusters
    duplicate_of = None if cluster_id == story.story_id else cluster_id
    return dataclasses.replace(story, cluster_id=cluster_id,
                               duplicate_of=duplicate_of)


class _CountClusters(beam.DoFn):
    def setup(self):
        self._canonical = counter("stories_canonical")
        self._duplicate = counter("stories_duplicate")

    def process(self, story: Story):
        (self._canonical if story.is_canonical else self._duplicate).inc()
        yield story


class Deduplicate(beam.PTransform):
    """(new stories, stored stories) -> new stories with cluster_id/duplicate_of.

    Stories whose story_id is already stored are dropped (a rerun adds no
    rows); copies of one story_id within the run collapse to one.
    """

    def __init__(self, stored: beam.PCollection):
        super().__init__()
        self._stored = stored

    def expand(self, stories):
        stored = self._stored
        new = (
            {"new": stories | "ById" >> beam.Map(lambda s: (s.story_id, s)),
             "stored": stored | "StoredById" >> beam.Map(lambda s: (s.story_id, s))}
            | "JoinIds" >> beam.CoGroupByKey()
            | "KeepNew" >> beam.Map(lambda kv: (kv[0], (kv[1]["new"], kv[1]["stored"])))
            | "PickCopy" >> beam.ParDo(_KeepNewStories()))

        new_members = new | "NewKeys" >> beam.FlatMap(
            lambda s: [(k, member_of_story(s))
                       for k in candidate_keys(s.url, s.content_hash)])
        stored_members = stored | "StoredKeys" >> beam.FlatMap(
            lambda s: [(k, member_of_stored(s))
                       for k in candidate_keys(s.url, s.content_hash)])
        anchors = (
            (new_members, stored_members)
            | "AllMembers" >> beam.Flatten()
            | "ByKey" >> beam.GroupByKey()
            | "Anchor" >> beam.FlatMap(_anchors_for_key)
            | "PerStory" >> beam.GroupByKey()
            | "Best" >> beam.Map(_best_anchor))
        clusters = (
            (anchors | "ByAnchor" >> beam.Map(
                lambda kv: (kv[1][1].story_id, (kv[0], kv[1]))),
             anchors)
            | "JoinAnchors" >> beam.CoGroupByKey()
            | "Follow" >> beam.FlatMap(_follow_anchor))
        return (
            (new | "NewById" >> beam.Map(lambda s: (s.story_id, s)), clusters)
            | "JoinClusters" >> beam.CoGroupByKey()
            | "Assign" >> beam.Map(_assign)
            | "CountClusters" >> beam.ParDo(_CountClusters()))
