"""Fetching against real HTTP servers on loopback that misbehave on purpose."""

import dataclasses
import gzip
import threading
import time
from datetime import datetime, timedelta, timezone

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to
from pytest_httpserver import HTTPServer
from werkzeug import Response

from schemas.records import FeedSpec
from tests.conftest import SAMPLE
from transforms.fetch.addresses import AddressPolicy
from transforms.fetch.feed_state import Backoff, FeedState
from transforms.fetch.fetch import FetchConfig, HostGate, fetch_feed
from transforms.fetch.transforms import FetchFeeds

RSS = (SAMPLE / "wikinews-world.rss").read_bytes()
QUICK = FetchConfig(connect_timeout_s=2, read_timeout_s=1, budget_s=5,
                    max_bytes=1_000_000, host_gap_s=0, retry_after_wait_s=2)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def fetch(url, state=None, config=QUICK, now=NOW):
    return fetch_feed(FeedSpec(url, "src", "en"), state, "run", config, now=now)


def paths(server: HTTPServer) -> list[str]:
    return [request.path for request, _response in server.log]


# --- plain fetching ---------------------------------------------------------

def test_fetches_a_feed_and_introduces_itself(httpserver):
    httpserver.expect_request("/rss").respond_with_data(RSS, content_type="application/rss+xml")
    result, state = fetch(httpserver.url_for("/rss"))
    assert (result.outcome, result.status, result.error, result.body) == ("fetched", 200, None, RSS)
    assert result.bytes == len(RSS) and result.content_type == "application/rss+xml"
    user_agent = httpserver.log[0][0].headers["User-Agent"]
    assert user_agent.startswith("wirestream/") and QUICK.contact in user_agent
    assert state.consecutive_failures == 0 and state.last_success == NOW


