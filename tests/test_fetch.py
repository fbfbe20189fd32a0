"""Fetching against a real HTTP server on 127.0.0.1 (pytest-httpserver)."""

import gzip
import time

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to
from pytest_httpserver import HTTPServer
from werkzeug import Response

from schemas.records import FeedSpec
from tests.conftest import SAMPLE
from transforms.fetch import FetchConfig, FetchFeeds, fetch_feed

RSS = (SAMPLE / "wikinews-world.rss").read_bytes()
QUICK = FetchConfig(connect_timeout_s=2, read_timeout_s=1, max_bytes=1_000_000)


def test_fetches_a_feed_with_status_bytes_and_user_agent(httpserver):
    httpserver.expect_request("/rss", headers={"User-Agent": QUICK.user_agent}).respond_with_data(
        RSS, content_type="application/rss+xml")
    result = fetch_feed(FeedSpec(httpserver.url_for("/rss"), "s", "en"), "run", QUICK)
    assert (result.status, result.error, result.body) == (200, None, RSS)
    assert result.bytes == len(RSS) and result.content_type == "application/rss+xml"
    assert result.language == "en" and result.duration_ms >= 0


def test_http_errors_are_results_not_exceptions(httpserver):
    httpserver.expect_request("/gone").respond_with_data("no", status=404)
    result = fetch_feed(FeedSpec(httpserver.url_for("/gone"), "s"), "run", QUICK)
    assert result.error == "HTTP 404 NOT FOUND" and result.body is None


def test_body_over_the_cap_is_refused_while_streaming(httpserver):
    def endless(_request):
        def chunks():
            for _ in range(10_000):  # 640 MB if nobody stops reading
                yield b"x" * 65536
        return Response(chunks(), content_type="application/xml")
    httpserver.expect_request("/big").respond_with_handler(endless)
    started = time.monotonic()
    result = fetch_feed(FeedSpec(httpserver.url_for("/big"), "s"), "run", QUICK)
    assert result.error == "body larger than 1000000 bytes"
    assert time.monotonic() - started < 5


def test_the_cap_applies_to_the_decompressed_size(httpserver):
    bomb = gzip.compress(b"<rss>" + b" " * 5_000_000 + b"</rss>")
    assert len(bomb) < QUICK.max_bytes
    httpserver.expect_request("/bomb").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip"}, content_type="application/xml")
    result = fetch_feed(FeedSpec(httpserver.url_for("/bomb"), "s"), "run", QUICK)
    assert result.error == "body larger than 1000000 bytes"


def test_a_stalled_server_times_out():
    # A server of its own: the shared one would be busy stalling for the next test.
    with HTTPServer() as server:
        def stall(_request):
            time.sleep(QUICK.read_timeout_s + 0.5)
            return Response(RSS)
        server.expect_request("/slow").respond_with_handler(stall)
        result = fetch_feed(FeedSpec(server.url_for("/slow"), "s"), "run", QUICK)
    assert result.error.startswith("ReadTimeout")


def test_files_by_path_and_file_url(tmp_path):
    by_path = fetch_feed(FeedSpec(str(SAMPLE / "wikinews-world.rss"), "s"), "run", QUICK)
    by_url = fetch_feed(FeedSpec((SAMPLE / "wikinews-world.rss").as_uri(), "s"), "run", QUICK)
    assert by_path.body == by_url.body == RSS and by_path.status is None
    missing = fetch_feed(FeedSpec(str(tmp_path / "nope.xml"), "s"), "run", QUICK)
    assert missing.error.startswith("FileNotFoundError") and missing.body is None


def test_fetch_composite_logs_every_feed_and_dead_letters_failures(httpserver, beam_pipeline):
    httpserver.expect_request("/ok").respond_with_data(RSS)
    httpserver.expect_request("/broken").respond_with_data("oops", status=500)
    specs = [FeedSpec(httpserver.url_for("/ok"), "ok"), FeedSpec(httpserver.url_for("/broken"), "broken")]
    with beam_pipeline as p:
        results, dead = p | beam.Create(specs) | FetchFeeds("run", QUICK)
        assert_that(results | beam.Map(lambda r: (r.source, r.status, r.error)),
                    equal_to([("ok", 200, None), ("broken", None, "HTTP 500 INTERNAL SERVER ERROR")]),
                    label="results")
        assert_that(dead | beam.Map(lambda d: (d.stage, d.error, d.ref)),
                    equal_to([("fetch", "FetchFailed", specs[1].url)]), label="dead")
