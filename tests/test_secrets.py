"""Credentials in feed URLs reach the feed server and nothing else: every
byte a run writes under DIR (decompressed), what it prints and what it logs
holds the redacted URL only."""

from __future__ import annotations

import base64
import gzip
import io
import json

import pyarrow.parquet as pq
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from pipeline.cli import main
from tests.conftest import SAMPLE
from tests.helpers import assert_all_conserved, table
from transforms.fetch.feed_state import FeedState
from transforms.fetch.redaction import redact_url, restore_secrets, scrub, url_key

PASSWORD = "hunter2-Pa55"
TOKEN = "tok-9f8e7d6c5b4a"
SIGNATURE = "sig-0a1b2c3d4e"


@pytest.mark.parametrize("url, redacted", [
    ("https://alice:s3cret@x.org/rss", "https://alice:***@x.org/rss"),
    ("https://apikeyonly@x.org/rss", "https://***@x.org/rss"),
    ("https://x.org/rss?token=abc123&page=2", "https://x.org/rss?token=***&page=2"),
    ("https://x.org/rss?api_key=abc123&X-Amz-Signature=def456&key=k1",
     "https://x.org/rss?api_key=***&X-Amz-Signature=***&key=***"),
    ("https://x.org/rss?page=2&section=world", "https://x.org/rss?page=2&section=world"),
    ("/local/feeds/world.rss", "/local/feeds/world.rss"),
])
def test_credentials_in_urls_are_masked(url, redacted):
    assert redact_url(url) == redacted
    assert redact_url(redacted) == redacted


def test_error_texts_are_scrubbed_and_stored_urls_get_their_credentials_back():
    listed = f"https://bob:{PASSWORD}@x.org/a/rss?token={TOKEN}"
    assert scrub(f"HTTPSConnectionPool: /a/rss?token={TOKEN} (user bob:{PASSWORD})",
                 listed) == "HTTPSConnectionPool: /a/rss?token=*** (user bob:***)"
    moved = redact_url(f"https://bob:{PASSWORD}@x.org/b/rss?token={TOKEN}")
    assert restore_secrets(moved, listed) == f"https://bob:{PASSWORD}@x.org/b/rss?token={TOKEN}"
    assert url_key(listed) != url_key(redact_url(listed))


def test_state_written_before_hashed_keys_is_read_redacted():
    listed = f"https://x.org/rss?token={TOKEN}"
    old = FeedState.from_json({"url": listed, "effective_url": listed, "etag": '"e"'})
    assert (old.url, old.key, old.etag) == (redact_url(listed), url_key(listed), '"e"')
    assert TOKEN not in json.dumps(old.to_json())


@pytest.fixture
def private_feed():
    """A feed that answers only with the right password and token."""
    server = HTTPServer(threaded=True)
    server.start()
    body = (SAMPLE / "wikinews-world.rss").read_bytes()
    auth = "Basic " + base64.b64encode(f"reader:{PASSWORD}".encode()).decode()

    def handler(request):
        if request.headers.get("Authorization") != auth or request.args.get("token") != TOKEN:
            return Response("no", status=401)
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(body, headers={"ETag": '"v1"'}, content_type="application/rss+xml")

    server.expect_request("/private.rss").respond_with_handler(handler)
    # A feed that fails, so the secret would reach error texts and dead letters.
    server.expect_request("/broken.rss").respond_with_response(Response("down", status=500))
    yield server
    server.stop()


def everything_written(out) -> str:
    """Every file under OUTPUT as text: Parquet read back row by row, gzip
    (raw responses) decompressed, the rest as bytes."""
    parts = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        parts.append(str(path))
        if path.suffix == ".parquet":
            parts.append(json.dumps(pq.read_table(io.BytesIO(data)).to_pylist(), default=str))
        elif path.name.endswith(".gz"):
            parts.append(gzip.decompress(data).decode("utf-8", "replace"))
        else:
            parts.append(data.decode("utf-8", "replace"))
    return "\n".join(parts)


def test_no_secret_reaches_tables_state_raw_files_manifest_or_output(
        tmp_path, private_feed, capsys, caplog):
    host = private_feed.url_for("/").rstrip("/").replace("http://", "")
    private = f"http://reader:{PASSWORD}@{host}/private.rss?token={TOKEN}"
    broken = f"http://reader:{PASSWORD}@{host}/broken.rss?signature={SIGNATURE}"
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - url: '{private}'\n    source: private\n"
                     f"  - url: '{broken}'\n    source: broken\n")
    out = tmp_path / "out"

    assert main(["run", "--feeds", str(feeds), "--output", str(out)]) == 0
    first = capsys.readouterr()
    # The credentials came from the feed list on the second run too: 304.
    assert main(["run", "--feeds", str(feeds), "--output", str(out)]) == 0
    second = capsys.readouterr()
    assert main(["report", "--output", str(out), "--html", str(out / "report.html")]) == 0
    assert main(["query", "--output", str(out), "select * from fetch_log"]) == 0
    printed = first.out + first.err + second.out + second.err + capsys.readouterr().out

    assert len(assert_all_conserved(out)) == 2
    log = table(out, "fetch_log").to_pylist()
    assert sorted((r["source"], r["outcome"]) for r in log) == [
        ("broken", "backoff"), ("broken", "failed"), ("private", "fetched"),
        ("private", "not_modified")]
    assert {r["feed_url"] for r in log} == {redact_url(private), redact_url(broken)}
    assert {r["feed_url"] for r in table(out, "stories").to_pylist()} == {redact_url(private)}

    # Our logs; the test server's own request log is the server's business.
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "werkzeug")
    written = everything_written(out) + printed + logged
    for secret in (PASSWORD, TOKEN, SIGNATURE):
        assert secret not in written, secret
    assert "reader:***@" in written and "token=***" in written