def test_files_by_path_and_url_and_unchanged_files_are_not_read_again(tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_bytes(RSS)
    first, state = fetch(str(feed))
    by_url, _ = fetch(feed.as_uri())
    assert first.body == by_url.body == RSS
    again, _ = fetch(str(feed), state)
    assert (again.outcome, again.not_modified, again.body) == ("not_modified", True, None)
    missing, _ = fetch(str(tmp_path / "nope.xml"))
    assert missing.outcome == "failed"
    assert missing.error == f"FileNotFoundError: No such file or directory: {tmp_path / 'nope.xml'}"


# --- conditional GET --------------------------------------------------------

def test_conditional_get_sends_validators_and_a_304_has_no_body(httpserver):
    def feed(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(RSS, headers={"ETag": '"v1"', "Last-Modified": "Tue, 24 Nov 2026 10:00:00 GMT"},
                        content_type="application/rss+xml")
    httpserver.expect_request("/rss").respond_with_handler(feed)
    first, state = fetch(httpserver.url_for("/rss"))
    assert (state.etag, state.last_modified) == ('"v1"', "Tue, 24 Nov 2026 10:00:00 GMT")
    second, state2 = fetch(httpserver.url_for("/rss"), state)
    sent = httpserver.log[1][0].headers
    assert (sent["If-None-Match"], sent["If-Modified-Since"]) == ('"v1"', "Tue, 24 Nov 2026 10:00:00 GMT")
    assert (second.outcome, second.status, second.not_modified, second.body) == ("not_modified", 304, True, None)
    assert state2.etag == '"v1"'


# --- redirects --------------------------------------------------------------

def redirect(server, path, to, status):
    server.expect_request(path).respond_with_response(
        Response(status=status, headers={"Location": to}))


def test_a_permanent_redirect_chain_moves_the_feed(httpserver):
    redirect(httpserver, "/old", "/middle", 301)
    redirect(httpserver, "/middle", httpserver.url_for("/feed"), 308)
    httpserver.expect_request("/feed").respond_with_data(RSS)
    result, state = fetch(httpserver.url_for("/old"))
    assert result.outcome == "fetched" and result.moved_permanently
    assert result.effective_url == state.effective_url == httpserver.url_for("/feed")
    fetch(httpserver.url_for("/old"), state)  # next run goes straight to the new place
    assert paths(httpserver) == ["/old", "/middle", "/feed", "/feed"]


def test_a_temporary_redirect_does_not_move_the_feed(httpserver):
    redirect(httpserver, "/old", "/moved", 301)
    redirect(httpserver, "/moved", "/feed", 302)
    httpserver.expect_request("/feed").respond_with_data(RSS)
    result, state = fetch(httpserver.url_for("/old"))
    assert result.body == RSS and not result.moved_permanently and state.effective_url is None


def test_redirect_loops_and_long_chains_fail(httpserver):
    redirect(httpserver, "/a", "/b", 302)
    redirect(httpserver, "/b", "/a", 302)
    for hop in range(8):
        redirect(httpserver, f"/hop{hop}", f"/hop{hop + 1}", 302)
    loop, _ = fetch(httpserver.url_for("/a"))
    a, b = httpserver.url_for("/a"), httpserver.url_for("/b")
    assert loop.outcome == "failed"
    assert loop.error == f"redirect loop: {a} -> {b} -> {a}"
    chain, _ = fetch(httpserver.url_for("/hop0"))
    assert chain.outcome == "failed"
    assert chain.error == "more than 5 redirects"


def test_redirects_from_a_public_host_to_internal_addresses_are_refused():
    """127.0.0.2 plays a public host (AddressPolicy.extra_public); it tries to
    send the fetcher to loopback, to a cloud metadata address and to a file."""
    public = FetchConfig(**{**QUICK.__dict__, "policy": AddressPolicy(extra_public=("127.0.0.2/32",))})
    with HTTPServer(host="127.0.0.2") as outside, HTTPServer(host="127.0.0.1") as inside:
        inside.expect_request("/admin").respond_with_data("secret")
        redirect(outside, "/to-loopback", inside.url_for("/admin"), 302)
        redirect(outside, "/to-metadata", "http://169.254.169.254/latest/meta-data/", 301)
        redirect(outside, "/to-file", "file:///etc/passwd", 302)
        for path, refused in (("/to-loopback", "127.0.0.1"), ("/to-metadata", "169.254.169.254"),
                              ("/to-file", "file")):
            result, _ = fetch(outside.url_for(path), config=public)
            assert result.outcome == "failed" and "refused" in result.error and refused in result.error
        assert inside.log == []  # never reached
        # A feed the operator lists on an internal host may redirect internally.
        redirect(inside, "/internal", "/feed", 302)
        inside.expect_request("/feed").respond_with_data(RSS)
        ok, _ = fetch(inside.url_for("/internal"), config=public)
        assert ok.body == RSS


def test_only_web_schemes_are_fetched():
    result, state = fetch("ftp://example.org/feed.xml")
    assert result.outcome == "failed"
    assert result.error == "unsupported URL scheme 'ftp'"
    assert state.consecutive_failures == 1 and state.last_error == result.error


@pytest.mark.parametrize("location, is_file", [
    ("/srv/feeds/a.xml", True), ("feeds/a.xml", True), ("file:///srv/a.xml", True),
    ("C:\\feeds\\a.xml", True), ("https://example.org/rss", False), ("ftp://example.org/a", False),
])
def test_is_file_answers_with_a_boolean(location, is_file):
    from transforms.fetch.fetch import _is_file
    assert _is_file(location) is is_file


# --- throttling, failures, backoff and dead feeds ----------------------------

def test_a_short_retry_after_is_waited_out(httpserver):
    calls = []

    def busy_once(_request):
        calls.append(time.monotonic())
        if len(calls) == 1:
            return Response("slow down", status=429, headers={"Retry-After": "1"})
        return Response(RSS)
    httpserver.expect_request("/rss").respond_with_handler(busy_once)
    result, state = fetch(httpserver.url_for("/rss"))
    assert result.body == RSS and len(calls) == 2 and calls[1] - calls[0] >= 0.95
    assert state.consecutive_failures == 0


def test_a_long_retry_after_makes_the_feed_wait_that_long(httpserver):
    httpserver.expect_request("/rss").respond_with_data(
        "maintenance", status=503, headers={"Retry-After": "7200"})
    result, state = fetch(httpserver.url_for("/rss"))
    assert (result.outcome, result.status) == ("failed", 503) and "retry after 7200" in result.error
    assert state.next_fetch_after >= NOW + timedelta(seconds=7200)
    later, same = fetch(httpserver.url_for("/rss"), state, now=NOW + timedelta(hours=1))
    assert later.outcome == "backoff" and later.error.startswith("skipped: backing off until")
    assert same == state and len(httpserver.log) == 1  # no request while backing off


def test_failures_back_off_exponentially_with_deterministic_jitter(httpserver):
    httpserver.expect_request("/rss").respond_with_data("oops", status=500)
    state, waits, now = None, [], NOW
    for _ in range(4):
        result, state = fetch(httpserver.url_for("/rss"), state, now=now)
        assert result.error == "HTTP 500 INTERNAL SERVER ERROR"
        waits.append((state.next_fetch_after - now).total_seconds())
        now = state.next_fetch_after
    assert state.consecutive_failures == 4
    backoff = Backoff()
    for failures, wait in enumerate(waits, start=1):
        nominal = backoff.base_s * 2 ** (failures - 1)
        assert nominal * 0.75 <= wait <= nominal * 1.25
    assert waits == [backoff.delay(httpserver.url_for("/rss"), n).total_seconds() for n in range(1, 5)]
    httpserver.clear()
    httpserver.expect_request("/rss").respond_with_data(RSS)
    ok, recovered = fetch(httpserver.url_for("/rss"), state, now=now)
    assert ok.body == RSS and recovered.consecutive_failures == 0 and recovered.next_fetch_after is None


def test_410_gone_marks_the_feed_dead(httpserver):
    httpserver.expect_request("/rss").respond_with_data("gone", status=410)
    result, state = fetch(httpserver.url_for("/rss"))
    assert (result.outcome, result.status) == ("failed", 410)
    assert result.error == "HTTP 410 Gone: the feed was removed"
    assert state.dead
    again, _ = fetch(httpserver.url_for("/rss"), state, now=NOW + timedelta(days=30))
    assert again.outcome == "dead"
    assert again.error == "skipped: gone (HTTP 410); remove it from the feed list"
    assert len(httpserver.log) == 1


# --- limits -----------------------------------------------------------------

def test_body_over_the_cap_is_refused_while_streaming(httpserver):
    sent = [0]

    def endless(_request):
        def chunks():
            for _ in range(10_000):
                sent[0] += 1
                yield b"x" * 65536
        return Response(chunks(), content_type="application/xml")
    httpserver.expect_request("/big").respond_with_handler(endless)
    result, _ = fetch(httpserver.url_for("/big"))
    assert result.outcome == "failed"
    assert result.error == "body larger than 1000000 bytes"
    # Counted, not timed, so a slow machine cannot fail it: of the 640 MB on
    # offer the server got no further than the cap plus what socket buffers
    # hold (a few MB) before the fetcher hung up.
    assert sent[0] < 1000


def test_a_gzip_bomb_hits_the_cap_on_its_decompressed_size(httpserver):
    bomb = gzip.compress(b"<rss>" + b" " * 50_000_000 + b"</rss>")
    assert len(bomb) < 100_000
    httpserver.expect_request("/bomb").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip"}, content_type="application/xml")
    result, _ = fetch(httpserver.url_for("/bomb"))
    assert result.error == "body larger than 1000000 bytes"


def test_gzip_bodies_are_decompressed(httpserver):
    httpserver.expect_request("/gz").respond_with_data(
        gzip.compress(RSS), headers={"Content-Encoding": "gzip"}, content_type="application/xml")
    result, _ = fetch(httpserver.url_for("/gz"))
    assert result.body == RSS


def stalling_server(first_part: bytes, stall_s: float, drip: bool = False):
    server = HTTPServer(threaded=True)

    def handler(_request):
        def body():
            yield first_part
            for _ in range(50 if drip else 1):
                time.sleep(stall_s)
                yield b" "
        return Response(body(), content_type="application/xml")
    server.expect_request("/stall").respond_with_handler(handler)
    return server


def test_a_server_that_stalls_mid_body_times_out():
    with stalling_server(RSS[:500], stall_s=QUICK.read_timeout_s + 1) as server:
        result, state = fetch(server.url_for("/stall"))
    assert result.outcome == "failed"
    assert "Read timed out" in result.error, result.error
    assert state.consecutive_failures == 1


def test_a_closed_port_is_said_in_the_systems_words_not_urllib3s_reprs():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result, state = fetch(f"http://127.0.0.1:{port}/closed.rss")
    # Was: ConnectionError: _CheckedHTTPPool(host='127.0.0.1', port=...): Max
    # retries exceeded with url: ... (Caused by NewConnectionError(...)), 280 chars.
    assert result.outcome == "failed" and result.error == "ConnectionError: Connection refused"
    assert state.last_error == result.error


def test_a_server_that_trickles_is_cut_off_by_the_total_budget():
    config = FetchConfig(**{**QUICK.__dict__, "budget_s": 1.5})
    with stalling_server(RSS[:500], stall_s=0.2, drip=True) as server:
        started = time.monotonic()
        result, _ = fetch(server.url_for("/stall"), config=config)
        elapsed = time.monotonic() - started
    assert result.outcome == "failed"
    assert result.error == "time budget of 2 s exhausted while reading the body"
    # The server takes 10 s to send it all; 6 s is still well short of that
    # and leaves a loaded machine 4.5 s past the budget to notice.
    assert elapsed < 6


# --- politeness and the composite --------------------------------------------

def test_host_gate_limits_requests_in_flight_and_spaces_them():
    gate, lock = HostGate(per_host=2, gap_s=0.2), threading.Lock()
    in_flight, peak, starts = [0], [0], []

    def request():
        with gate.request("example.org"):
            with lock:
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
                starts.append(time.monotonic())
            # Twice the gap: each request is still in flight when the next
            # one's turn comes, so the slot limit is what stops a third.
            time.sleep(0.4)
            with lock:
                in_flight[0] -= 1
    threads = [threading.Thread(target=request) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    assert peak[0] == 2
    # A start is read after its thread wakes, so it can be late by however
    # long a busy scheduler kept that thread waiting, never early: 50 ms of
    # slack for that. The exact spacing is checked on a fake clock below.
    assert all(b - a >= 0.15 for a, b in zip(starts, starts[1:])), starts


class FakeClock:
    """time.monotonic and time.sleep for one thread: sleeping moves the clock."""

    def __init__(self):
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_fetch_log_times_start_when_the_host_lets_the_request_go(httpserver):
    # Three feeds of one host, 1 s apart by politeness: each row's fetched_at
    # is when its request went (1 s apart) and duration_ms its own time, not
    # the wait behind the others (which made them 4, 1002 and 2000 ms).
    from concurrent.futures import ThreadPoolExecutor

    for name in ("a", "b", "c"):
        httpserver.expect_request(f"/{name}.rss").respond_with_data(
            RSS, content_type="application/rss+xml")
    config = dataclasses.replace(QUICK, host_gap_s=1.0)
    gate = HostGate(config.per_host, config.host_gap_s)
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(
            lambda name: fetch_feed(FeedSpec(httpserver.url_for(f"/{name}.rss"), name, "en"),
                                    None, "run", config, gate=gate,
                                    now=datetime.now(timezone.utc))[0],
            ("a", "b", "c")))
    assert all(r.outcome == "fetched" and r.duration_ms < 700 for r in results), \
        [r.duration_ms for r in results]
    starts = sorted(r.fetched_at for r in results)
    gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:])]
    assert all(0.8 < gap < 1.5 for gap in gaps), gaps


