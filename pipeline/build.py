"""Wiring the stages into one pipeline: `build(p, config)`."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from pipeline.config import RunConfig
from schemas.records import Story
from schemas.tables import story_date
from transforms.archive import ReadArchive
from transforms.dedup import Deduplicate, StoredStory
from transforms.fetch import FetchFeeds
from transforms.metrics import Count
from transforms.nlp import ExtractEntities
from transforms.parse import ParseFeeds
from transforms.write import WriteTables

STORED_COLUMNS = ["story_id", "cluster_id", "url", "content_hash",
                  "published_at", "fetched_at"]


def stored_stories_pattern(output: str) -> str:
    return FileSystems.join(output, "stories", "*", "*.parquet")


def read_stored_stories(p: beam.Pipeline, output: str) -> beam.PCollection:
    """The stories earlier runs committed to OUTPUT, as dedup needs them."""
    pattern = stored_stories_pattern(output)
    if not FileSystems.match([pattern])[0].metadata_list:
        return p | "NoStoredStories" >> beam.Create([])
    return (
        p
        | "ReadStored" >> beam.io.ReadFromParquet(pattern, columns=STORED_COLUMNS)
        | "ToStored" >> beam.Map(lambda row: StoredStory(**row)))


def build(p: beam.Pipeline, config: RunConfig) -> beam.PCollection:
    """All stages of one batch run; returns the commit's output."""
    stories, fetch_log, dead_letters = [], [], []
    if config.feeds:
        fetched, fetch_dead = (
            p
            | "Feeds" >> beam.Create(list(config.feeds))
            | Count("feeds_in")
            | "Fetch" >> FetchFeeds(config.run_id, config.fetch))
        feed_stories, logs, parse_dead = fetched | "Parse" >> ParseFeeds(config.run_id)
        stories.append(feed_stories)
        fetch_log.append(logs)
        dead_letters += [fetch_dead, parse_dead]
    if config.articles:
        archived, archive_dead = p | "Archive" >> ReadArchive(
            list(config.articles), config.run_id, config.started_at)
        stories.append(archived)
        dead_letters.append(archive_dead)

    clustered = (
        stories
        | "AllStories" >> beam.Flatten()
        | Count("stories_in")
        | "Dedup" >> Deduplicate(read_stored_stories(p, config.output)))
    extractions, nlp_dead = (
        clustered
        | "Canonical" >> beam.Filter(Story.is_canonical.fget)
        | "Extract" >> ExtractEntities(config.model, config.run_id,
                                       config.nlp_batch_size))
    dead_letters.append(nlp_dead)

    return {
        "stories": clustered | "ByDay" >> beam.Map(lambda s: (story_date(s), s)),
        "extractions": extractions,
        "fetch_log": _flatten(p, "AllLogs", fetch_log),
        "dead_letters": _flatten(p, "AllDead", dead_letters),
    } | "Write" >> WriteTables(config.output, config.run_id, config.run_date)


def _flatten(p, label: str, pcolls: list) -> beam.PCollection:
    if not pcolls:
        return p | f"{label}Empty" >> beam.Create([])
    return tuple(pcolls) | label >> beam.Flatten()
