"""`wirestream stream`: a real stream against feeds that change between
polls, its agreement with a batch run, and the streaming logic driven the
Beam way (TestStream on the BundleBasedDirectRunner, which runs keyed state
and watermark timers)."""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from datetime import datetime, timedelta, timezone

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.runners.direct.direct_runner import BundleBasedDirectRunner
from apache_beam.testing import test_stream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import FixedWindows, TimestampedValue
from deltalake import DeltaTable
from pytest_httpserver import HTTPServer
from werkzeug import Response

from pipeline.cli import main
from schemas.records import FeedSpec
from tests.conftest import SAMPLE
from tests.helpers import assert_all_conserved
from tests.test_dedup import WIRE, story, trimmed
from transforms.dedup import DeduplicateStream
from transforms.fetch import FetchConfig, PollFeeds
from transforms.fetch.feed_state import Backoff

# --- A real stream on the local runner --------------------------------------------

ITEM = re.compile(rb"<item>.*?</item>", re.S)


class GrowingFeed:
    """The sample world feed, one item short until the second poll."""

    def __init__(self):
        self.full = (SAMPLE / "wikinews-world.rss").read_bytes()
        items = ITEM.findall(self.full)
        self.short = self.full.replace(items[-1], b"")
        self.requests = 0
        self.lock = threading.Lock()

    def handler(self, request):
        with self.lock:
            self.requests += 1
            body, tag = (self.short, '"v1"') if self.requests == 1 else (self.full, '"v2"')
        if request.headers.get("If-None-Match") == tag:
            return Response(status=304)
        return Response(body, headers={"ETag": tag}, content_type="application/rss+xml")


@pytest.fixture
def feeds(tmp_path):
    server = HTTPServer(threaded=True)
    server.start()
    growing = GrowingFeed()
    server.expect_request("/world.rss").respond_with_handler(growing.handler)
    science = (SAMPLE / "wikinews-science.atom").read_bytes()
    server.expect_request("/science.atom").respond_with_response(
        Response(science, content_type="application/atom+xml"))
    listing = tmp_path / "feeds.yaml"
    listing.write_text(f"feeds:\n  - url: {server.url_for('/world.rss')}\n    source: world\n"
                       f"  - url: {server.url_for('/science.atom')}\n    source: science\n")
    yield listing, growing
    server.stop()


def rows(out, name, *columns):
    table = DeltaTable(str(out / name)).to_pyarrow_table().select(list(columns))
    return sorted(tuple(str(v) for v in row.values()) for row in table.to_pylist())


def test_a_stream_polls_for_real_and_agrees_with_a_batch_run(tmp_path, feeds, capsys):
    listing, growing = feeds
    out = tmp_path / "stream"
    assert main(["stream", "--feeds", str(listing), "--output", str(out),
                 "--poll-interval", "2", "--window", "600", "--max-polls", "3"]) == 0
    printed = capsys.readouterr().out
    assert "window(s) committed" in printed
    # Every story a window's polls parsed is a row or was dropped as seen.
    assert "counts reconcile" in printed and "COUNTS DO NOT RECONCILE" not in printed
    windows = [json.loads(path.read_text()) for path in (out / "_manifests").glob("*-w*.json")]
    assert windows and all(w["reconciliation"]["stories"]["ok"] for w in windows)
    assert sum(w["reconciliation"]["stories"]["in"] for w in windows) == 10 + 21 + 10 + 10
    assert sum(w["dedup"]["already_stored"] for w in windows) == 10 + 20
    # (A window boundary may fall between two polls: one line per window.)
    assert "new stories (0 duplicates)" in printed
    assert re.search(r" 0 of \d+ fetches failed", printed)
    assert growing.requests == 3

    stories = DeltaTable(str(out / "stories")).to_pyarrow_table().to_pylist()
    ids = [s["story_id"] for s in stories]
    assert len(ids) == len(set(ids)) == 11 + 10  # every item once
    # The item that appeared after the first poll was fetched by a later poll.
    world = sorted(s["fetched_at"] for s in stories if s["source"] == "world")
    assert world[-2] == world[0] < world[-1]
    log = DeltaTable(str(out / "fetch_log")).to_pyarrow_table().to_pylist()
    assert len(log) == 2 * 3
    assert sorted(r["outcome"] for r in log if "world" in r["feed_url"]) == [
        "fetched", "fetched", "not_modified"]

    batch = tmp_path / "batch"
    assert main(["run", "--feeds", str(listing), "--output", str(batch)]) == 0
    assert_all_conserved(batch)
    for name, columns in (("stories", ("story_id", "cluster_id", "duplicate_of", "title", "body")),
                          ("entities", ("story_id", "start_char", "end_char", "label", "entity_id")),
                          ("relations", ("story_id", "subject_entity_id", "predicate",
                                         "object_entity_id", "relation_type")),
                          ("quotes", ("story_id", "speaker", "start_char"))):
        assert rows(out, name, *columns) == rows(batch, name, *columns), name


