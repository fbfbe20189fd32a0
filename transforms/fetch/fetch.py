"""Fetch stage: one feed's bytes over HTTP(S) or from a file, politely.

`fetch_feed` is plain Python and never raises for a feed that misbehaves: it
returns the FetchResult (a fetch_log row plus the body to parse) and the
feed's new FeedState. What it does, in order:

- skip a feed marked dead (410 Gone) or still backing off after failures;
- send If-None-Match / If-Modified-Since from the last success (304: no body);
- follow at most `max_redirects` redirects; a chain of permanent ones
  (301/308) moves the feed's effective URL;
- connect, on every hop, only to an address the policy allows, the very one
  it checked (`connect.Route`: no DNS rebinding between check and connect);
- honour Retry-After on 429/503 (wait briefly, or come back when told);
- enforce connect and read timeouts, a total time budget that holds against
  servers that trickle (headers included), and a body cap on the
  decompressed size while streaming (`bodies`: gzip and deflate bombs).
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Optional
from urllib.parse import unquote, urljoin, urlparse

import requests
from urllib3.exceptions import HTTPError

from schemas.records import FeedSpec, FetchResult
from transforms.fetch.addresses import (
    AddressNotAllowed,
    AddressPolicy,
    AddressRefused,
    check_redirect_scheme,
    host_and_port,
    names_its_address,
)
from transforms.fetch.bodies import BodyError, read_capped
from transforms.fetch.connect import Route
from transforms.fetch.feed_state import Backoff, FeedState
from transforms.fetch.messages import one_line
from transforms.fetch.redaction import redact_url, restore_secrets, scrub, url_key

PERMANENT_REDIRECTS = (301, 308)
REDIRECTS = (301, 302, 303, 307, 308)
THROTTLED = (429, 503)
DEFAULT_CONTACT = "https://github.com/wirestream/wirestream"


@dataclass(frozen=True)
class FetchConfig:
    """How politely, how fast and how far the fetcher goes."""

    connect_timeout_s: float = 10.0
    # Longest wait for the next bytes from a server.
    read_timeout_s: float = 30.0
    # Longest a whole fetch may take, redirects and retries included.
    budget_s: float = 60.0
    # Bodies larger than this (after decompression) are refused while streaming.
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    # Politeness: requests in flight to one host, and the gap between two
    # requests to it starting.
    per_host: int = 2
    host_gap_s: float = 1.0
    # A Retry-After up to this long is waited out within the run; a longer
    # one makes the feed due again only after it.
    retry_after_wait_s: float = 5.0
    # Feeds fetched at once by one worker, and the number of host shards the
    # feed list is split into (each host in exactly one shard, so per-host
    # limits hold across workers).
    threads: int = 64
    shards: int = 8
    contact: str = DEFAULT_CONTACT
    backoff: Backoff = field(default_factory=Backoff)
    policy: AddressPolicy = field(default_factory=AddressPolicy)

    @property
    def user_agent(self) -> str:
        return f"wirestream/0.1 (+{self.contact})"


@dataclass(frozen=True)
class Validators:
    """What a server said to send back for a conditional GET."""

    etag: Optional[str]
    last_modified: Optional[str]


class FetchError(Exception):
    """A feed that could not be fetched; the message is the one-line reason."""

    status: Optional[int] = None


class _HttpError(FetchError):
    def __init__(self, status: int, reason: str):
        self.status = status
        super().__init__(f"HTTP {status} {reason}")


class _Throttled(FetchError):
    def __init__(self, status: int, retry_after: Optional[float]):
        self.status, self.retry_after = status, retry_after
        when = f", retry after {retry_after:.0f} s" if retry_after is not None else ""
        super().__init__(f"HTTP {status}{when}")


class _Gone(FetchError):
    pass


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


class HostGate:
    """At most `per_host` requests in flight per host, `gap_s` between starts."""

    def __init__(self, per_host: int, gap_s: float):
        self._per_host, self._gap_s = per_host, gap_s
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}
        self._next_start: dict[str, float] = {}

    @contextmanager
    def request(self, host: str):
        with self._lock:
            slot = self._slots.setdefault(host, threading.Semaphore(self._per_host))
        with slot:
            with self._lock:
                start = max(time.monotonic(), self._next_start.get(host, 0.0))
                self._next_start[host] = start + self._gap_s
            delay = start - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            yield


def _is_file(url: str) -> bool:
    scheme = urlparse(url).scheme.lower()
    return scheme == "file" or not scheme or len(scheme) == 1  # C:\\ paths


def fetch_feed(spec: FeedSpec, state: Optional[FeedState], run_id: str,
               config: FetchConfig, *, gate: Optional[HostGate] = None,
               now: Optional[datetime] = None) -> tuple[FetchResult, FeedState]:
    """Fetch one feed; returns its log row (with body) and its new state.

    Both come back with the feed list's credentials redacted (`redaction`):
    they are written to tables, state and logs. The stored state's URLs get
    the credentials back from the feed list here, for this fetch only.
    Each fetch has its own connections (`connect.Route`): what a socket may
    reach depends on the feed, and its deadline on this fetch.
    """
    if state is None:
        state = FeedState(url=redact_url(spec.url), key=url_key(spec.url))
    else:
        state = dataclasses.replace(
            state, effective_url=restore_secrets(state.effective_url, spec.url))
    result, new_state = _fetch_feed(spec, state, run_id, config, gate=gate, now=now)
    secrets_of = (spec.url, result.effective_url, new_state.effective_url)
    return (dataclasses.replace(result, feed_url=redact_url(result.feed_url),
                                effective_url=redact_url(result.effective_url),
                                error=_scrubbed(result.error, secrets_of)),
            dataclasses.replace(new_state, url=redact_url(spec.url), key=url_key(spec.url),
                                effective_url=redact_url(new_state.effective_url),
                                last_error=_scrubbed(new_state.last_error, secrets_of)))


def _scrubbed(text: Optional[str], urls) -> Optional[str]:
    for url in urls:
        text = scrub(text, url)
    return text


def _fetch_feed(spec: FeedSpec, state: FeedState, run_id: str, config: FetchConfig, *,
                gate: Optional[HostGate],
                now: Optional[datetime]) -> tuple[FetchResult, FeedState]:
    now = now or now_utc()
    base = FetchResult(run_id=run_id, feed_url=spec.url, source=spec.source,
                       status=None, not_modified=False, items=0, bytes=0,
                       duration_ms=0, error=None, fetched_at=now,
                       language=spec.language)
    if state.dead:
        return dataclasses.replace(
            base, outcome="dead", status=410,
            error="skipped: gone (HTTP 410); remove it from the feed list"), state
    if state.next_fetch_after and now < state.next_fetch_after:
        return dataclasses.replace(
            base, outcome="backoff",
            error=f"skipped: backing off until {state.next_fetch_after:%Y-%m-%dT%H:%M:%SZ} "
                  f"after {state.consecutive_failures} failure(s): {state.last_error}"), state

    clock = _Clock(now)
    attempt = dataclasses.replace(state, last_attempt=now)
    try:
        if _is_file(spec.url):
            result, validators = _fetch_file(base, attempt, config.max_bytes)
        else:
            result, validators = _fetch_http(spec, base, attempt, config,
                                             gate or HostGate(config.per_host, 0.0), clock)
    except _Gone as err:
        return _failed(base, attempt, err, clock, dead=True), \
            dataclasses.replace(attempt, dead=True, last_status=410, last_error=str(err))
    except _Throttled as err:
        failed = _failed(base, attempt, err, clock, status=err.status)
        return failed, _after_failure(attempt, config, now, str(err), err.status,
                                      retry_after=err.retry_after)
    except FetchError as err:
        return _failed(base, attempt, err, clock, status=err.status), \
            _after_failure(attempt, config, now, str(err), err.status)
    except AddressRefused as err:
        return _failed(base, attempt, err, clock), \
            _after_failure(attempt, config, now, str(err), None)
    except requests.RequestException as err:
        message = transport_error(err)
        return _failed(base, attempt, message, clock), \
            _after_failure(attempt, config, now, message, None)

    result = dataclasses.replace(result, duration_ms=clock.elapsed_ms(),
                                 fetched_at=clock.started_at(),
                                 bytes=len(result.body) if result.body else 0)
    return result, _after_success(attempt, result, validators, now)


# The OS's own words inside urllib3's nested reprs ("... Failed to establish
# a new connection to 127.0.0.1: [Errno 111] Connection refused"))').
_OS_ERROR = re.compile(r"\[Errno -?\d+\] ([^'\"()\[\]]+)")


def transport_error(err: Exception) -> str:
    """What went wrong, in the OS's words where it has them: fetch_log.error
    is read by people, and the row already names the feed's URL, which
    urllib3's message repeats twice in the reprs of its pool and connection."""
    text = str(err)
    found = _OS_ERROR.search(text)
    if found:
        return f"{type(err).__name__}: {found.group(1).strip()}"
    if "Read timed out" in text:
        return f"{type(err).__name__}: Read timed out"
    return f"{type(err).__name__}: {one_line(err, limit=300)}"


