"""What a stream's dedup keeps in keyed state, per key (issue 14: no step
may hold more than one story's copies or one batch).

Reuters-21578 stories arrive in polls (--per-poll stories each, five
minutes apart, all within the retention) and go through the stream's
stages in plain Python (transforms/dedup/stream_state), state carried from
poll to poll as the keyed states carry it. At the end it prints, for each
state, the largest value one key holds (pickled, as the states are coded)
and the total, beside the baseline measured in the same run: the single
key that held the whole index before (every story_id seen, and each
fingerprint with its text, shingles, signature and candidate keys, as
`StreamIndex` held them), with the time to pickle and unpickle it, which
that design paid at every poll.

    python -m benchmarks.stream_state [--stories 5000] [--per-poll 50]
"""

from __future__ import annotations

import argparse
import pickle
import time
from datetime import datetime, timedelta, timezone

from benchmarks.corpora import iter_reuters
from benchmarks.harness import run_script
from schemas.records import Story
from transforms.dedup.fingerprints import candidate_keys, fingerprints
from transforms.dedup.minhash import MinHasher
from transforms.dedup.stream_state import (
    cluster_poll,
    meet_in_bucket,
    merged_asks,
    verified_edges,
)
from transforms.text.ids import content_hash

START = datetime(2026, 11, 1, tzinfo=timezone.utc)
RETENTION = timedelta(days=7)


def reuters_stories(count: int) -> list[Story]:
    stories = []
    for record in iter_reuters(count):
        published = datetime.fromisoformat(record["published"].replace("Z", "+00:00")) \
            if record["published"] else None
        stories.append(Story(
            story_id=record["id"], source="reuters", feed_url=None, url=None,
            title=record["title"], body=record["body"], summary=None,
            published_at=published, fetched_at=START, language="en", agency="Reuters",
            dateline=None, authors=(), content_hash=content_hash(record["title"],
                                                                  record["body"]),
            run_id="bench"))
    return stories


def size(value) -> int:
    return len(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def timed_round_trip(value) -> float:
    started = time.perf_counter()
    pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return time.perf_counter() - started


def run_polls(stories: list[Story], per_poll: int):
    """The stages over every poll; the states at the end, and how long the
    single key's step (cluster_poll and its state round trip) took."""
    hasher = MinHasher()
    buckets: dict[str, list] = {}
    prints: dict[str, object] = {}
    keys_of: dict[str, list[str]] = {}
    clusters: dict = {}
    single_key_s = 0.0
    for first in range(0, len(stories), per_poll):
        poll = stories[first:first + per_poll]
        now = START + timedelta(minutes=5 * first // per_poll)
        printed = dict(zip((s.story_id for s in poll), fingerprints(poll, hasher)))
        arrived: dict[str, list[str]] = {}
        for story in poll:
            keys_of[story.story_id] = [k for k, _ in candidate_keys(story, printed[story.story_id])]
            for key in keys_of[story.story_id]:
                arrived.setdefault(key, []).append(story.story_id)
        prints.update(printed)
        asks: dict[str, list] = {}
        for key, ids in arrived.items():
            made, buckets[key] = meet_in_bucket(key, ids, buckets.get(key, []), now, RETENTION)
            for holder, asker, exact in made:
                asks.setdefault(holder, []).append((asker, exact))
        answers: dict[str, list] = {}
        for holder, held in asks.items():
            for asker, exact in merged_asks(held).items():
                answers.setdefault(asker, []).append((prints[holder], exact))
        edges = [edge for asker, others in answers.items()
                 for edge in verified_edges(printed[asker], others)]
        started = time.perf_counter()
        clusters = pickle.loads(pickle.dumps(clusters))
        _found, clusters = cluster_poll([(s, printed[s.story_id]) for s in poll], edges,
                                        clusters, now, RETENTION)
        pickle.dumps(clusters)
        single_key_s += time.perf_counter() - started
    return buckets, prints, keys_of, clusters, single_key_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=5000)
    parser.add_argument("--per-poll", type=int, default=50)
    args = parser.parse_args()
    stories = reuters_stories(args.stories)
    buckets, prints, keys_of, clusters, single_key_s = run_polls(stories, args.per_poll)
    n = len(stories)
    polls = -(-n // args.per_poll)

    old_index = {"seen": set(prints), "kept": {sid: (fp, keys_of[sid], START)
                                               for sid, fp in prints.items()},
                 "by_key": {key: {m.story_id for m in members}
                            for key, members in buckets.items()}}
    old_size, old_trip = size(old_index), timed_round_trip(old_index)
    bucket_sizes = sorted(size(members) for members in buckets.values())
    print_sizes = sorted(size(fp) for fp in prints.values())
    cluster_size = size(clusters)

    print(f"{n} Reuters stories in {polls} polls of {args.per_poll}, all within the retention")
    print(f"{'state (per key)':<34} {'keys':>8} {'largest':>10} {'total':>12} {'per story':>10}")
    rows = [("first copy: seen (story_id)", n, size(True), n * size(True)),
            ("bucket: members (candidate key)", len(buckets), bucket_sizes[-1],
             sum(bucket_sizes)),
            ("prints: fingerprint (story_id)", n, print_sizes[-1], sum(print_sizes)),
            ("cluster: stored clusters (1 key)", 1, cluster_size, cluster_size)]
    for label, keys, largest, total in rows:
        print(f"{label:<34} {keys:>8} {largest:>10,} {total:>12,} {total / n:>10,.0f}")
    print(f"{'baseline: StreamIndex (1 key)':<34} {1:>8} {old_size:>10,} {old_size:>12,} "
          f"{old_size / n:>10,.0f}")
    largest_now = max(bucket_sizes[-1], print_sizes[-1], cluster_size)
    print(f"largest state one key holds: {largest_now:,} bytes, "
          f"{largest_now / old_size:.3f}x the single index ({old_size / largest_now:.0f}x smaller)")
    print(f"single key's state round trip per poll at the end: baseline "
          f"{old_trip * 1000:.0f} ms, cluster state {timed_round_trip(clusters) * 1000:.1f} ms")
    print(f"single key's work over all polls (clustering + state round trips): "
          f"{single_key_s:.2f} s")
    return 0


if __name__ == "__main__":
    run_script(main)
