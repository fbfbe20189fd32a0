"""Fetch-stage concurrency: many slow hosts fetched at once, not one by one.

Spec: 200 feeds served from loopback addresses 127.0.0.2-127.0.0.201 (distinct
hosts) with 250 ms of server latency each; the fetch stage's wall time is
compared with the sequential sum (200 x 0.25 s = 50 s). Target: under 5 s on
2 cores.

One HTTP server listens on each address (in a separate process, so serving
does not compete with the fetcher for its GIL); every request sleeps
`--latency` seconds and then returns the bundled Wikinews RSS feed. Threaded
servers, so one host can serve the fetcher's `per_host` (2) requests at once.

Measured, each `--runs` times (best reported):

1. Beam fetch stage -- `beam.Create(specs) | FetchFeeds(...)` on the
   FnApiRunner (in_memory, as a local wirestream run uses it), wall time from
   building the pipeline to `wait_until_finish`; every feed must come back
   outcome 'fetched' with no error.
2. in-process       -- the same `_FetchShard` logic without Beam: feeds grouped
   by `shard_of`, shards one after another (as the in_memory runner does),
   each through a ThreadPoolExecutor(threads) with a HostGate, calling
   `fetch_feed`. Beam wall minus this is what Beam adds.
3. sequential       -- optional measured run over the first `--sequential`
   feeds one at a time, extrapolated to all feeds.

    python -m benchmarks.fetch [--feeds 200] [--latency 0.25] [--threads 32]
                               [--shards 8] [--runs 3] [--sequential 20]

Only loopback addresses are used; all servers are shut down at the end.
"""

from __future__ import annotations

import argparse
import ipaddress
import math
import multiprocessing
import time

from benchmarks.harness import REPO, run_script

SAMPLE_FEED = REPO / "examples" / "sample" / "wikinews-world.rss"
TARGET_S = 5.0
FIRST_ADDRESS = ipaddress.IPv4Address("127.0.0.2")
LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")
MAX_FEEDS = 1000
SERVER_LIFETIME_S = 1800.0  # the server process gives up on its own after this


# --------------------------------------------------------------------------
# Servers (child process; stdlib only, so the spawned child starts quickly)
# --------------------------------------------------------------------------

def loopback_addresses(count: int) -> list[str]:
    """`count` distinct loopback addresses from 127.0.0.2, skipping x.x.x.0/255."""
    addresses, ip = [], FIRST_ADDRESS
    while len(addresses) < count:
        if ip not in LOOPBACK:
            raise ValueError("ran out of loopback addresses")
        if ip.packed[-1] not in (0, 255):
            addresses.append(str(ip))
        ip += 1
    return addresses


def _serve(addresses: list[str], latency: float, body: bytes, conn) -> None:
    """Child process: serve until told to stop (or the parent goes away)."""
    import socketserver
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            time.sleep(latency)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002 (signature of the base)
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 64

        def server_bind(self):
            # HTTPServer.server_bind calls socket.getfqdn, a reverse DNS
            # lookup that stalls for seconds per 127.0.0.x address here.
            socketserver.TCPServer.server_bind(self)
            host, port = self.server_address[:2]
            self.server_name, self.server_port = host, port

    servers, threads = [], []
    try:
        try:
            for address in addresses:
                servers.append(Server((address, 0), Handler))
        except OSError as err:
            conn.send(("error", f"cannot listen on {address}: {err}"))
            return
        for server in servers:
            thread = threading.Thread(target=server.serve_forever,
                                      kwargs={"poll_interval": 0.5}, daemon=True)
            thread.start()
            threads.append(thread)
        conn.send(("ready", [server.server_address[1] for server in servers]))
        deadline = time.monotonic() + SERVER_LIFETIME_S
        while time.monotonic() < deadline:
            try:
                if conn.poll(1.0):
                    conn.recv()  # any message means stop
                    break
            except (EOFError, OSError):
                break  # the parent is gone
    finally:
        # shutdown() waits up to one poll interval per server: do them at once.
        with ThreadPoolExecutor(max_workers=64) as pool:
            list(pool.map(lambda s: s.shutdown(), servers[:len(threads)]))
        for server in servers:
            server.server_close()
        for thread in threads:
            thread.join(timeout=2.0)


