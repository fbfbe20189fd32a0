"""Whole runs against a real HTTP server: conditional GET across runs, moved
and failing feeds in the summary, and replay from the raw responses."""

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from pipeline.cli import main
from tests.conftest import SAMPLE
from tests.helpers import assert_all_conserved, sql, table


def rows(out, name):
    return table(out, name).num_rows


@pytest.fixture
def feed_server():
    server = HTTPServer(threaded=True)
    server.start()

    def serve(path, validator):
        body = (SAMPLE / path).read_bytes()

        def handler(request):
            if validator == "etag":
                if request.headers.get("If-None-Match") == '"sample-1"':
                    return Response(status=304)
                return Response(body, headers={"ETag": '"sample-1"'}, content_type="application/xml")
            stamp = "Mon, 23 Nov 2026 08:00:00 GMT"
            if request.headers.get("If-Modified-Since") == stamp:
                return Response(status=304)
            return Response(body, headers={"Last-Modified": stamp}, content_type="application/atom+xml")
        return handler

    server.expect_request("/world.rss").respond_with_handler(serve("wikinews-world.rss", "etag"))
    server.expect_request("/science.atom").respond_with_handler(serve("wikinews-science.atom", "date"))
    server.expect_request("/old/syndicator.rss").respond_with_response(
        Response(status=301, headers={"Location": "/syndicator.rss"}))
    server.expect_request("/syndicator.rss").respond_with_handler(serve("syndicator.rss", "etag"))
    yield server
    if server.is_running():
        server.stop()


def feed_list(tmp_path, server, extra=""):
    path = tmp_path / "feeds.yaml"
    path.write_text(f"""feeds:
  - url: {server.url_for('/world.rss')}
    source: wikinews-world
  - url: {server.url_for('/science.atom')}
    source: wikinews-science
  - url: {server.url_for('/old/syndicator.rss')}
    source: example-syndicator
{extra}""")
    return str(path)


def test_second_run_over_unchanged_feeds_fetches_with_validators_and_adds_nothing(
        tmp_path, feed_server, capsys):
    out = tmp_path / "out"
    feeds = feed_list(tmp_path, feed_server)
    assert main(["run", "--feeds", feeds, "--output", str(out)]) == 0
    first = capsys.readouterr().out
    assert "MOVED FEEDS (1)" in first and feed_server.url_for("/syndicator.rss") in first
    before = {t: rows(out, t) for t in ("stories", "entities", "relations", "quotes")}
    assert before["stories"] == 24
    raw_files = sorted((out / "raw").rglob("*.feed.gz"))
    assert len(raw_files) == 3

    feed_server.clear_log()
    assert main(["run", "--feeds", feeds, "--output", str(out)]) == 0
    second = capsys.readouterr().out
    assert "0 fetched, 3 not modified, 0 failed" in second
    assert "stories:      0 read" in second  # nothing was parsed
    assert {t: rows(out, t) for t in before} == before
    assert sorted((out / "raw").rglob("*.feed.gz")) == raw_files
    sent = {request.path: request.headers for request, _ in feed_server.log}
    # The moved feed is fetched at its new address, with its validator.
    assert set(sent) == {"/world.rss", "/science.atom", "/syndicator.rss"}
    assert sent["/world.rss"]["If-None-Match"] == '"sample-1"'
    assert sent["/syndicator.rss"]["If-None-Match"] == '"sample-1"'
    assert sent["/science.atom"]["If-Modified-Since"] == "Mon, 23 Nov 2026 08:00:00 GMT"
    log = sql(out, "select not_modified, status, items from {fetch_log} "
                   "where run_id = (select max(run_id) from {fetch_log})")
    assert sorted(log) == [(True, 304, 0)] * 3
    assert len(assert_all_conserved(out)) == 2


def test_failing_feeds_come_first_in_the_summary_and_the_run_goes_on(tmp_path, feed_server, capsys):
    feed_server.expect_request("/broken.rss").respond_with_data("oops", status=500)
    feeds = feed_list(tmp_path, feed_server, extra=f"""  - url: {feed_server.url_for('/broken.rss')}
    source: broken
""")
    out = tmp_path / "out"
    assert main(["run", "--feeds", feeds, "--output", str(out)]) == 0
    summary = capsys.readouterr().out.splitlines()
    assert summary[1] == "  FAILING FEEDS (1):"
    assert summary[2].endswith("/broken.rss: HTTP 500 INTERNAL SERVER ERROR")
    assert rows(out, "stories") == 24
    assert sql(out, "select stage, ref from {dead_letters}") == [
        ("fetch", feed_server.url_for("/broken.rss"))]
    assert_all_conserved(out)


def test_the_summary_adds_up_with_a_page_that_is_no_feed_and_a_feed_served_twice(
        tmp_path, feed_server, capsys):
    # An HTML page answers 200 (fetched, yet a failing feed), and a mirror
    # serves world.rss again under another name (its 11 stories share their
    # story_ids with the original's: one copy of each is kept).
    feed_server.expect_request("/page.html").respond_with_data(
        "<html><body>Not a feed</body></html>", content_type="text/html")
    feed_server.expect_request("/mirror.rss").respond_with_data(
        (SAMPLE / "wikinews-world.rss").read_bytes(), content_type="application/rss+xml")
    feeds = feed_list(tmp_path, feed_server, extra=f"""  - url: {feed_server.url_for('/page.html')}
    source: a-page
  - url: {feed_server.url_for('/mirror.rss')}
    source: mirror
""")
    out = tmp_path / "out"
    assert main(["run", "--feeds", feeds, "--output", str(out)]) == 0
    summary = capsys.readouterr().out.splitlines()
    assert summary[1] == "  FAILING FEEDS (1):"
    assert "  feeds:        5 listed, 5 fetched (1 of them no readable feed), " \
        "0 not modified, 0 failed, 0 skipped" in summary
    assert "  stories:      35 read, 24 new (21 canonical, 3 duplicates), 0 already stored, " \
        "11 same-id copies merged" in summary
    assert rows(out, "stories") == 24
    assert_all_conserved(out)


def test_replay_rebuilds_the_same_tables_without_the_network(tmp_path, feed_server):
    out, rebuilt = tmp_path / "out", tmp_path / "rebuilt"
    assert main(["run", "--feeds", feed_list(tmp_path, feed_server), "--output", str(out)]) == 0
    feed_server.stop()  # from here on, no network
    assert main(["run", "--replay", str(out / "raw"), "--output", str(rebuilt)]) == 0
    query = "select story_id, cluster_id, duplicate_of, title from {stories} order by story_id"
    assert sql(rebuilt, query) == sql(out, query)
    assert sql(rebuilt, "select count(*) from {entities}") == sql(out, "select count(*) from {entities}")
    assert sql(rebuilt, "select distinct outcome from {fetch_log}") == [("replayed",)]
    assert_all_conserved(out)
    assert_all_conserved(rebuilt)