def test_host_gate_spaces_starts_to_one_host_and_holds_no_other_back(monkeypatch):
    import transforms.fetch.fetch as fetch_module
    clock = FakeClock()
    monkeypatch.setattr(fetch_module, "time", clock)
    gate, starts = HostGate(per_host=4, gap_s=0.1), []
    for host in ("a.org", "a.org", "b.org", "a.org", "b.org"):
        with gate.request(host):
            starts.append((host, clock.now))
    assert starts == [("a.org", 0.0), ("a.org", pytest.approx(0.1)), ("b.org", pytest.approx(0.1)),
                      ("a.org", pytest.approx(0.2)), ("b.org", pytest.approx(0.2))]


def test_fetch_composite_is_polite_per_host_and_concurrent_across_hosts(beam_pipeline):
    # One shard: all four hosts reach the same worker's thread pool, so
    # whether they are fetched side by side is the fetcher's doing, not a
    # matter of how the runner schedules shards.
    config = FetchConfig(**{**QUICK.__dict__, "per_host": 2, "host_gap_s": 0.05, "shards": 1})
    hosts = [f"127.0.0.{i}" for i in (1, 2, 3, 4)]
    servers = [HTTPServer(host=host, threaded=True) for host in hosts]
    lock, active, peak, spans = threading.Lock(), {}, {}, {}
    hosts_at_once = [0]

    def slow(request):
        host = request.host.split(":")[0]
        with lock:
            active[host] = active.get(host, 0) + 1
            peak[host] = max(peak.get(host, 0), active[host])
            hosts_at_once[0] = max(hosts_at_once[0], sum(1 for n in active.values() if n))
        started = time.monotonic()
        time.sleep(0.3)
        with lock:
            active[host] -= 1
            spans.setdefault(host, []).append((started, time.monotonic()))
        return Response(RSS)
    try:
        for server in servers:
            server.start()
            server.expect_request("/feed").respond_with_handler(slow)
        specs = [FeedSpec(s.url_for("/feed") + f"?n={n}", f"s{n}") for s in servers for n in range(4)]
        with beam_pipeline as p:
            results, states, dead = p | beam.Create(specs) | FetchFeeds(
                "run", "2026-11-25", config, state_file=None, raw_root=None)
            assert_that(results | beam.Map(lambda r: (r.outcome, r.error)),
                        equal_to([("fetched", None)] * 16), label="results")
            assert_that(states | beam.Map(lambda s: s.url), equal_to([s.url for s in specs]),
                        label="states")
            assert_that(dead, equal_to([]), label="dead")
    finally:
        for server in servers:
            server.stop()
    assert sorted(peak) == hosts and sum(map(len, spans.values())) == 16
    assert max(peak.values()) <= 2  # never more than 2 at once on one host
    # Side by side across hosts, counted on the servers rather than timed
    # around the pipeline (whose start-up a busy machine stretches by
    # seconds): all four hosts had a request in flight at one moment...
    assert hosts_at_once[0] == len(hosts)
    # ...and the servers were busy for far less than the hosts' busy
    # times added up, as they would be one host after another. Both sides
    # are measured here, so a slow machine stretches them alike.
    busy = {h: max(end for _, end in s) - min(start for start, _ in s) for h, s in spans.items()}
    overall = (max(end for s in spans.values() for _, end in s)
               - min(start for s in spans.values() for start, _ in s))
    assert overall < 0.5 * sum(busy.values()), (overall, busy)


