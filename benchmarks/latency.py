"""Latency: from an item appearing on a feed to its row being readable in DIR.

    python -m benchmarks.latency [--feeds 50] [--interval 30] [--minutes 5] [--stream]

A local HTTP server (127.0.0.1) serves `--feeds` RSS feeds; every few
seconds a new item (a Reuters-21578 story) appears on one of them, at random
but seeded. A watcher reads the stories table's Delta snapshot every second
and notes when each item's row becomes readable.

(a) scheduled batch: `wirestream run` is started every `--interval` seconds,
    as cron or a systemd timer would (a run still going when the next is
    due makes that one exit 2 on the lease, as in production);
(b) `--stream`: one `wirestream stream --poll-interval INTERVAL` for the same
    time. On the local runner a stream polls in real time but commits when
    its last poll is done, so (b) here measures that, not what a streaming
    runner (Dataflow, Flink) does window by window.

Prints the median and p95 latency, in seconds and in poll intervals.
Target (issue 12): (a) median under 2 poll intervals at a 30 s interval with
50 feeds. Fetch politeness is per host and every feed here is on one host,
so the runs get --fetch_per_host and --fetch_host_gap for a fleet of hosts.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import tempfile
import threading
import time
from email.utils import formatdate
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from benchmarks.corpora import iter_reuters
from benchmarks.harness import REPO, run_script, wirestream_command

FLEET = ["--fetch_per_host", "64", "--fetch_host_gap", "0"]


class Feeds:
    """The feeds' items, growing while the benchmark runs."""

    def __init__(self, count: int):
        self.items: list[list[tuple[str, str, str, float]]] = [[] for _ in range(count)]
        self.lock = threading.Lock()

    def add(self, feed: int, story_id: str, title: str, body: str) -> float:
        appeared = time.time()
        with self.lock:
            self.items[feed].append((story_id, title, body, appeared))
        return appeared

    def rss(self, feed: int) -> bytes:
        with self.lock:
            items = list(self.items[feed])
        entries = "".join(
            f"<item><guid isPermaLink='false'>{sid}</guid><title>{escape(title)}</title>"
            f"<description>{escape(body)}</description>"
            f"<pubDate>{formatdate(appeared, usegmt=True)}</pubDate></item>"
            for sid, title, body, appeared in items)
        return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>feed {feed}"
                f"</title>{entries}</channel></rss>").encode("utf-8")


def serve(feeds: Feeds) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            body = feeds.rss(int(self.path.strip("/").split(".")[0]))
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def readable_ids(out: Path) -> set[str]:
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        table = DeltaTable(str(out / "stories")).to_pyarrow_table(columns=["story_id"])
    except TableNotFoundError:
        return set()
    return set(table.column(0).to_pylist())


def story_id_of(guid: str, feed_url: str) -> str:
    from transforms.text.stories import derive_story_id

    return derive_story_id(feed_url, guid, None, "", None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--interval", type=float, default=30.0)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--every", type=float, default=10.0,
                        help="seconds between two new items (default 10)")
    parser.add_argument("--stream", action="store_true", help="measure (b), the stream")
    args = parser.parse_args()

    rng = random.Random(12)
    stories = iter_reuters(int(args.minutes * 60 / args.every) + 5)
    feeds = Feeds(args.feeds)
    server = serve(feeds)
    port = server.server_address[1]
    with tempfile.TemporaryDirectory(prefix="wirestream-latency-") as tmp:
        listing = Path(tmp) / "feeds.yaml"
        listing.write_text("feeds:\n" + "".join(
            f"  - url: http://127.0.0.1:{port}/{n}.rss\n    source: feed{n}\n"
            for n in range(args.feeds)))
        out = Path(tmp) / "out"
        appeared: dict[str, float] = {}
        seen: dict[str, float] = {}
        deadline = time.time() + args.minutes * 60
        command = wirestream_command()
        processes = []
        if args.stream:
            processes.append(subprocess.Popen(
                command + ["stream", "--feeds", str(listing), "--output", str(out),
                           "--poll-interval", str(args.interval),
                           "--duration", str(args.minutes * 60), *FLEET],
                cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        next_run = time.time()
        next_item = time.time() + 1
        while time.time() < deadline or any(p.poll() is None for p in processes) \
                or (not args.stream and set(appeared) - set(seen)
                    and time.time() < deadline + 3 * args.interval):
            now = time.time()
            if not args.stream and now >= next_run and now < deadline + 2 * args.interval:
                processes.append(subprocess.Popen(
                    command + ["run", "--feeds", str(listing), "--output", str(out), *FLEET],
                    cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                next_run += args.interval
            # The stream's last poll is an interval before its end: an item
            # added after it could never be fetched.
            if now >= next_item and now < deadline - (args.interval if args.stream else 0):
                record = next(stories)
                feed = rng.randrange(args.feeds)
                guid = f"item-{len(appeared)}"
                appeared[story_id_of(guid, f"http://127.0.0.1:{port}/{feed}.rss")] = feeds.add(
                    feed, guid, record["title"] or "untitled", record["body"])
                next_item += args.every
            for story_id in readable_ids(out) & set(appeared) - set(seen):
                seen[story_id] = time.time()
            time.sleep(1.0)
        for process in processes:
            process.wait()
    server.shutdown()

    latencies = sorted(seen[s] - appeared[s] for s in seen)
    if not latencies:
        raise SystemExit("latency: no item became readable")
    median = statistics.median(latencies)
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    mode = "stream (local runner)" if args.stream else "scheduled batch runs"
    print(f"{mode}: {args.feeds} feeds, poll interval {args.interval:.0f} s, "
          f"{len(appeared)} items appeared, {len(seen)} readable")
    print(f"  median {median:6.1f} s = {median / args.interval:.2f} intervals")
    print(f"  p95    {p95:6.1f} s = {p95 / args.interval:.2f} intervals")
    if not args.stream:
        verdict = "met" if median < 2 * args.interval else "NOT met"
        print(f"  target: median under 2 intervals ({2 * args.interval:.0f} s): {verdict}")
    return 0 if len(seen) == len(appeared) else 1


if __name__ == "__main__":
    run_script(main)
