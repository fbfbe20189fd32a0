"""Soak: 100 consecutive scheduled runs into one DIR against local feed
servers whose feeds gain, change and drop items, with servers and feeds
failing at random (seeded). At the end every item ever served is in stories
exactly once, fetch_log explains every failure, every run's counts
reconcile, `_state/` stays bounded, and no file handle, thread or temporary
file is left behind.

What this measures, honestly: the runs go through wirestream's own entry
point for one run (`parse_run_args` + `holding_lease` + `pipeline.run.run`,
what `wirestream run` does after parsing argv) in this process, on the
FnApiRunner in memory, so 100 runs fit in CI and a leak in this process is
visible; it does not cover process start-up. The clock is simulated: run k
starts at T0 + k hours (the fetcher's `now_utc` and the run's `started_at`),
so backoff, Retry-After and dedup-index retention play out as over four days
of hourly runs rather than the few minutes the test takes.
"""

from __future__ import annotations

import hashlib
import os
import random
import resource
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from pipeline.config import parse_run_args
from pipeline.leasing import holding_lease
from pipeline.run import run
from tests.helpers import assert_conserved, table
from transforms.fetch import fetch as fetch_module

pytestmark = pytest.mark.slow

RUNS = int(os.environ.get("WIRESTREAM_SOAK_RUNS", "100"))
SEED = int(os.environ.get("WIRESTREAM_SOAK_SEED", "15"))
T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
STEP = timedelta(hours=1)
RETENTION_DAYS = 0.5
FEEDS_PER_SERVER = 3
WORDS = ("minister council harbour storm vote budget court strike rail energy village "
         "market river school hospital bridge police drought festival museum").split()


@dataclass
class Item:
    guid: str
    link: str
    title: str
    body: str
    published: datetime


@dataclass
class Feed:
    path: str
    items: list[Item] = field(default_factory=list)
    added: int = 0


class World:
    """The feeds' contents over time and how each server behaves in each run,
    all drawn from one seeded generator; records what was actually served."""

    def __init__(self, seed: int):
        self.rnd = random.Random(seed)
        self.run = -1
        self.modes: dict[str, str] = {}        # feed path -> this run's behaviour
        self.served: dict[str, str] = {}       # link -> guid of every item sent in a 200
        self.requests: list[tuple[int, str, str]] = []  # (run, path, mode)
        self.lock = threading.Lock()

    def sentence(self) -> str:
        return " ".join(self.rnd.choice(WORDS) for _ in range(12)).capitalize() + "."

    def advance(self, run: int, clock: datetime, servers: list[list[Feed]]) -> None:
        self.run, self.modes = run, {}
        for feeds in servers:
            server_down = self.rnd.random() < 0.08
            for feed in feeds:
                if self.rnd.random() < 0.6 or not feed.items:
                    for _ in range(self.rnd.choice((1, 1, 2))):
                        feed.added += 1
                        n = feed.added
                        feed.items.append(Item(
                            guid=f"{feed.path}-{n}", link=f"https://soak.example{feed.path}/{n}",
                            title=f"{feed.path} story {n}: " + self.sentence(),
                            body=" ".join(self.sentence() for _ in range(3)), published=clock))
                if self.rnd.random() < 0.15:  # an update: same guid, new text
                    item = self.rnd.choice(feed.items)
                    item.title += " (updated)"
                    item.body += " " + self.sentence()
                if len(feed.items) > 4 and self.rnd.random() < 0.4:
                    feed.items.pop(0)
                self.modes[feed.path] = "500" if server_down else self.rnd.choices(
                    ["ok", "500", "503", "drop", "html"], [80, 5, 5, 5, 5])[0]

    def note(self, path: str, mode: str, items: list[Item]) -> None:
        with self.lock:
            self.requests.append((self.run, path, mode))
            for item in items:
                self.served[item.link] = item.guid


def rss(feed: Feed) -> bytes:
    items = "".join(
        f"<item><title>{escape(i.title)}</title><link>{i.link}</link>"
        f"<guid isPermaLink='false'>{i.guid}</guid><description>{escape(i.body)}</description>"
        f"<pubDate>{format_datetime(i.published)}</pubDate></item>" for i in feed.items)
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>{feed.path}</title>{items}</channel></rss>").encode("utf-8")


