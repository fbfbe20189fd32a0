"""Hostile feed servers: how long each fetch takes to end and what it costs in memory.

Each server of tests/test_fetch_hostile.py (real sockets on 127.0.0.1) is
fetched once by `fetch_feed` in a child process, which reports its wall
time and how far the fetch raised its peak RSS (VmHWM, reset before the
fetch). Targets: every fetch ends within its budget plus a little, with a
one-line error, and no fetch adds more than a few times the body cap.

    python -m benchmarks.fetch_hostile [--budget 2] [--max-mb 2]
"""

from __future__ import annotations

import argparse

from tests.test_fetch_hostile import (MB, RawServer, bomb, endless_chunks, fetch_in_child,
                                      never_answer, trickle_body, trickle_headers)

SERVERS = {
    "gzip bomb, 256 MB": lambda: bomb("gzip", 31),
    "zlib deflate bomb, 256 MB": lambda: bomb("deflate", 15),
    "raw deflate bomb, 256 MB": lambda: bomb("deflate", -15),
    "never-ending chunked body": lambda: endless_chunks,
    "body trickled forever": lambda: trickle_body,
    "headers trickled forever": lambda: trickle_headers,
    "accepts, never answers": lambda: never_answer,
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=2.0, help="--fetch_budget, seconds")
    parser.add_argument("--max-mb", type=float, default=2.0, help="--max_feed_bytes, in MB")
    args = parser.parse_args(argv)
    config = dict(budget_s=args.budget, max_bytes=int(args.max_mb * MB))
    print(f"budget {args.budget:g} s, body cap {args.max_mb:g} MB, read timeout 30 s")
    worst_time, worst_growth = 0.0, 0.0
    for name, make in SERVERS.items():
        with RawServer(make()) as server:
            seen = fetch_in_child(server.url(), **config)
        worst_time = max(worst_time, seen["elapsed"])
        worst_growth = max(worst_growth, seen["growth_mb"])
        print(f"{name:27s} {seen['elapsed']:6.2f} s  +{seen['growth_mb']:5.1f} MB RSS  "
              f"{seen['outcome']}: {seen['error']}")
    print(f"worst                       {worst_time:6.2f} s  +{worst_growth:5.1f} MB RSS")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
