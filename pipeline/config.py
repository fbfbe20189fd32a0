"""Arguments to a validated RunConfig, before any pipeline is built.

Everything a user can get wrong on the command line is caught here and
reported as a one-line ConfigError (exit 2), never as a traceback from inside
a running pipeline.
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from typing import Optional

from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.errors import ArgumentParser, ConfigError, one_line
from pipeline.feedlist import load_feed_list, unique_feeds
from pipeline.options import ViewCachingOptions, WirestreamOptions
from schemas.records import FeedSpec
from transforms.dedup.index import DEFAULT_RETENTION_DAYS
from transforms.fetch.fetch import FetchConfig
from transforms.lake import paths
from transforms.nlp.guard import Limits
from transforms.nlp.model import ModelNotFound, resolve_model


@dataclass(frozen=True)
class RunConfig:
    """One batch run, fully resolved."""

    feeds: tuple[FeedSpec, ...]
    articles: tuple[str, ...]
    output: str
    model: str
    run_id: str
    started_at: datetime
    fetch: FetchConfig = FetchConfig()
    nlp_batch_size: int = 64
    # What one story may cost extraction (--nlp_chunk_chars, --nlp_max_chars,
    # --nlp_story_seconds).
    nlp_limits: Limits = Limits()
    beam_args: tuple[str, ...] = field(default=())
    replay: Optional[str] = None
    # Where raw responses are kept; None keeps none.
    raw: Optional[str] = None
    dedup_retention_days: float = DEFAULT_RETENTION_DAYS
    # Replace the stored rows of the stories read again (--reprocess).
    reprocess: bool = False

    @property
    def run_date(self) -> str:
        return self.started_at.strftime("%Y-%m-%d")

    def pipeline_options(self) -> PipelineOptions:
        return ViewCachingOptions(list(self.beam_args))


def sample_feed_list() -> str:
    """The bundled sample feed list, wherever wirestream is installed."""
    return str(resources.files("wirestream_sample").joinpath("feeds.yaml"))


def new_run_id(started_at: datetime) -> str:
    return f"{started_at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def known_beam_flags(command: str = "run") -> argparse.ArgumentParser:
    """A parser that knows every option of every PipelineOptions class
    loaded; a value it cannot read is the command's one-line usage error,
    not Beam's usage block of every option."""
    parser = ArgumentParser(prog=f"wirestream {command}", add_help=False,
                            allow_abbrev=False)
    classes, seen = [PipelineOptions], set()
    while classes:
        cls = classes.pop()
        if cls in seen:
            continue
        seen.add(cls)
        classes.extend(cls.__subclasses__())
        try:
            cls._add_argparse_args(parser)
        except argparse.ArgumentError:
            pass  # a flag two classes both define
    return parser


def parse_run_args(argv: list[str], *, now: Optional[datetime] = None,
                   command: str = "run") -> RunConfig:
    """Validate `wirestream run` arguments (or those `stream` shares with it);
    raise ConfigError with one line."""
    _, unknown = known_beam_flags(command).parse_known_args(argv)
    if unknown:
        raise ConfigError(f"unknown option(s): {' '.join(unknown)}")
    # s3:// and friends need their options (credentials, endpoint) before
    # the checks below look at any path.
    FileSystems.set_options(PipelineOptions(argv))
    try:
        return _validated(argv, now)
    except ValueError as err:
        # e.g. gs:// without apache-beam[gcp]: Beam says "Unable to get
        # filesystem from specified path".
        raise ConfigError(f"{one_line(err) or type(err).__name__} (for gs:// or s3:// "
                          "install wirestream[gcp] or wirestream[aws])") from None


