"""What the stream's dedup states decide (transforms/dedup/stream_state),
in plain Python: the pairs a candidate key makes and the members it keeps,
the stored clusters a poll joins, and the polls a timer hands over."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from tests.test_dedup import WIRE, story, trimmed
from transforms.dedup import stream_state
from transforms.dedup.fingerprints import fingerprints
from transforms.dedup.minhash import MinHasher
from transforms.dedup.stream_state import (
    Ask,
    Edge,
    Member,
    StoredCluster,
    cluster_poll,
    meet_in_bucket,
    merged_asks,
    micros,
    newest,
    split_due,
)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
WEEK = timedelta(days=7)


def test_new_stories_ask_stored_ones_and_each_other_once():
    stored = [Member("s1", micros(NOW - timedelta(days=1))),
              Member("s2", micros(NOW - timedelta(hours=1)))]
    asks, kept = meet_in_bucket("lsh:00:ab", ["n2", "n1"], stored, NOW, WEEK)
    assert sorted(asks) == sorted([Ask("s1", "n1", False), Ask("s2", "n1", False),
                                   Ask("s1", "n2", False), Ask("s2", "n2", False),
                                   Ask("n2", "n1", False)])
    assert {m.story_id for m in kept} == {"s1", "s2", "n1", "n2"}
    assert [m.indexed_at for m in kept if m.story_id.startswith("n")] == [micros(NOW)] * 2


def test_exact_keys_make_exact_pairs_and_expired_members_none():
    stored = [Member("old", micros(NOW - WEEK - timedelta(seconds=1))),
              Member("recent", micros(NOW - WEEK))]
    asks, kept = meet_in_bucket("hash:0f", ["new"], stored, NOW, WEEK)
    assert asks == [Ask("recent", "new", True)]
    assert [m.story_id for m in kept] == ["recent", "new"]


def test_a_key_shared_by_too_many_stories_is_furniture(monkeypatch):
    monkeypatch.setattr(stream_state, "MAX_BUCKET", 3)
    stored = [Member(f"s{i}", micros(NOW - timedelta(hours=i))) for i in range(4)]
    asks, kept = meet_in_bucket("lsh:01:cd", ["new"], stored, NOW, WEEK)
    assert asks == []
    # The newest MAX_BUCKET + 1 are kept: enough to tell furniture from a story.
    assert sorted(m.story_id for m in kept) == ["new", "s0", "s1", "s2"]


def test_keeping_only_the_newest_members_decides_as_keeping_them_all(monkeypatch):
    """Over many polls into one key, with members expiring, the trimmed
    state makes exactly the pairs the full history makes."""
    monkeypatch.setattr(stream_state, "MAX_BUCKET", 4)
    rng = random.Random(7)
    trimmed_state: list[Member] = []
    full: list[Member] = []
    retention = timedelta(hours=3)   # about as many live members as the limit
    paired = 0
    for poll in range(60):
        now = NOW + timedelta(hours=poll)
        arrived = [f"p{poll}-{i}" for i in range(rng.choice([0, 0, 1, 1, 2, 3]))]
        asks, trimmed_state = meet_in_bucket("lsh:02:ef", arrived, trimmed_state, now, retention)
        expected, full = meet_in_bucket_unbounded(arrived, full, now, retention)
        assert sorted(asks) == sorted(expected), poll
        assert len(trimmed_state) <= 5
        paired += bool(asks)
    assert 5 < paired < 40   # both sides of the limit were met


def meet_in_bucket_unbounded(arrived, members, now, retention):
    """The rule without trimming: every live member, however many."""
    live = {m.story_id for m in members if m.indexed_at >= micros(now - retention)}
    asks = []
    if len(arrived) + len(live) <= stream_state.MAX_BUCKET:
        new = sorted(arrived)
        for i, a in enumerate(new):
            asks += [Ask(b, a, False) for b in sorted(live)] + \
                    [Ask(b, a, False) for b in new[i + 1:]]
    return asks, members + [Member(s, micros(now)) for s in arrived]


def test_asks_from_several_keys_are_one_per_asker_exact_if_any_key_was():
    assert merged_asks([("n1", False), ("n2", False), ("n1", True), ("n2", False)]) == {
        "n1": True, "n2": False}


def prints(*stories):
    return fingerprints(list(stories), MinHasher())


def test_a_copy_joins_the_stored_cluster_and_the_stored_canonical_stays():
    copy = story("copy", WIRE + " (Reporting by a correspondent)", hours=2)
    (printed,) = prints(copy)
    stored = {"orig": StoredCluster("orig", NOW - timedelta(hours=3)),
              "gone": StoredCluster("gone", NOW - WEEK - timedelta(hours=1))}
    edge = Edge("copy", "orig", 0.97, ("2026-11-01T09:00:00+00:00", 0, "orig"), 120)
    found, after = cluster_poll([(copy, printed)], [edge], stored, NOW, WEEK)
    ((joined, entry),) = found
    assert (joined.cluster_id, joined.duplicate_of) == ("orig", "orig")
    assert (entry.story_id, entry.cluster_id, entry.indexed_at) == ("copy", "orig", NOW)
    # What the single key keeps: a cluster_id and a time per story, expired ones dropped.
    assert after == {"orig": stored["orig"], "copy": StoredCluster("orig", NOW)}


def test_an_edge_to_a_story_past_the_retention_is_ignored():
    copy = story("copy", WIRE, hours=2)
    (printed,) = prints(copy)
    stored = {"gone": StoredCluster("gone", NOW - WEEK - timedelta(hours=1))}
    edge = Edge("copy", "gone", 1.0, ("2026-10-20T09:00:00+00:00", 0, "gone"), 120)
    ((alone, _entry),), _ = cluster_poll([(copy, printed)], [edge], stored, NOW, WEEK)
    assert (alone.cluster_id, alone.duplicate_of) == ("copy", None)


def test_new_copies_of_one_poll_cluster_together_with_the_fullest_canonical():
    full = story("full", WIRE, hours=1)
    teaser = story("teaser", trimmed(WIRE, 0.4), hours=0)
    printed = dict(zip(("full", "teaser"), prints(full, teaser)))
    edge = Edge("teaser", "full", 1.0, printed["full"].rank, printed["full"].shingle_count)
    found, _ = cluster_poll([(full, printed["full"]), (teaser, printed["teaser"])], [edge],
                            {}, NOW, WEEK)
    assert {s.story_id: s.cluster_id for s, _ in found} == {"full": "full", "teaser": "full"}


def test_a_timer_takes_the_polls_up_to_its_time_and_leaves_later_ones():
    due, later = split_due([(30, "c"), (10, "a"), (20, "b"), (10, "a2")], 20)
    assert due == ["a", "b", "a2"]
    assert later == [(30, "c")]


def test_forgetting_keeps_the_members_still_in_their_time():
    members = [Member(f"s{i}", micros(NOW - timedelta(days=i))) for i in range(5)]
    kept = newest(members, after=micros(NOW - timedelta(days=2)))
    assert [m.story_id for m in kept] == ["s1", "s0"]   # oldest first