class _Clock:
    """When a fetch was asked for, and when the host's gate let its first
    request go: fetch_log's fetched_at and duration_ms count from the latter
    (docs: when the fetch started, how long it took), not from the wait
    behind the same host's other feeds (1 s a feed by default)."""

    def __init__(self, now: datetime):
        self._asked, self._now = time.monotonic(), now
        self._sent: Optional[float] = None

    def sent(self) -> None:
        if self._sent is None:
            self._sent = time.monotonic()

    def started_at(self) -> datetime:
        return self._now + timedelta(seconds=(self._sent or self._asked) - self._asked)

    def elapsed_ms(self) -> int:
        return int((time.monotonic() - (self._sent or self._asked)) * 1000)


def _failed(base: FetchResult, state: FeedState, error, clock: _Clock,
            status: Optional[int] = None, dead: bool = False) -> FetchResult:
    return dataclasses.replace(
        base, outcome="failed", error=str(error), status=410 if dead else status,
        duration_ms=clock.elapsed_ms(), fetched_at=clock.started_at(),
        effective_url=state.effective_url or base.feed_url)


def _after_failure(state: FeedState, config: FetchConfig, now: datetime, error: str,
                   status: Optional[int], retry_after: Optional[float] = None) -> FeedState:
    failures = state.consecutive_failures + 1
    wait = config.backoff.delay(state.url, failures)
    if retry_after is not None:
        wait = max(wait, timedelta(seconds=retry_after))
    return dataclasses.replace(state, consecutive_failures=failures,
                               next_fetch_after=now + wait, last_status=status,
                               last_error=error)