class Servers:
    """One threaded HTTP server per loopback address, in a child process."""

    def __init__(self, count: int, latency: float, body: bytes):
        self.addresses = loopback_addresses(count)
        context = multiprocessing.get_context("spawn")
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(self.addresses, latency, body, child_conn),
            name="fetch-bench-servers", daemon=True)
        self.ports: list[int] = []

    def __enter__(self) -> "Servers":
        self._process.start()
        if not self._conn.poll(120.0):
            self.close()
            raise RuntimeError("servers did not start within 120 s")
        kind, payload = self._conn.recv()
        if kind != "ready":
            self.close()
            raise RuntimeError(payload)
        self.ports = payload
        return self

    def urls(self) -> list[str]:
        return [f"http://{a}:{p}/feed.rss" for a, p in zip(self.addresses, self.ports)]

    def close(self) -> None:
        try:
            self._conn.send("stop")
        except (OSError, ValueError):
            pass
        self._process.join(timeout=30.0)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5.0)
        self._conn.close()

    def __exit__(self, *exc) -> None:
        self.close()


# --------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------

def _check(results, expected: int) -> None:
    bad = [r for r in results if r.outcome != "fetched" or r.error is not None]
    if len(results) != expected or bad:
        sample = "; ".join(f"{r.feed_url}: {r.outcome} {r.error}" for r in bad[:3])
        raise SystemExit(f"fetch check failed: {len(results)} results for {expected} feeds, "
                         f"{len(bad)} not fetched ({sample})")


def run_beam(specs, config) -> float:
    """Wall time of Create | FetchFeeds on the FnApiRunner; checks every result."""
    import apache_beam as beam
    from apache_beam.metrics import Metrics
    from apache_beam.metrics.metric import MetricsFilter
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    from transforms.fetch.transforms import FetchFeeds

    def tally(result):
        good = result.outcome == "fetched" and result.error is None and result.body
        Metrics.counter("fetch_bench", "ok" if good else "bad").inc()

    started = time.monotonic()
    pipeline = beam.Pipeline(runner=FnApiRunner())
    results, _states, _dead = (
        pipeline
        | "Feeds" >> beam.Create(specs)
        | "FetchFeeds" >> FetchFeeds("bench-run", "2024-01-01", config,
                                     state_file=None, raw_root=None))
    _ = results | "Tally" >> beam.Map(tally)
    outcome = pipeline.run()
    outcome.wait_until_finish()
    wall = time.monotonic() - started

    counts = {"ok": 0, "bad": 0}
    query = outcome.metrics().query(MetricsFilter().with_namespace("fetch_bench"))
    for item in query["counters"]:
        value = item.committed if item.committed is not None else item.attempted
        counts[item.key.metric.name] += value or 0
    if counts["ok"] != len(specs) or counts["bad"]:
        raise SystemExit(f"beam fetch check failed: {counts['ok']} fetched, "
                         f"{counts['bad']} not, of {len(specs)} feeds")
    return wall


def by_shard(specs, shards: int) -> dict[int, list]:
    from transforms.fetch.transforms import shard_of

    groups: dict[int, list] = {}
    for spec in specs:
        groups.setdefault(shard_of(spec.url, shards), []).append(spec)
    return groups


def run_in_process(specs, config) -> float:
    """_FetchShard without Beam: shards one after another, a pool per shard."""
    from concurrent.futures import ThreadPoolExecutor

    from transforms.fetch.fetch import HostGate, fetch_feed
    from transforms.fetch.transforms import interleave_hosts

    results = []
    started = time.monotonic()
    for _shard, group in sorted(by_shard(specs, config.shards).items()):
        gate = HostGate(config.per_host, config.host_gap_s)
        with ThreadPoolExecutor(max_workers=config.threads) as pool:
            futures = [pool.submit(fetch_feed, spec, state, "bench-run", config, gate=gate)
                       for spec, state in interleave_hosts([(s, None) for s in group])]
            results.extend(future.result()[0] for future in futures)
    wall = time.monotonic() - started
    _check(results, len(specs))
    return wall


def run_sequential(specs, config) -> float:
    from transforms.fetch.fetch import HostGate, fetch_feed

    gate = HostGate(config.per_host, config.host_gap_s)
    started = time.monotonic()
    results = [fetch_feed(spec, None, "bench-run", config, gate=gate)[0] for spec in specs]
    wall = time.monotonic() - started
    _check(results, len(specs))
    return wall