def test_failed_feeds_are_logged_dead_lettered_and_remembered(httpserver, beam_pipeline, tmp_path):
    httpserver.expect_request("/ok").respond_with_data(RSS)
    httpserver.expect_request("/broken").respond_with_data("oops", status=500)
    specs = [FeedSpec(httpserver.url_for("/ok"), "ok"), FeedSpec(httpserver.url_for("/broken"), "broken")]
    with beam_pipeline as p:
        results, states, dead = p | beam.Create(specs) | FetchFeeds(
            "run", "2026-11-25", QUICK, state_file=None, raw_root=str(tmp_path / "raw"))
        assert_that(results | beam.Map(lambda r: (r.source, r.status, r.error, r.raw_path is not None)),
                    equal_to([("ok", 200, None, True),
                              ("broken", 500, "HTTP 500 INTERNAL SERVER ERROR", False)]),
                    label="results")
        assert_that(dead | beam.Map(lambda d: (d.stage, d.error, d.message, d.ref)),
                    equal_to([("fetch", "FetchFailed", "HTTP 500 INTERNAL SERVER ERROR",
                               specs[1].url)]), label="dead")
        assert_that(states | beam.Map(lambda s: (s.url, s.consecutive_failures)),
                    equal_to([(specs[0].url, 0), (specs[1].url, 1)]), label="states")
    assert len(list((tmp_path / "raw").rglob("*.feed.gz"))) == 1


