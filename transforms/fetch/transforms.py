"""Fetch stage in Beam: state in, feeds fetched concurrently per host shard,
raw responses kept, state out after the tables are committed.

Politeness needs one place that sees every request to a host. Feeds are
keyed by a shard of their host, so all feeds of a host land in the same
`_FetchShard` call on one worker, whatever the runner and worker count;
inside it a thread pool fetches many hosts at once while a HostGate holds
each host to `per_host` requests in flight and `host_gap_s` between them.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.io import fileio
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec

from schemas.records import FeedSpec, FetchResult, dead_letter
from transforms.fetch import raw_archive
from transforms.fetch.feed_state import FeedState, read_states, write_states
from transforms.fetch.fetch import FetchConfig, HostGate, fetch_feed
from transforms.fetch.hosts import interleave_hosts, shard_of
from transforms.fetch.redaction import url_key
from transforms.lake import paths
from transforms.metrics import Count, counter

STAGE = "fetch"


class _ShardFetcher:
    """A worker's counters and the polite fetch of one shard's feeds: what
    the batch DoFn and the stream's polling DoFn share. Connections are each
    fetch's own (`connect.Route`), so none is shared between feeds."""

    def __init__(self, run_id: str, config: FetchConfig, raw_root: Optional[str]):
        self._run_id, self._config, self._raw_root = run_id, config, raw_root

    def setup(self):
        self._counters = {name: counter(f"feeds_{name}") for name in (
            "fetched", "not_modified", "failed", "backoff", "dead", "moved")}

    def fetch(self, pairs, run_date: str):
        """(result, new state) of each (spec, state), hosts interleaved."""
        gate = HostGate(self._config.per_host, self._config.host_gap_s)
        with ThreadPoolExecutor(max_workers=self._config.threads) as pool:
            futures = [pool.submit(self._fetch_one, spec, state, gate, run_date)
                       for spec, state in interleave_hosts(list(pairs))]
            for future in futures:
                yield future.result()

    def _fetch_one(self, spec: FeedSpec, state: Optional[FeedState], gate: HostGate,
                   run_date: str):
        result, new_state = fetch_feed(spec, state, self._run_id, self._config, gate=gate)
        if result.body is not None and self._raw_root:
            path = paths.raw_file(self._raw_root, run_date, self._run_id, result.feed_url,
                                  result.fetched_at)
            raw_archive.write(path, result)
            result = dataclasses.replace(result, raw_path=path)
        return result, new_state

    def outputs(self, result: FetchResult, state: FeedState):
        """The result, its dead letter if it failed, and the new state (tagged)."""
        self._counters[result.outcome].inc()
        if result.moved_permanently:
            self._counters["moved"].inc()
        if result.outcome == "failed":
            yield beam.pvalue.TaggedOutput("dead_letters", dead_letter(
                self._run_id, STAGE, "FetchFailed", result.error or "",
                ref=result.feed_url, at=result.fetched_at))
        yield beam.pvalue.TaggedOutput("states", state)
        yield result


class _FetchShard(beam.DoFn):
    """All feeds of a few hosts, fetched concurrently and politely."""

    def __init__(self, run_id: str, run_date: str, config: FetchConfig,
                 raw_root: Optional[str]):
        self._run_date = run_date
        self._fetcher = _ShardFetcher(run_id, config, raw_root)

    def setup(self):
        self._fetcher.setup()

    def process(self, element):
        _shard, pairs = element
        for result, state in self._fetcher.fetch(pairs, self._run_date):
            yield from self._fetcher.outputs(result, state)


class _PollShard(beam.DoFn):
    """On each tick, a shard's feeds fetched as in batch; their states kept in
    the shard's keyed state between ticks (first read from OUTPUT/_state)."""

    STATES = ReadModifyWriteStateSpec("feed_states", PickleCoder())

    def __init__(self, run_id: str, config: FetchConfig, raw_root: Optional[str],
                 state_file: str):
        self._state_file = state_file
        self._fetcher = _ShardFetcher(run_id, config, raw_root)

    def setup(self):
        self._fetcher.setup()

    def process(self, element, timestamp=beam.DoFn.TimestampParam,
                feed_states=beam.DoFn.StateParam(STATES)):
        _shard, specs = element
        known = feed_states.read()
        if known is None:
            mine = {url_key(spec.url) for spec in specs}
            known = {s.key: s for s in read_states(self._state_file) if s.key in mine}
        run_date = timestamp.to_utc_datetime().strftime("%Y-%m-%d")
        pairs = [(spec, known.get(url_key(spec.url))) for spec in specs]
        for result, state in self._fetcher.fetch(pairs, run_date):
            known[state.key] = state
            yield from self._fetcher.outputs(result, state)
        feed_states.write(known)


