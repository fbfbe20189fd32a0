"""The stream graph: `build_stream(p, config, stream)`, the same stages as
`build.build` made unbounded.

    PeriodicImpulse ─► PollFeeds ─► ParseFeeds ─► DeduplicateStream ─► (window) ─► Extract
       ticks           keyed feed     stories      keyed state: ids      fixed      RunInference
                       state                       and fingerprints      windows
                                                                  ─► WriteTables: a commit per window

Windows are by arrival (the poll's tick), partitions by publication: a story
published long before it arrives still lands in its published_date
partition. With --allowed-lateness, a story published longer than that
before its poll is a dead letter ("TooLate"), counted, not dropped.

On Beam's local FnApiRunner the ticks fire in real time and polling,
parsing and dedup run at tick time, but every stage after a shuffle
(extraction, writing, the commits) runs once the last tick has fired: a
local stream polls for real and commits what it found at the end.
Incremental commits, window by window, need a streaming runner (Dataflow
streaming, Flink).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

import apache_beam as beam
from apache_beam.transforms.periodicsequence import PeriodicImpulse
from apache_beam.transforms.window import FixedWindows

from pipeline.config import RunConfig
from schemas.records import Story
from schemas.tables import story_date
from transforms.dedup import DeduplicateStream
from transforms.fetch import PollFeeds
from transforms.lake import WriteTables, paths
from transforms.nlp import Extract
from transforms.text import DropTooLate, ParseFeeds


@dataclass(frozen=True)
class StreamConfig:
    """How the stream polls and commits, beside the run's RunConfig."""

    poll_interval_s: float = 300.0
    window_s: float = 900.0
    max_polls: Optional[int] = None
    duration_s: Optional[float] = None
    allowed_lateness_s: Optional[float] = None

    def stop_after(self, start: float) -> float:
        """When the ticks stop; far in the future for a stream that runs on."""
        if self.max_polls is not None:
            # Ticks fire at start, start + interval, ...: the last one just
            # before start + max_polls intervals.
            return start + (self.max_polls - 0.5) * self.poll_interval_s
        if self.duration_s is not None:
            return start + self.duration_s
        return start + 100 * 365 * 24 * 3600.0


def build_stream(p: beam.Pipeline, config: RunConfig, stream: StreamConfig):
    """All stages of the stream; returns the windows' manifests."""
    # The ticks are timed from now, but the pipeline starts a moment later:
    # a short lead keeps the first polls from firing back to back.
    start = time.time() + min(stream.poll_interval_s, 2.0)
    ticks = p | "Ticks" >> PeriodicImpulse(
        start_timestamp=start, stop_timestamp=stream.stop_after(start),
        fire_interval=stream.poll_interval_s, apply_windowing=False)
    state_file = paths.feed_state_file(config.output)
    fetched, feed_states, fetch_dead = ticks | "Poll" >> PollFeeds(
        list(config.feeds), config.run_id, config.fetch, state_file, config.raw)
    stories, fetch_log, parse_dead = fetched | "Parse" >> ParseFeeds(config.run_id)
    lateness = (timedelta(seconds=stream.allowed_lateness_s)
                if stream.allowed_lateness_s is not None else None)
    timely, too_late = stories | "Lateness" >> DropTooLate(config.run_id, lateness)
    clustered, index_entries, dropped = timely | "Dedup" >> DeduplicateStream(
        config.output, config.started_at, config.dedup_retention_days)

    def windowed(pcoll, label):
        return pcoll | label >> beam.WindowInto(FixedWindows(stream.window_s))

    clustered = windowed(clustered, "WindowStories")
    extractions, nlp_dead = (
        clustered
        | "Canonical" >> beam.Filter(Story.is_canonical.fget)
        | "Extract" >> Extract(config.model, config.run_id, config.nlp_batch_size,
                                       config.nlp_limits))
    dead = ((fetch_dead, parse_dead, too_late) | "StreamDead" >> beam.Flatten())
    return {
        "stories": clustered | "ByDay" >> beam.Map(lambda s: (story_date(s), s)),
        "extractions": extractions,
        "fetch_log": windowed(fetch_log, "WindowLog"),
        "dead_letters": (windowed(dead, "WindowDead"), nlp_dead) | "AllDead" >> beam.Flatten(),
        "dedup_index": windowed(index_entries, "WindowIndex"),
        "feed_states": windowed(feed_states, "WindowStates"),
        "dedup_dropped": windowed(dropped, "WindowDropped"),
    } | "Write" >> WriteTables(config.output, config.run_id, None, state_file=state_file)
