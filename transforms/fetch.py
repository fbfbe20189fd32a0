"""Fetch stage: one feed's bytes over HTTP(S) or from a file.

`fetch_feed` is plain Python and never raises for a feed that misbehaves: a
failure is a FetchResult with `error` set, which becomes a fetch_log row and a
dead letter while the run goes on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlparse

import apache_beam as beam
import requests

from schemas.records import FeedSpec, FetchResult, dead_letter
from transforms.metrics import counter

STAGE = "fetch"


@dataclass(frozen=True)
class FetchConfig:
    """How politely and how far the fetcher goes."""

    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    # Bodies larger than this are refused while streaming, before they fill memory.
    max_bytes: int = 10 * 1024 * 1024
    user_agent: str = "wirestream/0.1 (+https://github.com/wirestream/wirestream)"


class FetchError(Exception):
    """A feed that could not be fetched; the message is the one-line reason."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def fetch_feed(spec: FeedSpec, run_id: str, config: FetchConfig) -> FetchResult:
    started = time.monotonic()
    fetched_at = _now()
    status, body, content_type, error = None, None, None, None
    try:
        if urlparse(spec.url).scheme in ("http", "https"):
            status, body, content_type = _fetch_http(spec.url, config)
        else:
            body = _read_file(spec.url, config.max_bytes)
    except FetchError as err:
        error = str(err)
    except requests.RequestException as err:
        error = f"{type(err).__name__}: {_first_line(err)}"
    return FetchResult(
        run_id=run_id, feed_url=spec.url, source=spec.source, status=status,
        not_modified=False, items=0, bytes=len(body) if body else 0,
        duration_ms=int((time.monotonic() - started) * 1000), error=error,
        fetched_at=fetched_at, body=None if error else body,
        language=spec.language, content_type=content_type)


def _first_line(err: Exception) -> str:
    return (str(err).splitlines() or [""])[0][:300]


def _fetch_http(url: str, config: FetchConfig) -> tuple[int, bytes, str | None]:
    headers = {"User-Agent": config.user_agent,
               "Accept": "application/rss+xml, application/atom+xml, "
                         "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"}
    with requests.get(url, headers=headers, stream=True,
                      timeout=(config.connect_timeout_s, config.read_timeout_s)
                      ) as response:
        if response.status_code >= 400:
            raise FetchError(f"HTTP {response.status_code} {response.reason}")
        # iter_content decompresses gzip/deflate, so the cap applies to what
        # would land in memory, not to the compressed size on the wire.
        chunks, size = [], 0
        for chunk in response.iter_content(chunk_size=64 * 1024):
            size += len(chunk)
            if size > config.max_bytes:
                raise FetchError(f"body larger than {config.max_bytes} bytes")
            chunks.append(chunk)
        return response.status_code, b"".join(chunks), \
            response.headers.get("Content-Type")


def _read_file(location: str, max_bytes: int) -> bytes:
    parsed = urlparse(location)
    if parsed.scheme == "file":
        path = Path(unquote(parsed.path))
    elif parsed.scheme and len(parsed.scheme) > 1:
        raise FetchError(f"unsupported URL scheme {parsed.scheme!r}")
    else:
        path = Path(location)
    try:
        with open(path, "rb") as handle:
            body = handle.read(max_bytes + 1)
    except OSError as err:
        raise FetchError(f"{type(err).__name__}: {err.strerror}: {path}") from None
    if len(body) > max_bytes:
        raise FetchError(f"body larger than {max_bytes} bytes")
    return body


class _FetchFn(beam.DoFn):
    def __init__(self, run_id: str, config: FetchConfig):
        self._run_id, self._config = run_id, config

    def setup(self):
        self._fetched = counter("feeds_fetched")
        self._failed = counter("feeds_failed")

    def process(self, spec: FeedSpec):
        result = fetch_feed(spec, self._run_id, self._config)
        if result.error:
            self._failed.inc()
            yield beam.pvalue.TaggedOutput("dead_letters", dead_letter(
                self._run_id, STAGE, "FetchFailed", result.error, ref=spec.url,
                at=result.fetched_at))
        else:
            self._fetched.inc()
        yield result


class FetchFeeds(beam.PTransform):
    """FeedSpec -> (FetchResult for every feed, dead letters of failed ones).

    Failed feeds are in both outputs: their fetch_log row carries the error and
    the dead letter makes them visible beside every other loss.
    """

    def __init__(self, run_id: str, config: FetchConfig = FetchConfig()):
        super().__init__()
        self._run_id, self._config = run_id, config

    def expand(self, specs):
        results = (
            specs
            # Spread feeds over workers: the feed list arrives as one bundle.
            | "Spread" >> beam.Reshuffle()
            | "Fetch" >> beam.ParDo(_FetchFn(self._run_id, self._config))
            .with_outputs("dead_letters", main="fetched"))
        return results.fetched, results.dead_letters