def test_feed_state_round_trips_and_unknown_fields_are_ignored(tmp_path):
    from transforms.fetch.feed_state import read_states, write_states
    path = str(tmp_path / "_state" / "feeds.json")
    assert read_states(path) == []
    state = FeedState(url="https://x.org/rss", key="k1", etag='"a"', last_success=NOW, consecutive_failures=2,
                      next_fetch_after=NOW + timedelta(hours=1))
    write_states(path, [state], "run1")
    assert read_states(path) == [state]
    assert not list((tmp_path / "_state").glob("*.tmp"))
    assert FeedState.from_json({**state.to_json(), "added_later": 1}) == state


@pytest.mark.parametrize("value, seconds", [("120", 120.0), ("Wed, 25 Nov 2026 12:10:00 GMT", 600.0),
                                            ("soon", None), (None, None)])
def test_retry_after_in_seconds_or_as_a_date(value, seconds):
    from transforms.fetch.fetch import _retry_after
    assert _retry_after(value, NOW) == seconds


def test_one_line_is_the_first_or_the_last_line_cut_to_a_limit():
    from transforms.fetch.messages import one_line
    err = RuntimeError("\n  first line\nmiddle\nlast line  \n")
    assert one_line(err) == "first line"
    assert one_line(err, last=True) == "last line"
    assert one_line(ValueError("x" * 400), limit=300) == "x" * 300
    assert one_line(ValueError()) == ""
