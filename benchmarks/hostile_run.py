"""One `wirestream run` over hostile feeds beside good ones: its peak memory
and what became of each feed.

    python -m benchmarks.hostile_run [--bomb-mb 256] [--entry-mb 3]

A local HTTP server on 127.0.0.1 serves, in one feed list:

- a gzip bomb: `--bomb-mb` MB of spaces, gzip-compressed (about 1/1000 of
  that on the wire), sent with `Content-Encoding: gzip`;
- a feed whose one entry is `--entry-mb` MB of real Reuters text (paragraphs
  of Reuters-21578 stories, evaluation-only data read in place), beyond
  spaCy's max_length;
- an XML entity bomb (nested entity declarations);
- a feed that trickles its body a byte a second, forever;
- two ordinary feeds of Reuters stories.

The run is a fresh subprocess (`--max_feed_bytes` raised to 8 MB so the big
entry is fetched at all; the default cap of 2 MB would refuse its feed, as
it refuses the bomb). Peak RSS is each process's VmHWM, polled over the
process tree (benchmarks/scale.py). Target (issue 15): under 2 GB with the
256 MB bomb and the 3 MB entry in the same run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import zlib
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from benchmarks.corpora import iter_reuters
from benchmarks.harness import read_table, run_script
from benchmarks.scale import run_measured

ENTITY_BOMB = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
               + b"".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode()
                          for i in range(8))
               + b']><rss version="2.0"><channel><title>bomb</title><item><title>laughs'
               b'</title><guid>bomb-1</guid><description>&i;</description></item>'
               b'</channel></rss>')


def gzip_bomb(megabytes: int) -> bytes:
    """`megabytes` MB of spaces as one gzip stream, built a MB at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b" " * (1 << 20)
    return b"".join(packer.compress(chunk) for _ in range(megabytes)) + packer.flush()


def rss(title: str, items: list[tuple[str, str, str]]) -> bytes:
    entries = "".join(
        f"<item><guid isPermaLink='false'>{guid}</guid><title>{escape(t)}</title>"
        f"<description>{escape(body)}</description>"
        f"<pubDate>{formatdate(time.time(), usegmt=True)}</pubDate></item>"
        for guid, t, body in items)
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>{escape(title)}"
            f"</title>{entries}</channel></rss>").encode("utf-8")


def feeds(bomb_mb: int, entry_mb: int) -> dict[str, tuple[bytes, dict]]:
    """path -> (body, extra headers)."""
    stories = list(iter_reuters(400))
    paragraphs, size = [], 0
    for story in stories:
        paragraphs.append(story["body"])
        size += len(story["body"]) + 2
        if size >= entry_mb << 20:
            break
    while size < entry_mb << 20:  # a short corpus: go round again
        paragraphs += paragraphs
        size *= 2
    huge = "\n\n".join(paragraphs)[:entry_mb << 20]
    ordinary = [(s["id"], s["title"], s["body"]) for s in stories[:60]]
    return {
        "/bomb.xml": (gzip_bomb(bomb_mb), {"Content-Encoding": "gzip"}),
        "/huge.xml": (rss("huge", [("huge-1", "A very long story", huge)]), {}),
        "/entities.xml": (ENTITY_BOMB, {}),
        "/trickle.xml": (b"", {"X-Trickle": "1"}),
        "/good-1.xml": (rss("good one", ordinary[:30]), {}),
        "/good-2.xml": (rss("good two", ordinary[30:]), {}),
    }


def serve(served: dict[str, tuple[bytes, dict]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            body, headers = served.get(self.path, (None, {}))
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            if "X-Trickle" in headers:
                self.end_headers()
                try:
                    for byte in b"<rss>" * 1000:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(1)
                except OSError:
                    return
                return
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bomb-mb", type=int, default=256)
    parser.add_argument("--entry-mb", type=int, default=3)
    args = parser.parse_args()

    served = feeds(args.bomb_mb, args.entry_mb)
    server = serve(served)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory(prefix="wirestream-hostile-") as tmp:
        listing = Path(tmp) / "feeds.yaml"
        listing.write_text("feeds:\n" + "".join(
            f"  - url: {base}{path}\n    source: {path.strip('/').split('.')[0]}\n"
            for path in served))
        out = Path(tmp) / "out"
        seconds, peak, processes = run_measured(
            listing, out, ["--max_feed_bytes", str(8 << 20)], option="--feeds")
        manifest = json.loads(next((out / "_manifests").glob("*.json")).read_text())
        log = sorted((r["source"], r["status"], r["items"], r["error"])
                     for r in read_table(out, "fetch_log"))
        dead = sorted((r["stage"], r["error"], r["ref"] or "", r["message"])
                      for r in read_table(out, "dead_letters"))
    server.shutdown()

    print(f"one run, {len(served)} feeds: {seconds:.1f} s, peak RSS {peak:.0f} MB "
          f"(largest of {processes} processes; target < 2048 MB: "
          f"{'met' if peak < 2048 else 'NOT met'})")
    print(f"  gzip bomb {args.bomb_mb} MB ({len(served['/bomb.xml'][0]):,} bytes on the wire), "
          f"entry of {args.entry_mb} MB")
    print("\nfetch_log")
    for source, status, items, error in log:
        print(f"  {source:<10} status {status!s:<5} items {items!s:<4} {(error or '')[:90]}")
    print("\ndead_letters")
    for stage, error, ref, message in dead:
        print(f"  {stage:<8} {error:<16} {str(ref)[-40:]:<40} {(message or '')[:70]}")
    reconciled = all(check["ok"] for check in manifest["reconciliation"].values())
    print(f"\ncounts reconcile: {reconciled}")
    return 0 if reconciled else 1


if __name__ == "__main__":
    run_script(main)