def serve(world: World, feeds: list[Feed]) -> ThreadingHTTPServer:
    by_path = {f.path: f for f in feeds}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            feed = by_path.get(self.path)
            mode = world.modes.get(self.path, "404") if feed else "404"
            body = rss(feed) if feed else b""
            etag = '"%s"' % hashlib.sha1(body).hexdigest()[:16]
            if mode == "ok" and self.headers.get("If-None-Match") == etag:
                world.note(self.path, "304", [])
                self.send_response(304)
                self.end_headers()
                return
            world.note(self.path, mode, feed.items if mode == "ok" else [])
            if mode == "drop":  # the connection closes with no response at all
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if mode == "ok":
                self._send(200, body, "application/rss+xml", ETag=etag)
            elif mode == "html":
                self._send(200, b"<html><body>Maintenance</body></html>", "text/html")
            elif mode == "503":
                self._send(503, b"busy", "text/plain", **{"Retry-After": "3600"})
            else:
                self._send(int(mode), b"error", "text/plain")

        def _send(self, status, body, content_type, **headers):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def state_sizes(out: Path) -> dict[str, int]:
    state = out / "_state"
    index = [p for p in (state / "dedup_index").rglob("*.parquet")]
    lease = [p for p in (state / "lease").rglob("*") if p.is_file()]
    return {"feeds_json_bytes": (state / "feeds.json").stat().st_size,
            "dedup_index_files": len(index),
            "dedup_index_partitions": len({p.parent for p in index}),
            "lease_files": len(lease),
            "lease_bytes": sum(p.stat().st_size for p in lease),
            "all_bytes": sum(p.stat().st_size for p in state.rglob("*") if p.is_file())}


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts handles in /proc")
def test_a_hundred_scheduled_runs_store_every_item_once_and_leak_nothing(tmp_path, monkeypatch):
    import time

    world = World(SEED)
    servers_feeds = [[Feed(f"/s{s}/f{f}.rss") for f in range(FEEDS_PER_SERVER)]
                     for s in range(2)]
    servers = [serve(world, feeds) for feeds in servers_feeds]
    listing = tmp_path / "feeds.yaml"
    listing.write_text("feeds:\n" + "".join(
        f"  - url: http://127.0.0.1:{server.server_address[1]}{feed.path}\n"
        f"    source: soak{s}\n"
        for s, (server, feeds) in enumerate(zip(servers, servers_feeds)) for feed in feeds))
    out = tmp_path / "out"
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    clock = {"now": T0}
    monkeypatch.setattr(fetch_module, "now_utc", lambda: clock["now"])

    run_ids, seen, began = [], {}, time.monotonic()
    try:
        for k in range(RUNS):
            clock["now"] = T0 + k * STEP
            world.advance(k, clock["now"], servers_feeds)
            config = parse_run_args(["--feeds", str(listing), "--output", str(out),
                                     "--dedup_retention_days", str(RETENTION_DAYS),
                                     "--fetch_host_gap", "0"], now=clock["now"])
            with holding_lease(config.output, config.run_id, "pipeline failed"):
                manifest = run(config)
            assert_conserved(manifest)
            run_ids.append(config.run_id)
            if k == 4:  # caches, pools and the model are warm by now
                seen["fds"], seen["threads"] = open_fds(), threading.active_count()
            if k == RUNS // 2 - 1:
                seen["state_half"] = state_sizes(out)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    seconds = time.monotonic() - began

    # Every item ever served is a story, exactly once.
    stories = table(out, "stories").to_pylist()
    links = [s["url"] for s in stories]
    assert len(links) == len(set(links)), "a story stored twice"
    assert set(links) == set(world.served), (
        f"missing {sorted(set(world.served) - set(links))[:5]}, "
        f"unexpected {sorted(set(links) - set(world.served))[:5]}")
    assert len({s["story_id"] for s in stories}) == len(stories)

    # fetch_log: one row per feed per run, and a reason for every failure.
    log = table(out, "fetch_log").to_pylist()
    by_run = {}
    for row in log:
        by_run.setdefault(row["run_id"], {})[row["feed_url"].rsplit(":", 1)[1].split("/", 1)[1]] = row
    assert sorted(by_run) == sorted(run_ids)
    assert all(len(rows) == 2 * FEEDS_PER_SERVER for rows in by_run.values())
    requested = {(k, path): mode for k, path, mode in world.requests}
    failures = 0
    for k, run_id in enumerate(run_ids):
        for key, row in by_run[run_id].items():
            mode = requested.get((k, "/" + key))
            if mode is None:  # not asked for: the row must say why
                assert row["outcome"] in ("backoff", "dead") and row["error"], row
            elif mode in ("500", "503", "drop", "html"):
                failures += 1
                assert row["error"], (mode, row)
                assert row["outcome"] == ("fetched" if mode == "html" else "failed"), (mode, row)
            else:
                assert row["error"] is None and row["outcome"] in ("fetched", "not_modified"), row
    assert failures >= RUNS // 10, "the soak needs failures to explain"

    # No leaks: handles, threads, temporary files, staging.
    assert open_fds() <= seen["fds"] + 3, (seen["fds"], open_fds())
    assert threading.active_count() <= seen["threads"] + 2, (seen["threads"],
                                                             threading.active_count())
    assert not list(temp.rglob("*")), sorted(temp.rglob("*"))[:5]
    assert not [p for p in (out / "_staging").rglob("*") if p.is_file()]
    assert not list(out.rglob("*.tmp"))

    # _state stays bounded: feed state by the feed list, the dedup index by
    # its retention (old days pruned), whatever the number of runs.
    end = state_sizes(out)
    half = seen["state_half"]
    assert end["feeds_json_bytes"] <= half["feeds_json_bytes"] * 1.2, (half, end)
    oldest_kept = (clock["now"] - timedelta(days=RETENTION_DAYS + 1)).strftime("%Y-%m-%d")
    days = {p.parent.name.split("=")[1][:10] for p in (out / "_state" / "dedup_index")
            .rglob("*.parquet")}
    assert days and min(days) >= oldest_kept, days
    # At most two lease commits a run (take, release): its log grows with the
    # runs of the last two days (wall clock, so all of these), no faster.
    assert end["lease_files"] - half["lease_files"] <= 2 * (RUNS - RUNS // 2) + 2, (half, end)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"\nsoak: {RUNS} runs in {seconds:.0f} s wall ({seconds / RUNS:.1f} s a run), "
          f"process CPU {usage.ru_utime + usage.ru_stime:.0f} s; "
          f"{len(world.served)} items served, {failures} failures served; "
          f"fds {seen['fds']} -> {open_fds()}; state at run {RUNS // 2}: {half}; "
          f"at run {RUNS}: {end}")
