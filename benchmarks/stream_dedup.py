"""What one poll of the stream's dedup costs as its index grows.

Feeds Reuters-21578 stories, P a poll (each story's fetch time its
poll's), through `DeduplicateStream` on Beam's FnApiRunner (in_memory),
polls driven by a PeriodicImpulse that ticks faster than dedup keeps up
with, so the wall time is dedup's, keyed state included; and, as the
baseline measured in the same run, the same polls through `StreamIndex`
in this process alone (fingerprints, candidates, verification,
clustering; no Beam, no state). It does so for a quarter of N stories and
for N: if a poll's cost grew with what the index holds, the seconds a poll
would grow about fourfold from the quarter to N (the local runner runs
the stages after dedup once the ticks end, so polls are not timed one by
one).

    python -m benchmarks.stream_dedup [--stories 5000] [--per-poll 50]

Exits 2 with one line when the corpus is missing.
"""

from __future__ import annotations

import argparse
import json
import pickle
import tempfile
import time
from datetime import datetime, timedelta, timezone
from typing import Optional

from benchmarks.corpora import iter_reuters
from benchmarks.harness import run_script

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
TICK_S = 0.005


def _stories(count: int, per_poll: int) -> list:
    from schemas.records import Story
    from transforms.text.archive import parse_archive_line
    out = []
    for record in iter_reuters():
        if len(out) >= count:
            break
        story = parse_archive_line(json.dumps(record), "bench", "bench",
                                   T0 + timedelta(minutes=len(out) // per_poll))
        if isinstance(story, Story) and story.body:
            out.append(story)
    return out


def _poll_of(story) -> int:
    return int((story.fetched_at - T0).total_seconds() // 60)


def through_beam(stories: list, per_poll: int, output: str) -> float:
    """The wall seconds of the stories' polls through DeduplicateStream
    (the stories are parsed before, as for the in-process baseline)."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner
    from apache_beam.transforms.periodicsequence import PeriodicImpulse

    from transforms.dedup import DeduplicateStream

    parsed = f"{output}/stories.pickle"
    with open(parsed, "wb") as handle:
        pickle.dump(stories, handle)

    class PollStories(beam.DoFn):
        """A tick -> the stories of its poll, loaded here (not pickled with
        the pipeline)."""

        def setup(self):
            self._polls: dict[int, list] = {}
            with open(parsed, "rb") as handle:
                for story in pickle.load(handle):
                    self._polls.setdefault(_poll_of(story), []).append(story)

        def process(self, tick):
            poll = int(round((tick - start) / TICK_S))
            for story in self._polls.get(poll, []):
                yield beam.window.TimestampedValue(story, tick)

    polls = -(-len(stories) // per_poll)
    options = PipelineOptions([])
    options.view_as(StandardOptions).streaming = True
    start = time.time() + 1.0
    began = time.time()
    with beam.Pipeline(runner=FnApiRunner(), options=options) as p:
        stories = (p
                   | PeriodicImpulse(start_timestamp=start,
                                     stop_timestamp=start + (polls - 0.5) * TICK_S,
                                     fire_interval=TICK_S, apply_windowing=False)
                   | beam.ParDo(PollStories()))
        _ = stories | DeduplicateStream(output, T0, 7.0)
    return time.time() - began


def in_process(stories: list, per_poll: int) -> float:
    from transforms.dedup.minhash import MinHasher
    from transforms.dedup.stream_index import StreamIndex
    from transforms.dedup.fingerprints import fingerprints
    index, hasher = StreamIndex(timedelta(days=7)), MinHasher()
    began = time.perf_counter()
    for k in range(0, len(stories), per_poll):
        poll = stories[k:k + per_poll]
        index.add(list(zip(poll, fingerprints(poll, hasher))), poll[-1].fetched_at)
    return time.perf_counter() - began


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stories", type=int, default=5000)
    ap.add_argument("--per-poll", type=int, default=50)
    args = ap.parse_args(argv)
    print(f"Reuters-21578 stories, {args.per_poll} a poll, through DeduplicateStream "
          f"on the FnApiRunner; in process: the same polls through StreamIndex alone")
    print(f"{'stories':>8} {'polls':>6} {'in process s':>13} {'Beam s':>8} {'ms a poll':>10} "
          f"{'x in process':>13}")
    per_poll = {}
    for count in (args.stories // 4, args.stories):
        stories = _stories(count, args.per_poll)
        polls = -(-len(stories) // args.per_poll)
        baseline = in_process(stories, args.per_poll)
        with tempfile.TemporaryDirectory() as output:
            total = through_beam(stories, args.per_poll, output)
        per_poll[count] = total / polls
        print(f"{len(stories):8d} {polls:6d} {baseline:13.1f} {total:8.1f} "
              f"{1000 * total / polls:10.0f} {total / baseline:13.1f}")
    small, large = per_poll[args.stories // 4], per_poll[args.stories]
    print(f"a poll's cost, {args.stories} stories against a quarter of them: "
          f"{large / small:.2f}x (1.0: flat in what the index holds; 4.0: grows with it)")
    return 0


if __name__ == "__main__":
    run_script(main)
