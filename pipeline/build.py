"""Wiring the stages into one pipeline: `build(p, config)`."""

from __future__ import annotations

import apache_beam as beam

from pipeline.config import RunConfig
from schemas.records import Story
from schemas.tables import story_date
from transforms.dedup import Deduplicate, ReadDedupIndex, ReadStoredIds, prune_index
from transforms.fetch import FetchFeeds, ReplayRaw, SaveFeedStates
from transforms.lake import WriteTables, paths
from transforms.metrics import Count
from transforms.nlp import Extract
from transforms.text import ParseFeeds, ReadArchive


def build(p: beam.Pipeline, config: RunConfig) -> beam.PCollection:
    """All stages of one batch run; returns the commit's output."""
    stories, fetch_log, dead_letters = [], [], []
    feed_states = None
    fetched = None
    if config.feeds:
        fetched, feed_states, fetch_dead = (
            p
            | "Feeds" >> beam.Create(list(config.feeds))
            | Count("feeds_in")
            | "Fetch" >> FetchFeeds(config.run_id, config.run_date, config.fetch,
                                    paths.feed_state_file(config.output), config.raw))
        dead_letters.append(fetch_dead)
    elif config.replay:
        fetched = (p | "Replay" >> ReplayRaw(config.replay, config.run_id)
                   | Count("feeds_in"))
    if fetched is not None:
        feed_stories, logs, parse_dead = fetched | "Parse" >> ParseFeeds(config.run_id)
        stories.append(feed_stories)
        fetch_log.append(logs)
        dead_letters.append(parse_dead)
    if config.articles:
        archived, archive_dead = p | "Archive" >> ReadArchive(
            list(config.articles), config.run_id, config.started_at)
        stories.append(archived)
        dead_letters.append(archive_dead)

    index = p | "DedupIndex" >> ReadDedupIndex(config.output, config.started_at,
                                                config.dedup_retention_days)
    read = stories | "AllStories" >> beam.Flatten() | Count("stories_in")
    # Only the partitions of the read stories' dates: a run's cost must not
    # grow with DIR's history.
    stored_ids = read | "StoredIds" >> ReadStoredIds(config.output)
    clustered, index_entries = read | "Dedup" >> Deduplicate(
        stored_ids, index, config.output, config.started_at, reprocess=config.reprocess)
    extractions, nlp_dead = (
        clustered
        | "Canonical" >> beam.Filter(Story.is_canonical.fget)
        | "Extract" >> Extract(config.model, config.run_id,
                                       config.nlp_batch_size, config.nlp_limits))
    dead_letters.append(nlp_dead)

    committed = {
        "stories": clustered | "ByDay" >> beam.Map(lambda s: (story_date(s), s)),
        "extractions": extractions,
        "fetch_log": _flatten(p, "AllLogs", fetch_log),
        "dead_letters": _flatten(p, "AllDead", dead_letters),
        "dedup_index": index_entries,
    } | "Write" >> WriteTables(config.output, config.run_id, config.run_date,
                               replace_stories=config.reprocess)
    committed | "PruneIndex" >> beam.Map(
        lambda _done: prune_index(config.output, config.started_at,
                                  config.dedup_retention_days))
    if feed_states is not None:
        # Only once the tables are committed: state written before them would
        # make the next run skip (304) what this run never stored.
        committed | "SaveState" >> SaveFeedStates(paths.feed_state_file(config.output),
                                                  config.run_id, feed_states)
    return committed


def _flatten(p, label: str, pcolls: list) -> beam.PCollection:
    if not pcolls:
        return p | f"{label}Empty" >> beam.Create([])
    return tuple(pcolls) | label >> beam.Flatten()