def test_replaying_a_streams_raw_responses_gives_back_every_story(tmp_path, capsys):
    # The world feed drops its first item and gains a new one after the first
    # poll. Each poll's response was saved under one name per feed, so the
    # second overwrote the first and the replay lost the dropped item.
    full = (SAMPLE / "wikinews-world.rss").read_bytes()
    items = ITEM.findall(full)
    versions = [full.replace(items[-1], b""), full.replace(items[0], b"")]
    served = []

    def shifting(request):
        body = versions[min(len(served), 1)]
        served.append(body)
        return Response(body, content_type="application/rss+xml")

    server = HTTPServer(threaded=True)
    server.start()
    try:
        server.expect_request("/world.rss").respond_with_handler(shifting)
        listing = tmp_path / "feeds.yaml"
        listing.write_text(f"feeds:\n  - url: {server.url_for('/world.rss')}\n    source: world\n")
        out = tmp_path / "stream"
        assert main(["stream", "--feeds", str(listing), "--output", str(out),
                     "--poll-interval", "2", "--window", "600", "--max-polls", "2"]) == 0
    finally:
        server.stop()
    streamed = rows(out, "stories", "story_id")
    assert len(streamed) == len(items) == 11
    assert len(list((out / "raw").rglob("*.feed.gz"))) == 2
    replayed = tmp_path / "replayed"
    assert main(["run", "--replay", str(out / "raw"), "--output", str(replayed)]) == 0
    assert rows(replayed, "stories", "story_id") == streamed
    assert_all_conserved(replayed)
    capsys.readouterr()


def test_a_stream_holds_the_lease_of_its_dir(tmp_path, feeds, capsys):
    listing, _ = feeds
    out = tmp_path / "out"
    done = {}
    stream = threading.Thread(target=lambda: done.setdefault("code", main(
        ["stream", "--feeds", str(listing), "--output", str(out), "--poll-interval", "3",
         "--max-polls", "3"])))
    stream.start()
    try:
        deadline = datetime.now() + timedelta(seconds=60)
        while not (out / "_state" / "lease").exists() and datetime.now() < deadline:
            threading.Event().wait(0.2)
        threading.Event().wait(1)
        assert main(["run", "--feeds", str(listing), "--output", str(out)]) == 2
        assert "another run holds" in capsys.readouterr().err
    finally:
        stream.join()
    assert done["code"] == 0


