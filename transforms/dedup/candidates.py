"""A run's candidate pairs, found shard by shard: stories that share an LSH
band value or an exact key (normalised text hash, canonical URL).

Plain functions and NumPy, no Beam. `transforms.Deduplicate` cuts each batch
of stories and index entries into one `KeyBlock` per key shard
(`key_blocks`), groups the blocks by shard and finds each shard's pairs
(`pairs_in_shard`). A key's stories all land in one shard, so the pairs are
those of grouping every key on its own (`minhash.band_keys`,
`fingerprints.candidate_keys`, as the stream's index does), while a shard
holds the keys of about STORIES_PER_KEY_SHARD stories however large the
run, and a batch crosses the shuffle as a few blocks of arrays instead of
66 elements a story, each of which the local runner decodes and regroups
in one thread.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from transforms.dedup.minhash import (
    BANDS,
    MAX_BUCKET,
    NUM_PERM,
    band_values,
    is_empty,
    mix64,
    pairs_in_runs,
)


# Stories (new ones and index entries) whose keys one shard holds: about
# 130,000 band keys, a few MB.
STORIES_PER_KEY_SHARD = 2000


@dataclass(frozen=True, eq=False)
class KeyBlock:
    """The candidate keys of some stories of one batch that fall in one shard."""

    story_ids: tuple
    is_new: np.ndarray        # bool, per story
    bands: np.ndarray         # uint8, per band key: its band
    values: np.ndarray        # uint64, per band key: its band value
    owners: np.ndarray        # int64, per band key: its story (index into story_ids)
    exact: tuple              # (exact key, index into story_ids)


def key_shards(stories: int) -> int:
    """How many shards a run of `stories` stories and index entries spreads
    its candidate keys over: one per STORIES_PER_KEY_SHARD."""
    return max(1, -(-stories // STORIES_PER_KEY_SHARD))


def exact_key_shard(key: str, shards: int) -> int:
    """The same on every worker: CRC-32 of the key, never Python's salted hash."""
    return zlib.crc32(key.encode()) % shards


def band_key_shards(bands: np.ndarray, values: np.ndarray, shards: int) -> np.ndarray:
    """The shard of each (band, band value), the same on every worker."""
    mixed = mix64(values ^ (bands.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)))
    return (mixed % np.uint64(shards)).astype(np.int64)


def signature_matrix(signatures: Sequence) -> np.ndarray:
    """Signatures (arrays or the index's bytes) as one (n, NUM_PERM) uint32 matrix."""
    rows = [np.frombuffer(s, dtype=np.uint32) if isinstance(s, bytes) else np.asarray(s)
            for s in signatures]
    for row in rows:
        if len(row) != NUM_PERM:
            raise ValueError(f"a signature has {len(row)} min-hashes, not {NUM_PERM}")
    if not rows:
        return np.empty((0, NUM_PERM), dtype=np.uint32)
    return np.stack(rows).astype(np.uint32, copy=False)


