"""Feeds grouped and ordered by host, for politeness that holds across workers.

Plain Python: the fetch composite keys feeds by `shard_of` so every feed of a
host reaches the same worker, and orders each shard with `interleave_hosts`.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import defaultdict
from typing import TYPE_CHECKING, Optional
from urllib.parse import urlparse

if TYPE_CHECKING:  # for annotations only: this module needs no Beam
    from schemas.records import FeedSpec
    from transforms.fetch.feed_state import FeedState


def host_of(url: str) -> str:
    return (urlparse(url).hostname or "").lower()


def shard_of(url: str, shards: int) -> int:
    # sha1, not hash(): the shard must be the same in every worker process.
    digest = hashlib.sha1(host_of(url).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % shards


def interleave_hosts(pairs: list[tuple[FeedSpec, Optional[FeedState]]]):
    """Order feeds round-robin over hosts, so the pool's threads spread over
    many hosts instead of queueing behind one."""
    by_host = defaultdict(list)
    for pair in sorted(pairs, key=lambda p: p[0].url):
        by_host[host_of(pair[0].url)].append(pair)
    rounds = itertools.zip_longest(*(by_host[h] for h in sorted(by_host)))
    return [pair for batch in rounds for pair in batch if pair is not None]