def test_stream_flags_are_checked_before_anything_runs(tmp_path, capsys):
    assert main(["stream", "--output", str(tmp_path), "--max-polls", "0"]) == 2
    assert main(["stream", "--output", str(tmp_path), "--articles", "x.jsonl"]) == 2
    assert main(["stream", "--output", str(tmp_path), "--max-polls", "2",
                 "--duration", "5"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 3


# --- The streaming logic under TestStream -----------------------------------------

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


def streaming_pipeline():
    options = PipelineOptions([])
    options.view_as(StandardOptions).streaming = True
    return beam.Pipeline(runner=BundleBasedDirectRunner(), options=options)


def at(minutes: float) -> float:
    return (T0 + timedelta(minutes=minutes)).timestamp()


def polls(*arrivals) -> test_stream.TestStream:
    """Stories as a stream's polls deliver them, (minutes, [stories]) each:
    a poll is done (its timer fires) before the next one comes."""
    events = test_stream.TestStream()
    for minutes, stories in arrivals:
        events = (events.add_elements([TimestampedValue(s, at(minutes)) for s in stories])
                  .advance_watermark_to(at(minutes + 1)))
    return events.advance_watermark_to_infinity()


def test_dedup_keeps_its_state_across_windows(tmp_path):
    original = story("a", WIRE, hours=0)
    other = story("b", "A completely different story about a football match in Lisbon "
                       "that ended in a draw after extra time and penalties. " * 3, hours=1)
    copy = dataclasses.replace(story("a-copy", WIRE + " Reuters", hours=2), source="outlet")
    old = story("old", "An archive story published three years before it was fetched, "
                       "about the harvest of a vineyard in the hills of Tuscany. " * 3,
                hours=-3 * 365 * 24)
    mirrored = dataclasses.replace(other, source="mirror", feed_url="https://mirror/rss")
    with streaming_pipeline() as p:
        # A later poll brings a copy of a, and a again under its own story_id.
        stories, index, dropped = (p | polls((0, [original, other, mirrored]),
                                             (10, [copy, original]), (20, [old]),
                                             (30, [copy, old]))
                                   | DeduplicateStream(str(tmp_path), T0, 7.0))
        found = (stories
                 | beam.WindowInto(FixedWindows(600))
                 | beam.Map(lambda s, w=beam.DoFn.WindowParam: (
                     s.story_id, s.cluster_id, s.duplicate_of, int(w.start) - int(at(0)))))
        assert_that(found, equal_to([
            ("a", "a", None, 0), ("b", "b", None, 0),
            # the copy joins a's cluster from the later window
            ("a-copy", "a", "a", 600),
            # a story published long before it arrives is kept, in its own window
            ("old", "old", None, 1200)]))
        assert_that(index | beam.Map(lambda e: e.story_id),
                    equal_to(["a", "b", "a-copy", "old"]), label="index")
        # What each poll dropped, for its window's reconciliation.
        assert_that(dropped | beam.Map(lambda n, t=beam.DoFn.TimestampParam: (
                        *n, int(t) - int(at(0)))),
                    equal_to([("same_id_merged", 1, 0), ("already_stored", 1, 600),
                              ("already_stored", 2, 1800)]),
                    label="dropped")


@pytest.mark.parametrize("retention_days, late_cluster", [(7.0, "a"), (1.0, "a-late")])
def test_copies_join_a_stored_cluster_within_the_retention_only(
        tmp_path, retention_days, late_cluster):
    def fetched(s, minutes):
        return dataclasses.replace(s, fetched_at=T0 + timedelta(minutes=minutes))

    original = fetched(story("a", WIRE, hours=0), 0)
    full_copy = fetched(dataclasses.replace(story("a-copy", WIRE + " Reuters", hours=1),
                                            source="outlet"), 60)
    teaser = fetched(dataclasses.replace(story("a-teaser", trimmed(WIRE, 0.7), hours=1),
                                         source="site"), 60)
    late = fetched(dataclasses.replace(story("a-late", WIRE + " AP", hours=40),
                                       source="late"), 48 * 60)
    with streaming_pipeline() as p:
        # Two copies in one poll meet the stored story and each other; the
        # last one arrives two days after the others were indexed.
        stories, _index, _dropped = (p | polls((0, [original]), (60, [full_copy, teaser]),
                                               (48 * 60, [late]))
                                     | DeduplicateStream(str(tmp_path), T0, retention_days))
        assert_that(stories | beam.Map(lambda s: (s.story_id, s.cluster_id)),
                    equal_to([("a", "a"), ("a-copy", "a"), ("a-teaser", "a"),
                              ("a-late", late_cluster)]))


def test_polling_fetches_on_each_tick_and_a_failing_feed_recovers(tmp_path):
    server = HTTPServer(threaded=True)
    server.start()
    body = (SAMPLE / "wikinews-science.atom").read_bytes()
    answers = iter([Response("down", status=503), Response(body, content_type="application/atom+xml")])
    server.expect_request("/feed.atom").respond_with_handler(lambda _request: next(answers))
    config = FetchConfig(backoff=Backoff(base_s=0.001, jitter=0.0),
                         policy=dataclasses.replace(FetchConfig().policy,
                                                    extra_public=("127.0.0.0/8",)))
    spec = FeedSpec(server.url_for("/feed.atom"), "science")
    ticks = (test_stream.TestStream()
             .add_elements([TimestampedValue(0, at(0))])
             .advance_watermark_to(at(1))
             .add_elements([TimestampedValue(1, at(2))])
             .advance_watermark_to(at(3))
             .advance_watermark_to_infinity())
    try:
        with streaming_pipeline() as p:
            results, states, dead = p | ticks | PollFeeds(
                [spec], "run", config, str(tmp_path / "feeds.json"), None)
            assert_that(results | beam.Map(lambda r: (r.outcome, r.status)),
                        equal_to([("failed", 503), ("fetched", 200)]))
            assert_that(states | beam.Map(lambda s: s.consecutive_failures),
                        equal_to([1, 0]), label="states")
            assert_that(dead | beam.Map(lambda d: d.error), equal_to(["FetchFailed"]),
                        label="dead")
    finally:
        server.stop()


def test_each_window_is_committed_as_a_run_with_its_manifest_and_feed_states(tmp_path):
    import json

    from schemas.records import EntityMention, Extraction, FetchResult
    from transforms.fetch.feed_state import FeedState, read_states
    from transforms.lake import WriteTables
    from transforms.text import DropTooLate

    out = tmp_path / "out"
    state_file = str(out / "_state" / "feeds.json")
    first, second = story("s1", "Body one.", hours=0), story("s2", "Body two.", hours=1)
    ancient = dataclasses.replace(story("s3", "Body three.", hours=-24 * 400),
                                  fetched_at=T0 + timedelta(minutes=12))
    mention = EntityMention("s1", "body", 0, 4, "Body", "ORG", "Body", "e1")
    log = FetchResult("run", "https://x.org/rss", "x", 200, False, 2, 10, 1, None, T0)
    states = [FeedState("https://x.org/rss", key="k", etag=f'"{n}"',
                        last_attempt=T0 + timedelta(minutes=n)) for n in (0, 10)]

    def timed(values):
        return [TimestampedValue(v, at(minute)) for minute, v in values]

    events = (test_stream.TestStream()
              .add_elements(timed([(0, ("story", first)), (0, ("log", log)),
                                   (0, ("state", states[0]))]))
              .advance_watermark_to(at(5))
              .add_elements(timed([(10, ("story", second)), (10, ("state", states[1])),
                                   (12, ("story", ancient))]))
              .advance_watermark_to(at(20))
              .advance_watermark_to_infinity())
    with streaming_pipeline() as p:
        tagged = p | events | beam.WindowInto(FixedWindows(600))

        def of(tag):
            return tagged | f"Only{tag}" >> beam.FlatMap(
                lambda kv, tag=tag: [kv[1]] if kv[0] == tag else [])

        timely, too_late = of("story") | DropTooLate("run", timedelta(days=365))
        manifests = {
            "stories": timely | beam.Map(lambda s: (s.published_at.strftime("%Y-%m-%d"), s)),
            "extractions": timely | beam.FlatMap(
                lambda s: [("2026-11-01", Extraction("s1", entities=(mention,)))]
                if s.story_id == "s1" else []),
            "fetch_log": of("log"),
            "dead_letters": too_late,
            "dedup_index": of("none"),
            "feed_states": of("state"),
        } | WriteTables(str(out), "run", None, state_file=state_file)
        assert_that(manifests | beam.Map(lambda m: (m["run_id"], m["rows"])), equal_to([
            ("run-w20261101T121000", {"entities": 1, "fetch_log": 1, "stories": 1}),
            ("run-w20261101T122000", {"dead_letters": 1, "stories": 1})]))

    stories = DeltaTable(str(out / "stories"))
    assert sorted(r["story_id"] for r in stories.to_pyarrow_table().to_pylist()) == ["s1", "s2"]
    assert stories.version() == 1  # one commit per window
    (late,) = DeltaTable(str(out / "dead_letters")).to_pyarrow_table().to_pylist()
    assert (late["error"], late["ref"], late["stage"]) == ("TooLate", "s3", "stream")
    manifest = json.loads((out / "_manifests" / "run-w20261101T122000.json").read_text())
    assert manifest["table_versions"]["stories"] == 1
    assert (manifest["duplicates"], manifest["fetches_failed"]) == (0, 0)
    # Rows carry the stream's run_id: the manifest says which, to join them.
    assert manifest["stream_run_id"] == "run"
    assert {r["run_id"] for r in stories.to_pyarrow_table().to_pylist()} == {"run"}
    assert [s.etag for s in read_states(state_file)] == ['"10"']


def test_a_stream_joins_copies_to_clusters_a_batch_run_stored(tmp_path, capsys):
    def listing(name, *feeds):
        path = tmp_path / name
        path.write_text("feeds:\n" + "".join(
            f"  - url: {SAMPLE / feed}\n    source: {source}\n" for feed, source in feeds))
        return str(path)

    out = tmp_path / "out"
    originals = listing("world.yaml", ("wikinews-world.rss", "world"),
                        ("wikinews-science.atom", "science"))
    assert main(["run", "--feeds", originals, "--output", str(out)]) == 0
    copies = listing("copies.yaml", ("syndicator.rss", "syndicator"))
    assert main(["stream", "--feeds", copies, "--output", str(out), "--poll-interval", "1",
                 "--max-polls", "1"]) == 0
    stories = DeltaTable(str(out / "stories")).to_pyarrow_table().to_pylist()
    copied = [s for s in stories if s["source"] == "syndicator"]
    originals_by_id = {s["story_id"]: s for s in stories if s["source"] != "syndicator"}
    assert len(copied) == 3
    assert all(s["duplicate_of"] in originals_by_id for s in copied)
    assert all(s["cluster_id"] == s["duplicate_of"] for s in copied)