def _join_state(grouped):
    """(url key, (specs, states)) -> (spec, state) or a carried-over state."""
    _key, (specs, states) = grouped
    state = states[0] if states else None
    if not specs:
        # A feed no longer listed keeps its state, should it come back.
        yield beam.pvalue.TaggedOutput("unlisted", state)
        return
    yield specs[0], state


class FetchFeeds(beam.PTransform):
    """FeedSpec -> (FetchResult per feed, new FeedStates, dead letters).

    `state_file` is read at the start (missing: every feed is new); the new
    states are only written by SaveFeedStates, after the tables are committed.
    """

    def __init__(self, run_id: str, run_date: str, config: FetchConfig,
                 state_file: Optional[str], raw_root: Optional[str]):
        super().__init__()
        self._run_id, self._run_date, self._config = run_id, run_date, config
        self._state_file, self._raw_root = state_file, raw_root

    def expand(self, specs):
        pipeline = specs.pipeline
        stored = (pipeline
                  | "StateFile" >> beam.Create([self._state_file] if self._state_file else [])
                  | "ReadState" >> beam.FlatMap(read_states)
                  | "StateByKey" >> beam.Map(lambda s: (s.key, s)))
        joined = (
            (specs | "SpecByKey" >> beam.Map(lambda s: (url_key(s.url), s)), stored)
            | "JoinState" >> beam.CoGroupByKey()
            | "Pair" >> beam.FlatMap(_join_state).with_outputs("unlisted", main="pairs"))
        shards = self._config.shards
        fetched = (
            joined.pairs
            | "ByHostShard" >> beam.Map(lambda pair: (shard_of(pair[0].url, shards), pair))
            | "GroupShards" >> beam.GroupByKey()
            | "Fetch" >> beam.ParDo(_FetchShard(self._run_id, self._run_date, self._config,
                                                self._raw_root))
            .with_outputs("states", "dead_letters", main="results"))
        states = ((fetched.states, joined.unlisted) | "AllStates" >> beam.Flatten())
        # Parsing is CPU work: spread the fetched bodies over the workers again.
        results = fetched.results | "Spread" >> beam.Reshuffle()
        return results, states, fetched.dead_letters


class SaveFeedStates(beam.PTransform):
    """Write the new feed states once `after` (the table commit) has produced."""

    def __init__(self, state_file: str, run_id: str, states):
        super().__init__()
        self._state_file, self._run_id, self._states = state_file, run_id, states

    def expand(self, after):
        state_file, run_id = self._state_file, self._run_id
        return after | "WriteState" >> beam.Map(
            lambda _done, states: write_states(state_file, states, run_id),
            states=beam.pvalue.AsList(self._states))


class ReplayRaw(beam.PTransform):
    """RAW_DIR -> FetchResults read back from raw files, as if just fetched."""

    def __init__(self, raw_dir: str, run_id: str):
        super().__init__()
        self._raw_dir, self._run_id = raw_dir, run_id

    def expand(self, pbegin):
        run_id = self._run_id
        return (pbegin
                | "Patterns" >> beam.Create(paths.raw_patterns(self._raw_dir))
                | "Match" >> fileio.MatchAll()
                | "Paths" >> beam.Map(lambda metadata: metadata.path)
                | "Spread" >> beam.Reshuffle()
                | "ReadRaw" >> beam.Map(lambda path: raw_archive.read(path, run_id))
                | Count("feeds_replayed"))


def _shards_on_tick(specs_by_shard: dict[int, tuple[FeedSpec, ...]]):
    def on_tick(_tick):
        for shard, specs in sorted(specs_by_shard.items()):
            yield shard, specs
    return on_tick


class PollFeeds(beam.PTransform):
    """Ticks -> (FetchResult per feed per tick, FeedStates, dead letters).

    The stream's fetch: on each tick every listed feed is fetched with the
    same conditional GET, politeness and backoff as a batch run (a feed not
    due yet gives a `backoff` row). Outputs carry the tick's timestamp.
    """

    def __init__(self, feeds: list[FeedSpec], run_id: str, config: FetchConfig,
                 state_file: str, raw_root: Optional[str]):
        super().__init__()
        self._run_id, self._config = run_id, config
        self._state_file, self._raw_root = state_file, raw_root
        by_shard: dict[int, list[FeedSpec]] = {}
        for spec in feeds:
            by_shard.setdefault(shard_of(spec.url, config.shards), []).append(spec)
        self._by_shard = {k: tuple(v) for k, v in by_shard.items()}

    def expand(self, ticks):
        polled = (
            ticks
            | "Shards" >> beam.FlatMap(_shards_on_tick(self._by_shard))
            .with_output_types(tuple[int, tuple[FeedSpec, ...]])
            | "Poll" >> beam.ParDo(_PollShard(self._run_id, self._config, self._raw_root,
                                              self._state_file))
            .with_outputs("states", "dead_letters", main="results"))
        return polled.results, polled.states, polled.dead_letters