# --------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200,
                        help="feeds, one per loopback host from 127.0.0.2 (default 200)")
    parser.add_argument("--latency", type=float, default=0.25,
                        help="server latency per request in seconds (default 0.25)")
    parser.add_argument("--threads", type=int, default=None,
                        help="FetchConfig.threads (default: FetchConfig's, 32)")
    parser.add_argument("--shards", type=int, default=None,
                        help="FetchConfig.shards (default: FetchConfig's, 8)")
    parser.add_argument("--runs", type=int, default=3, help="repeats; best is reported")
    parser.add_argument("--sequential", type=int, default=20,
                        help="feeds fetched one by one for the extrapolated "
                             "sequential figure (0: skip; default 20)")
    args = parser.parse_args(argv)
    if not 1 <= args.feeds <= MAX_FEEDS:
        parser.error(f"--feeds must be 1..{MAX_FEEDS}")
    if not 0 <= args.latency <= 10:
        parser.error("--latency must be 0..10 s")
    if args.threads is not None and not 1 <= args.threads <= 1024:
        parser.error("--threads must be 1..1024")
    if args.shards is not None and not 1 <= args.shards <= 1024:
        parser.error("--shards must be 1..1024")
    if not 1 <= args.runs <= 20:
        parser.error("--runs must be 1..20")
    args.sequential = max(0, min(args.sequential, args.feeds))
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from schemas.records import FeedSpec
    from transforms.fetch.fetch import FetchConfig

    defaults = FetchConfig()
    config = FetchConfig(
        threads=args.threads if args.threads is not None else defaults.threads,
        shards=args.shards if args.shards is not None else defaults.shards)
    body = SAMPLE_FEED.read_bytes()

    with Servers(args.feeds, args.latency, body) as servers:
        specs = [FeedSpec(url=url, source=f"bench-{i:03d}", language="en")
                 for i, url in enumerate(servers.urls())]
        sizes = sorted((len(g) for g in by_shard(specs, config.shards).values()),
                       reverse=True)
        rounds = sum(math.ceil(n / config.threads) for n in sizes)

        seq_measured = None
        if args.sequential:
            seq_measured = run_sequential(specs[:args.sequential], config)
        beam_walls, local_walls = [], []
        for _ in range(args.runs):
            beam_walls.append(run_beam(specs, config))
            local_walls.append(run_in_process(specs, config))

    seq_sum = args.feeds * args.latency
    best_beam, best_local = min(beam_walls), min(local_walls)
    runs = lambda walls: ", ".join(f"{w:.2f}" for w in walls)  # noqa: E731
    print(f"feeds                 {args.feeds} (distinct hosts "
          f"{servers.addresses[0]}-{servers.addresses[-1]}), "
          f"{len(body)} B RSS each")
    print(f"latency per request   {args.latency * 1000:.0f} ms")
    print(f"fetch config          threads={config.threads} shards={config.shards} "
          f"per_host={config.per_host} host_gap_s={config.host_gap_s:g}")
    print(f"shard sizes           {' '.join(map(str, sizes))} "
          f"({len(sizes)} non-empty; floor: {rounds} latency rounds = "
          f"{rounds * args.latency:.2f} s)")
    print(f"sequential sum        {seq_sum:.2f} s ({args.feeds} x {args.latency:g} s)")
    if seq_measured is not None:
        print(f"sequential measured   {seq_measured:.2f} s for {args.sequential} feeds "
              f"-> {seq_measured * args.feeds / args.sequential:.2f} s extrapolated")
    print(f"Beam fetch stage      {best_beam:.2f} s wall, best of {args.runs} "
          f"({runs(beam_walls)}); all {args.feeds} fetched")
    print(f"in-process (no Beam)  {best_local:.2f} s wall, best of {args.runs} "
          f"({runs(local_walls)}); Beam adds {best_beam - best_local:.2f} s")
    if seq_sum > 0:
        print(f"speedup vs sequential {seq_sum / best_beam:.1f}x (Beam), "
              f"{seq_sum / best_local:.1f}x (in-process)")
    verdict = "PASS" if best_beam < TARGET_S else "FAIL"
    print(f"target                Beam fetch stage < {TARGET_S:g} s on 2 cores: "
          f"{verdict} ({best_beam:.2f} s)")
    return 0 if best_beam < TARGET_S else 1


if __name__ == "__main__":
    run_script(main)
