"""Text stage in Beam: fetched feeds and archive files to stories.

The work is done by the plain modules beside this one (`feeds.parse_feed`,
`archive.read_archive_lines`, `archive.parse_archive_line`); these
composites count each outcome and route stories, fetch_log rows and dead
letters to their outputs.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Optional

import apache_beam as beam
from apache_beam.io import fileio

from schemas.records import DeadLetter, FetchResult, Story, dead_letter
from transforms.metrics import counter
from transforms.text.archive import parse_archive_line, read_archive_lines
from transforms.text.feeds import STAGE as PARSE_STAGE
from transforms.text.feeds import parse_feed


class _ParseFn(beam.DoFn):
    def setup(self):
        self._seen = counter("entries_seen")
        self._parsed = counter("entries_parsed")
        self._dead = counter("entries_dead")

    def process(self, fetched: FetchResult):
        try:
            outputs = list(parse_feed(fetched))
        except Exception as err:  # a parser bug costs this feed, not the run
            message = f"{type(err).__name__}: {err}"
            yield beam.pvalue.TaggedOutput("dead_letters", dead_letter(
                fetched.run_id, PARSE_STAGE, "ParserCrashed", message,
                ref=fetched.feed_url, payload=(fetched.body or b"")[:4096]))
            yield beam.pvalue.TaggedOutput(
                "fetch_log", dataclasses.replace(fetched.log_row(), error=message))
            return
        for record in outputs:
            if isinstance(record, Story):
                self._seen.inc()
                self._parsed.inc()
                yield record
            elif isinstance(record, FetchResult):
                yield beam.pvalue.TaggedOutput("fetch_log", record)
            else:
                if record.error != "NotAFeed":
                    self._seen.inc()
                    self._dead.inc()
                yield beam.pvalue.TaggedOutput("dead_letters", record)


class ParseFeeds(beam.PTransform):
    """FetchResult -> (stories, fetch_log rows, dead letters)."""

    def __init__(self, run_id: str):
        super().__init__()
        self._run_id = run_id

    def expand(self, fetched):
        results = fetched | "Parse" >> beam.ParDo(_ParseFn()).with_outputs(
            "fetch_log", "dead_letters", main="stories")
        return results.stories, results.fetch_log, results.dead_letters


class _ArchiveLinesFn(beam.DoFn):
    """One archive file -> its numbered lines (ref, text); a file that is not
    text or a line over the limit -> a dead letter."""

    def __init__(self, run_id: str, fetched_at: datetime):
        self._run_id, self._fetched_at = run_id, fetched_at

    def setup(self):
        self._lines = counter("archive_lines")
        self._repaired = counter("archive_lines_repaired")
        self._dead = counter("archive_dead")

    def process(self, readable: fileio.ReadableFile):
        path = readable.metadata.path
        with readable.open() as handle:
            for item in read_archive_lines(handle, path, self._run_id, self._fetched_at):
                self._lines.inc()
                if isinstance(item, DeadLetter):
                    self._dead.inc()
                    yield beam.pvalue.TaggedOutput("dead_letters", item)
                else:
                    self._repaired.inc(int(item.repaired))
                    yield item.ref, item.text


class _ParseArchiveLineFn(beam.DoFn):
    def __init__(self, run_id: str, fetched_at: datetime):
        self._run_id, self._fetched_at = run_id, fetched_at

    def setup(self):
        self._dead = counter("archive_dead")

    def process(self, numbered: tuple[str, str]):
        ref, line = numbered
        record = parse_archive_line(line, ref, self._run_id, self._fetched_at)
        if isinstance(record, DeadLetter):
            self._dead.inc()
            yield beam.pvalue.TaggedOutput("dead_letters", record)
        else:
            yield record


class ReadArchive(beam.PTransform):
    """File patterns -> (stories, dead letters), one pass over each file.

    A file's lines are spread over the workers before they are parsed
    (cleaning, language detection and everything fused after it), so one
    large archive does not leave all of that to the worker that read it.
    """

    def __init__(self, patterns: list[str], run_id: str, fetched_at: datetime):
        super().__init__()
        self._patterns, self._run_id = patterns, run_id
        self._fetched_at = fetched_at

    def expand(self, pbegin):
        lines = (
            pbegin
            | "Patterns" >> beam.Create(self._patterns)
            | "Match" >> fileio.MatchAll()
            | "Open" >> fileio.ReadMatches()
            | "Spread" >> beam.Reshuffle()
            | "Lines" >> beam.ParDo(_ArchiveLinesFn(self._run_id, self._fetched_at))
            .with_outputs("dead_letters", main="lines"))
        parsed = (
            lines.lines
            | "Typed" >> beam.Map(lambda numbered: numbered).with_output_types(tuple[str, str])
            | "SpreadLines" >> beam.Reshuffle()
            | "Parse" >> beam.ParDo(_ParseArchiveLineFn(self._run_id, self._fetched_at))
            .with_outputs("dead_letters", main="stories"))
        dead = (lines.dead_letters, parsed.dead_letters) | "AllDead" >> beam.Flatten()
        return parsed.stories, dead


class _DropTooLate(beam.DoFn):
    """Stories published longer than the allowed lateness before their poll
    go to dead letters, counted; the rest pass."""

    def __init__(self, run_id: str, lateness: Optional[timedelta]):
        self._run_id, self._lateness = run_id, lateness

    def setup(self):
        self._late = counter("stories_too_late")

    def process(self, story: Story):
        if (self._lateness is not None and story.published_at is not None
                and story.fetched_at - story.published_at > self._lateness):
            self._late.inc()
            yield beam.pvalue.TaggedOutput("dead_letters", dead_letter(
                self._run_id, "stream", "TooLate",
                f"published {story.published_at.isoformat()}, more than "
                f"{self._lateness} before it was fetched", ref=story.story_id,
                payload=story.title, at=story.fetched_at))
            return
        yield story


class DropTooLate(beam.PTransform):
    """Stories -> (stories, dead letters of those published longer than
    `lateness` before they were fetched); lateness None keeps every story."""

    def __init__(self, run_id: str, lateness: Optional[timedelta]):
        super().__init__()
        self._run_id, self._lateness = run_id, lateness

    def expand(self, stories):
        split = stories | "TooLate" >> beam.ParDo(
            _DropTooLate(self._run_id, self._lateness)).with_outputs(
                "dead_letters", main="stories")
        return split.stories, split.dead_letters