def _after_success(state: FeedState, result: FetchResult, validators: "Validators",
                   now: datetime) -> FeedState:
    changes = dict(consecutive_failures=0, next_fetch_after=None, last_success=now,
                   last_status=result.status, last_error=None)
    if result.moved_permanently:
        changes["effective_url"] = result.effective_url
    if not result.not_modified:
        # A new body brings new validators (or none: then send none next time).
        changes.update(etag=validators.etag, last_modified=validators.last_modified)
    return dataclasses.replace(state, **changes)


def _retry_after(value: Optional[str], now: datetime) -> Optional[float]:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max((when - now).total_seconds(), 0.0)


def _fetch_http(spec: FeedSpec, base: FetchResult, state: FeedState, config: FetchConfig,
                gate: HostGate, clock: _Clock) -> tuple[FetchResult, Validators]:
    hops = _Redirects(state.effective_url or base.feed_url)
    host_and_port(hops.url)  # an unsupported scheme fails before any lookup
    headers = _request_headers(config, state)
    retried = False
    with Route(config.policy, _private_hosts(spec), config.budget_s,
               lookup_timeout_s=config.connect_timeout_s) as route:
        try:
            while True:
                with _request(route, gate, hops.url, headers, config, clock) as response:
                    if hops.follow(response, config):
                        continue
                    if response.status_code in THROTTLED:
                        # Waited out inside the gate: the host asked for a pause,
                        # so this slot does not go to another of its feeds meanwhile.
                        time.sleep(_retry_wait(response, config, route.deadline, retried))
                        retried = True
                        continue
                    return _outcome(base, state, response, hops, config, route)
        except AddressRefused as err:
            if route.expired:
                raise _out_of_time(config) from None
            if not isinstance(err, AddressNotAllowed):
                raise
            if hops.redirected:
                raise AddressRefused(f"redirect to {hops.url}: {err}") from None
            if spec.allow_private or not str(err).endswith("not a public address"):
                raise
            raise AddressRefused(f"{err} (allow_private: true on the feed opts its host "
                                 "in)") from None
        except (requests.RequestException, OSError) as err:
            if route.expired:
                raise _out_of_time(config) from None
            raise FetchError(transport_error(err)) from None


