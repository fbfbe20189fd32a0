"""The Deduplicate composite: exact and near copies, across the run and
across runs through the dedup index, without chaining, on a real runner."""

from datetime import datetime, timedelta, timezone

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from schemas.records import Story
from transforms.text.ids import content_hash
from transforms.dedup import Deduplicate
from transforms.dedup.fingerprints import StoredStory, exact_keys, fingerprints, index_entry, pick_one_copy
from transforms.dedup.minhash import MinHasher

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)

WIRE = ("European Union finance ministers agreed on Tuesday to extend the bloc's emergency "
        "lending programme for another two years, after a late-night meeting in Brussels "
        "that officials described as difficult. The agreement, which still needs the approval "
        "of national parliaments, raises the fund's capacity and sets stricter conditions for "
        "countries that draw on it. Several ministers said the deal would calm markets that "
        "had been unsettled by weeks of disagreement over the size of the fund. A spokesman "
        "for the presidency said the text would be published on Wednesday morning.")
OTHER = ("Heavy rain flooded the main roads of the capital on Monday, cutting power to "
         "thousands of homes and forcing schools to close early, the city's emergency service "
         "said. Forecasters expect more storms over the coming days and urged residents to "
         "stay indoors where possible while crews clear fallen trees from the railway lines.")


def story(story_id, body, *, url=None, hours=0, source="feed", title="t", agency=None) -> Story:
    return Story(story_id=story_id, source=source, feed_url=f"https://{source}/rss",
                 url=url, title=title, body=body, summary=None,
                 published_at=T0 + timedelta(hours=hours), fetched_at=T0 + timedelta(days=1),
                 language="en", agency=agency, dateline=None, authors=(),
                 content_hash=content_hash(title, body), run_id="run")


def trimmed(text: str, share: float) -> str:
    words = text.split()
    return " ".join(words[:int(len(words) * share)])


def run_dedup(p, new, stored_ids=(), index=(), output="/nonexistent", label=""):
    ids = p | f"Ids{label}" >> beam.Create([StoredStory(i) for i in stored_ids])
    entries = p | f"Index{label}" >> beam.Create(list(index))
    return (p | f"New{label}" >> beam.Create(new)
            | f"Dedup{label}" >> Deduplicate(ids, entries, output, T0 + timedelta(days=1)))


def clusters(pcoll, label=""):
    return pcoll | f"Clusters{label}" >> beam.Map(lambda s: (s.story_id, s.cluster_id, s.duplicate_of))


def test_exact_keys_are_text_hash_and_canonical_url():
    assert exact_keys("abc", "https://x.org/a?utm_source=y") == ["hash:abc", "url:https://x.org/a"]
    assert exact_keys("abc", None) == ["hash:abc"]


def test_pick_one_copy_keeps_the_earliest_and_counts_the_rest():
    kept, merged = pick_one_copy([story("x", "b", hours=2, source="late"),
                                  story("x", "b", hours=1, source="early")])
    assert (kept.source, merged) == ("early", 1)


def test_exact_and_near_copies_join_the_earliest_story(beam_pipeline):
    new = [
        story("agency", WIRE, url="https://agency.example/eu", hours=0),
        story("same-text", WIRE.upper(), url="https://outlet.example/b", hours=3),
        story("same-url", "A different intro entirely.", url="https://agency.example/eu?utm_source=rss", hours=5),
        story("trimmed", "Advertisement\n\n" + trimmed(WIRE, 0.7) + "\n\nRead more:", hours=2,
              url="https://blog.example/x"),
        story("other", OTHER, hours=1),
    ]
    with beam_pipeline as p:
        stories, index = run_dedup(p, new)
        assert_that(clusters(stories), equal_to([
            ("agency", "agency", None), ("same-text", "agency", "agency"),
            ("same-url", "agency", "agency"), ("trimmed", "agency", "agency"),
            ("other", "other", None)]), label="clusters")
        assert_that(index | beam.Map(lambda e: (e.story_id, e.cluster_id, len(e.signature))),
                    equal_to([("agency", "agency", 512), ("same-text", "agency", 512),
                              ("same-url", "agency", 512), ("trimmed", "agency", 512),
                              ("other", "other", 512)]), label="index")


def test_no_chaining_a_b_c(beam_pipeline):
    """B shares its first half with A and its second half with C: A~B and B~C
    are copies by containment of the shorter texts, A and C share nothing."""
    words = (WIRE + " " + OTHER).split()
    half = len(WIRE.split())
    a = " ".join(words[:half])
    c = " ".join(words[half:])
    b = " ".join(words)
    new = [story("a", a, hours=0), story("b", b, hours=1), story("c", c, hours=2)]
    with beam_pipeline as p:
        assert_that(clusters(run_dedup(p, new)[0]), equal_to([
            ("a", "a", None), ("b", "a", "a"), ("c", "c", None)]))


def test_a_teaser_joins_the_full_copy_published_after_it_which_is_canonical(beam_pipeline):
    """Real syndication is excerpts of one text: the full copy, published an
    hour after a teaser of its first third, is the cluster's canonical; two
    excerpts that are not contained in each other join through it."""
    words = WIRE.split()
    teaser = " ".join(words[:32])
    head = " ".join(words[:62])          # first two thirds
    tail = " ".join(words[:20] + words[40:])  # lead, then the rest without a middle part
    new = [story("teaser", teaser, hours=0), story("full", WIRE, hours=1),
           story("head", head, hours=2), story("tail", tail, hours=3),
           story("other", OTHER, hours=1)]
    with beam_pipeline as p:
        assert_that(clusters(run_dedup(p, new)[0]), equal_to([
            ("teaser", "full", "full"), ("full", "full", None), ("head", "full", "full"),
            ("tail", "full", "full"), ("other", "other", None)]))


def test_same_story_id_twice_in_a_run_is_one_row(beam_pipeline):
    new = [story("x", WIRE, source="feed-b", hours=2), story("x", WIRE, source="feed-a", hours=1)]
    with beam_pipeline as p:
        out, _ = run_dedup(p, new)
        assert_that(out | beam.Map(lambda s: (s.story_id, s.source)), equal_to([("x", "feed-a")]))


def test_stored_ids_are_not_written_again_and_stored_clusters_do_not_move(beam_pipeline):
    stored = story("old", WIRE, hours=30)
    (fingerprint,) = fingerprints([stored], MinHasher())
    entry = index_entry(stored, fingerprint, "old-canon", T0)
    new = [
        story("old", WIRE, hours=30),                              # rerun: dropped
        story("copy", trimmed(WIRE, 0.8), hours=2),                # earlier, still joins
        story("fresh", OTHER, hours=40),
    ]
    with beam_pipeline as p:
        out, _ = run_dedup(p, new, stored_ids=["old"], index=[entry])
        assert_that(clusters(out), equal_to([
            ("copy", "old-canon", "old-canon"), ("fresh", "fresh", None)]))


def test_result_does_not_depend_on_input_order(beam_pipeline):
    unrelated = [" ".join(f"word{i}x{j}" for j in range(60)) for i in range(8)]
    new = [story(f"s{i}", WIRE if i % 2 else unrelated[i], hours=i) for i in range(8)]
    expected = [(f"s{i}", "s1" if i % 2 else f"s{i}", "s1" if i % 2 and i != 1 else None)
                for i in range(8)]
    with beam_pipeline as p:
        assert_that(clusters(run_dedup(p, new, label="F")[0], "F"), equal_to(expected), label="forward")
        assert_that(clusters(run_dedup(p, new[::-1], label="B")[0], "B"), equal_to(expected),
                    label="backward")