def _validated(argv: list[str], now: Optional[datetime]) -> RunConfig:
    options = PipelineOptions(argv).view_as(WirestreamOptions)
    if not options.output:
        raise ConfigError("--output is required")
    feed_lists = list(options.feeds or [])
    articles = tuple(options.articles or [])
    if options.replay and feed_lists:
        raise ConfigError("--replay rebuilds from raw responses: give it instead of --feeds")
    if not feed_lists and not articles and not options.replay:
        feed_lists = [sample_feed_list()]
    feeds: list[FeedSpec] = []
    for path in feed_lists:
        feeds.extend(load_feed_list(path))
    if options.replay and not any(
            m.metadata_list for m in FileSystems.match(paths.raw_patterns(options.replay))):
        raise ConfigError(f"--replay {options.replay}: no raw responses found there")
    for pattern in articles:
        matched = FileSystems.match([pattern])[0].metadata_list
        if not matched:
            raise ConfigError(f"--articles {pattern}: no file matches")
        # A local folder matches itself; opening it would fail the pipeline.
        folders = [m.path for m in matched if os.path.isdir(m.path)]
        if folders:
            raise ConfigError(f"--articles {pattern}: {folders[0]} is a folder; give files "
                              "or a glob such as FOLDER/*.jsonl")
    if options.nlp_batch_size < 1:
        raise ConfigError("--nlp_batch_size must be at least 1")
    _check_number(options, "nlp_story_seconds", minimum=0, inclusive=False)
    nlp_limits = Limits(chunk_chars=options.nlp_chunk_chars, max_chars=options.nlp_max_chars,
                        seconds=options.nlp_story_seconds)
    if nlp_limits.check():
        raise ConfigError(nlp_limits.check())
    for name in ("max_feed_bytes", "fetch_timeout", "fetch_connect_timeout",
                 "fetch_budget", "fetch_per_host", "fetch_threads", "dedup_retention_days"):
        _check_number(options, name, minimum=0, inclusive=False)
    _check_number(options, "fetch_host_gap", minimum=0, inclusive=True)
    if options.reprocess and not (options.replay or articles):
        raise ConfigError("--reprocess rewrites stories read again: give --replay or --articles")
    _check_runner(options)
    try:
        model = resolve_model(options.spacy_model)
    except ModelNotFound as err:
        raise ConfigError(str(err)) from None
    started_at = now or datetime.now(timezone.utc)
    fetch = FetchConfig(read_timeout_s=options.fetch_timeout,
                        connect_timeout_s=options.fetch_connect_timeout,
                        budget_s=options.fetch_budget, max_bytes=options.max_feed_bytes,
                        per_host=options.fetch_per_host, host_gap_s=options.fetch_host_gap,
                        threads=options.fetch_threads, contact=options.fetch_contact)
    output = options.output.rstrip("/") or "/"
    raw = None if (options.raw or "").lower() == "none" else (
        options.raw or paths.default_raw_dir(output))
    _check_folder("--output", output)
    if raw:
        _check_folder("--raw", raw)
    return RunConfig(
        feeds=tuple(unique_feeds(feeds)), articles=articles, output=output, model=model,
        run_id=new_run_id(started_at), started_at=started_at, fetch=fetch,
        nlp_batch_size=options.nlp_batch_size, nlp_limits=nlp_limits, beam_args=tuple(argv),
        replay=options.replay, raw=raw, dedup_retention_days=options.dedup_retention_days,
        reprocess=options.reprocess)


def _check_number(options, name: str, *, minimum: float, inclusive: bool) -> None:
    """A finite number above (or from) `minimum`: NaN passes every
    comparison with False, and an infinite timeout overflows the clocks."""
    value = getattr(options, name)
    if not math.isfinite(value) or value < minimum or (value == minimum and not inclusive):
        raise ConfigError(f"--{name} must be a finite number "
                          f"{'of at least' if inclusive else 'above'} {minimum:g}, not {value}")


def _check_runner(options: PipelineOptions) -> None:
    """Beam's own options that a run would otherwise fail on deep inside
    Beam, with exit 1 and a line that does not name the option."""
    from apache_beam.options.pipeline_options import DirectOptions, StandardOptions

    workers = options.view_as(DirectOptions).direct_num_workers
    if workers is not None and workers < 0:
        raise ConfigError("--direct_num_workers must be 0 (one per core) or more, "
                          f"not {workers}")
    runner = options.view_as(StandardOptions).runner
    # Beam's own lookup (runners.runner.create_runner): a known name, with or
    # without "Runner", any case; or a PipelineRunner's dotted path.
    known = {name.lower() for name in StandardOptions.KNOWN_RUNNER_NAMES}
    if runner and "." not in runner and not {runner.lower(), runner.lower() + "runner"} & known:
        raise ConfigError(f"--runner {runner}: not a runner Beam knows (known: "
                          f"{', '.join(StandardOptions.KNOWN_RUNNER_NAMES)}; or a "
                          "PipelineRunner's dotted path)")


def _check_folder(flag: str, path: str) -> None:
    """A local path given as a folder that is a file fails the first write
    deep inside a run; say so before anything starts."""
    if "://" not in path and os.path.exists(path) and not os.path.isdir(path):
        raise ConfigError(f"{flag} {path}: not a folder")
