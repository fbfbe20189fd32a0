from datetime import datetime, timedelta, timezone

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from schemas.records import Story
from transforms.clean import content_hash
from transforms.dedup import Deduplicate, Member, StoredStory, anchor_of, candidate_keys

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


def story(story_id, body, *, url=None, hours=0, source="feed", title="t") -> Story:
    return Story(story_id=story_id, source=source, feed_url=f"https://{source}/rss",
                 url=url, title=title, body=body, summary=None,
                 published_at=T0 + timedelta(hours=hours), fetched_at=T0 + timedelta(days=1),
                 language="en", agency=None, dateline=None, authors=(),
                 content_hash=content_hash(title, body), run_id="run")


def stored(story_id, body, *, cluster=None, url=None, hours=0) -> StoredStory:
    return StoredStory(story_id, cluster or story_id, url, content_hash("t", body),
                       T0 + timedelta(hours=hours), T0)


def test_keys_are_text_hash_and_canonical_url():
    assert candidate_keys("https://x.org/a?utm_source=y", "abc") == ["hash:abc", "url:https://x.org/a"]
    assert candidate_keys(None, "abc") == ["hash:abc"]


def test_anchor_prefers_a_stored_cluster_then_the_earliest_story():
    new_early, new_late = Member("2026-01-01", "n1"), Member("2026-01-02", "n2")
    old_late = Member("2026-02-01", "o1", stored_cluster="c1")
    assert anchor_of([new_late, new_early]) == (1, new_early)
    assert anchor_of([new_early, old_late]) == (0, old_late)


def run_dedup(p, new, old=(), label=""):
    stored_pc = p | f"Stored{label}" >> beam.Create(list(old))
    return p | f"New{label}" >> beam.Create(new) | f"Dedup{label}" >> Deduplicate(stored_pc)


def clusters(pcoll, label=""):
    return pcoll | f"Clusters{label}" >> beam.Map(lambda s: (s.story_id, s.cluster_id, s.duplicate_of))


def test_copies_by_text_or_url_join_the_earliest_story(beam_pipeline):
    new = [
        story("a", "The same wire story.", url="https://agency.example/a", hours=0),
        story("b", "the  SAME wire story.", url="https://outlet.example/b", hours=3),
        story("c", "A rewritten intro. Different text.", url="https://agency.example/a?utm_source=rss", hours=5),
        story("d", "Something else entirely.", hours=1),
    ]
    with beam_pipeline as p:
        assert_that(clusters(run_dedup(p, new)), equal_to([
            ("a", "a", None), ("b", "a", "a"), ("c", "a", "a"), ("d", "d", None)]))


def test_same_story_id_twice_in_a_run_is_one_row(beam_pipeline):
    new = [story("x", "Body.", source="feed-b", hours=2), story("x", "Body.", source="feed-a", hours=1)]
    with beam_pipeline as p:
        out = run_dedup(p, new)
        assert_that(out | beam.Map(lambda s: (s.story_id, s.source)), equal_to([("x", "feed-a")]))


def test_stored_stories_are_not_written_again_and_keep_their_cluster(beam_pipeline):
    old = [stored("old", "Yesterday's wire story.", cluster="old-canon", hours=30)]
    new = [
        story("old", "Yesterday's wire story.", hours=30),           # rerun: dropped
        story("copy", "yesterday's wire story.", hours=2),            # earlier, but the cluster stays
        story("fresh", "News of today.", hours=40),
    ]
    with beam_pipeline as p:
        assert_that(clusters(run_dedup(p, new, old)), equal_to([
            ("copy", "old-canon", "old-canon"), ("fresh", "fresh", None)]))


def test_result_does_not_depend_on_input_order(beam_pipeline):
    new = [story(f"s{i}", "Shared body." if i % 2 else f"Own body {i}.", hours=i) for i in range(8)]
    expected = [(f"s{i}", "s1" if i % 2 else f"s{i}", ("s1" if i % 2 and i != 1 else None))
                for i in range(8)]
    with beam_pipeline as p:
        forward = clusters(run_dedup(p, new, label="F"), "F")
        backward = clusters(run_dedup(p, new[::-1], label="B"), "B")
        assert_that(forward, equal_to(expected), label="forward")
        assert_that(backward, equal_to(expected), label="backward")