def _private_hosts(spec: FeedSpec) -> frozenset[str]:
    """The hosts this feed may reach on private addresses: its own, when the
    feed list opted it in or its URL names the address itself."""
    host = (urlparse(spec.url).hostname or "").lower().rstrip(".")
    return frozenset({host}) if spec.allow_private or names_its_address(host) else frozenset()


def _out_of_time(config: FetchConfig) -> FetchError:
    return FetchError(f"time budget of {config.budget_s:.0f} s exhausted")


def _request_headers(config: FetchConfig, state: FeedState) -> dict[str, str]:
    """Who is asking, what it takes, and the validators of the last success."""
    headers = {"User-Agent": config.user_agent,
               "Accept": "application/rss+xml, application/atom+xml, application/rdf+xml, "
                         "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
               "Accept-Encoding": "gzip, deflate"}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


@contextmanager
def _request(route: Route, gate: HostGate, url: str, headers: dict[str, str],
             config: FetchConfig, clock: _Clock):
    """One GET, its response open (body unread) for as long as the block runs.

    The host's gate is held until the response is closed: a body still
    streaming is a request still in flight to that host. The fetch's budget
    starts once the gate lets its first request go.
    """
    with gate.request(urlparse(url).hostname or ""):
        clock.sent()
        route.start()
        remaining = route.deadline - time.monotonic()
        if remaining <= 0:
            raise _out_of_time(config)
        # Reads are not cut to the budget here: the Route's watchdog ends
        # them at the deadline, however the server paces its bytes.
        response = route.session.get(
            url, headers=headers, stream=True, allow_redirects=False,
            timeout=(min(config.connect_timeout_s, remaining), config.read_timeout_s))
        if route.expired:
            # Headers cut off by the watchdog can look complete to http.client.
            response.close()
            raise _out_of_time(config)
        try:
            yield response
        finally:
            response.close()