def key_blocks(story_ids: Sequence[str], is_new: Sequence[bool], signatures: np.ndarray,
               exact_keys: Sequence[Iterable[str]], shards: int) -> dict[int, KeyBlock]:
    """One batch's candidate keys, one block per shard they fall in.

    Per story: its story_id, whether it is new (else an index entry), its
    signature (a row of `signatures`) and its exact keys. A signature of an
    empty shingle set has no band keys.
    """
    n = len(story_ids)
    values = band_values(signatures)                       # (n, BANDS)
    keep = ~is_empty(signatures)
    owners = np.repeat(np.arange(n, dtype=np.int64)[keep], BANDS)
    bands = np.tile(np.arange(BANDS, dtype=np.uint8), int(keep.sum()))
    values = values[keep].ravel()
    shard_of_key = band_key_shards(bands, values, shards)
    exact: dict[int, list] = {}
    for story, keys in enumerate(exact_keys):
        for key in keys:
            exact.setdefault(exact_key_shard(key, shards), []).append((key, story))
    # One sort splits the keys by shard: a mask per shard would cost keys x
    # shards per batch, and a large run has hundreds of shards. Stable, so a
    # shard's keys keep the batch's order.
    by_shard = np.argsort(shard_of_key, kind="stable")
    shard_ids, firsts = np.unique(shard_of_key[by_shard], return_index=True)
    band_rows = dict(zip(shard_ids.tolist(), np.split(by_shard, firsts[1:])))
    flags = np.asarray(is_new, dtype=bool)
    blocks = {}
    for shard in sorted(set(band_rows) | set(exact)):
        mine = band_rows.get(shard, np.empty(0, dtype=np.int64))
        shard_exact = exact.get(shard, [])
        stories = np.unique(np.concatenate(
            [owners[mine], np.array([s for _, s in shard_exact], dtype=np.int64)]))
        local = np.full(n, -1, dtype=np.int64)
        local[stories] = np.arange(len(stories))
        blocks[shard] = KeyBlock(
            story_ids=tuple(story_ids[s] for s in stories.tolist()),
            is_new=flags[stories], bands=bands[mine], values=values[mine],
            owners=local[owners[mine]],
            exact=tuple((key, int(local[s])) for key, s in shard_exact))
    return blocks


def pairs_in_shard(blocks: Iterable[KeyBlock], max_bucket: int = MAX_BUCKET
                   ) -> tuple[list, int]:
    """A shard's candidate pairs ((a, b), exact), a < b, each holding a new
    story, and how many keys it skipped: shared by more than `max_bucket`
    stories, one of them new (boilerplate, not a story; identical texts
    still meet under their exact keys). A pair met under several keys of
    the shard comes once per kind of key."""
    ids, new, bands, values, owners = [], [], [], [], []
    exact: dict[str, set] = {}
    for block in blocks:
        offset = len(ids)
        ids.extend(block.story_ids)
        new.append(block.is_new)
        bands.append(block.bands)
        values.append(block.values)
        owners.append(block.owners + offset)
        for key, story in block.exact:
            exact.setdefault(key, set()).add((ids[offset + story], bool(block.is_new[story])))
    if not ids:
        return [], 0
    pairs, skipped = _band_pairs(ids, np.concatenate(new), np.concatenate(bands),
                                 np.concatenate(values), np.concatenate(owners), max_bucket)
    found = [(pair, False) for pair in sorted(pairs)]
    for key in sorted(exact):
        members = sorted(exact[key])
        if len(members) < 2 or not any(is_new for _, is_new in members):
            continue
        if len(members) > max_bucket:
            skipped += 1
            continue
        found.extend((pair, True) for pair in _pairs_of_members(members))
    return found, skipped


def _band_pairs(ids: list, new: np.ndarray, bands: np.ndarray, values: np.ndarray,
                owners: np.ndarray, max_bucket: int) -> tuple[set, int]:
    """Pairs of story_ids sharing a (band, value), and the crowded keys skipped."""
    if len(values) < 2:
        return set(), 0
    order = np.lexsort((values, bands))
    same = ((bands[order][1:] == bands[order][:-1])
            & (values[order][1:] == values[order][:-1]))
    if not same.any():
        return set(), 0
    edges = np.diff(np.concatenate(([0], same.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) + 1
    new_before = np.concatenate(([0], np.cumsum(new[owners[order]], dtype=np.int64)))
    has_new = new_before[ends] > new_before[starts]
    skipped = int((has_new & (ends - starts > max_bucket)).sum())
    positions = pairs_in_runs(order, same, max_bucket)
    a, b = owners[positions[:, 0]], owners[positions[:, 1]]
    wanted = new[a] | new[b]
    pairs = set()
    for x, y in zip(a[wanted].tolist(), b[wanted].tolist()):
        first, second = ids[x], ids[y]
        if first != second:
            pairs.add((first, second) if first < second else (second, first))
    return pairs, skipped


def _pairs_of_members(members: list):
    """Pairs of sorted (story_id, is_new) members, each holding a new story."""
    for i, (a, a_new) in enumerate(members):
        for b, b_new in members[i + 1:]:
            if a != b and (a_new or b_new):
                yield a, b