class _Redirects:
    """The chain of URLs one fetch went through, and whether it moved the feed."""

    def __init__(self, url: str):
        self._visited = [url]
        self._permanent = True

    @property
    def url(self) -> str:
        return self._visited[-1]

    @property
    def moved(self) -> bool:
        """Only a chain of permanent redirects moves the feed: one temporary
        hop means the old address is still the one to ask."""
        return self._permanent and self.redirected

    @property
    def redirected(self) -> bool:
        return len(self._visited) > 1

    def follow(self, response: requests.Response, config: FetchConfig) -> bool:
        """True if `response` redirects and the target may be fetched next
        (then `url` is the target); raises FetchError or AddressRefused if not.
        Where the target may connect is the Route's to check, when it does."""
        location = response.headers.get("Location")
        if response.status_code not in REDIRECTS or not location:
            return False
        target = urljoin(self.url, location)
        self._permanent = self._permanent and response.status_code in PERMANENT_REDIRECTS
        if target in self._visited:
            raise FetchError(f"redirect loop: {' -> '.join(self._visited + [target])}")
        if len(self._visited) > config.max_redirects:
            raise FetchError(f"more than {config.max_redirects} redirects")
        check_redirect_scheme(target)
        self._visited.append(target)
        return True


def _retry_wait(response: requests.Response, config: FetchConfig, deadline: float,
                retried: bool) -> float:
    """Seconds to wait before asking again after a 429/503, or _Throttled.

    Once per fetch, and only a wait that is short and fits the budget; a
    longer Retry-After is the feed's next due time instead.
    """
    wait = _retry_after(response.headers.get("Retry-After"), now_utc())
    if not retried and wait is not None and wait <= min(
            config.retry_after_wait_s, deadline - time.monotonic()):
        return wait
    raise _Throttled(response.status_code, wait)


def _outcome(base: FetchResult, state: FeedState, response: requests.Response,
             hops: _Redirects, config: FetchConfig, route: Route
             ) -> tuple[FetchResult, Validators]:
    """The final response (no redirect, no throttling) as a result, or FetchError."""
    status = response.status_code
    if status == 410:
        raise _Gone("HTTP 410 Gone: the feed was removed")
    common = dict(status=status, effective_url=hops.url, moved_permanently=hops.moved,
                  content_type=response.headers.get("Content-Type"))
    if status == 304:
        return dataclasses.replace(base, outcome="not_modified", not_modified=True, **common), \
            Validators(state.etag, state.last_modified)
    if status >= 400:
        raise _HttpError(status, response.reason)
    body = _read_body(response, config, route)
    return dataclasses.replace(base, body=body, **common), Validators(
        response.headers.get("ETag"), response.headers.get("Last-Modified"))


def _read_body(response: requests.Response, config: FetchConfig, route: Route) -> bytes:
    """The body, decoded here rather than by urllib3 (see `bodies`)."""
    try:
        body = read_capped(response.raw.stream(64 * 1024, decode_content=False),
                           response.headers.get("Content-Encoding"), config.max_bytes)
    except BodyError as err:
        raise FetchError(str(err)) from None
    except (requests.RequestException, OSError, HTTPError) as err:
        if route.expired:
            raise FetchError(f"time budget of {config.budget_s:.0f} s exhausted "
                             "while reading the body") from None
        raise FetchError(transport_error(err)) from None
    if route.expired:
        # The watchdog's shutdown can look like a body that simply ended.
        raise FetchError(f"time budget of {config.budget_s:.0f} s exhausted "
                         "while reading the body")
    return body


def _fetch_file(base: FetchResult, state: FeedState,
                max_bytes: int) -> tuple[FetchResult, Validators]:
    """A feed in a file; its size and mtime play the part of an ETag."""
    parsed = urlparse(base.feed_url)
    path = Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(base.feed_url)
    try:
        info = path.stat()
        etag = f'"{info.st_size}-{info.st_mtime_ns}"'
        if etag == state.etag:
            return dataclasses.replace(base, outcome="not_modified", not_modified=True,
                                       effective_url=base.feed_url), \
                Validators(state.etag, None)
        with open(path, "rb") as handle:
            body = handle.read(max_bytes + 1)
    except OSError as err:
        raise FetchError(f"{type(err).__name__}: {err.strerror}: {path}") from None
    if len(body) > max_bytes:
        raise FetchError(f"body larger than {max_bytes} bytes")
    return dataclasses.replace(base, body=body, effective_url=base.feed_url), \
        Validators(etag, None)
