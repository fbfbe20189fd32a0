"""Shingles, MinHash signatures and LSH banding: which stories are candidates.

Plain functions and NumPy, no Beam. A story's dedup text
(`furniture.dedup_text`) becomes the set of hashed word 5-grams
(``shingles``), then 128 min-hashes of that set (``MinHasher``, uint32, 512
bytes a story), then 64 band keys of 2 rows (``band_keys``): stories that
share a band key are candidates, which `verify` then checks on the real
shingle sets. ``candidate_pairs`` is ``band_keys`` for a batch in memory.

Signatures and band keys are stored in the dedup index and compared with
those of later runs: everything here is a pure function of its input, the
same in every process, and pinned by tests.
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Sequence

import numpy as np

K = 5                 # words per shingle
NUM_PERM = 128        # min-hashes per signature
BANDS, ROWS = 64, 2   # LSH banding of the signature (BANDS * ROWS == NUM_PERM); see band_keys
SEED = 4_2024         # fixed: signatures must match across runs and workers
# More stories than this under one key (a candidate key group in the Beam
# stage, a run of equal band values in candidate_pairs) are furniture shared
# by unrelated stories, a band value of boilerplate, not a story's copies:
# the group is skipped. Identical texts still meet under their other keys.
MAX_BUCKET = 1000

_EMPTY = np.uint32(0xFFFFFFFF)  # signature value of an empty shingle set


# --- Words and shingles -------------------------------------------------------

# Words; CJK characters count one each, since those scripts write no spaces.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
_M = np.uint64(0x9E3779B97F4A7C15)       # odd multiplier of the k-gram polynomial
_LEN = np.uint64(0xC2B2AE3D27D4EB4F)     # tags a short text's shingle with its length
_F1, _F2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_TOKEN_CACHE_MAX = 1 << 20


def word_count(text: str) -> int:
    """Number of words as shingles count them (a CJK character is one)."""
    return len(_TOKEN.findall(text))


def mix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: every input bit reaches every output bit."""
    h = h ^ (h >> _S33)
    h *= _F1
    h ^= h >> _S33
    h *= _F2
    h ^= h >> _S33
    return h


@functools.lru_cache(maxsize=_TOKEN_CACHE_MAX)
def _token_hash(token: str) -> int:
    """A stable 64-bit hash of a word (blake2b; Python's hash() is salted).

    Cached per process, up to a million words: news repeats its words, and
    blake2b per occurrence would be most of the shingling. Sharing the cache
    across a worker's stories is safe because the value is a pure function
    of the word.
    """
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(),
                          "little")


def shingles(text: str, k: int = K) -> np.ndarray:
    """Sorted unique uint64 hashes of the word k-grams of ``text``.

    Words are hashed once each with blake2b (cached), and the k-grams are
    combined in NumPy as a polynomial over the word hashes, then mixed: the
    same text gives the same shingles in every process, and a 500-word story
    costs one pass of Python over its words. A text of fewer than k words
    gives one shingle of the whole text (so it matches only itself); an empty
    text gives none.
    """
    tokens = _TOKEN.findall(text)
    if not tokens:
        return np.empty(0, dtype=np.uint64)
    ids = np.fromiter((_token_hash(t) for t in tokens), dtype=np.uint64, count=len(tokens))
    if len(ids) < k:
        h = np.zeros(1, dtype=np.uint64)
        for value in ids:
            h = h * _M + value
        return mix64(h ^ (np.array([len(ids)], dtype=np.uint64) * _LEN))
    n = len(ids) - k + 1
    h = ids[:n].copy()
    for j in range(1, k):
        h *= _M
        h += ids[j:j + n]
    return np.unique(mix64(h))


# --- MinHash ----------------------------------------------------------------------

class MinHasher:
    """MinHash signatures, vectorised over all shingles (and many documents).

    Each permutation is the multiply-add-shift hash
    ``h(x) = ((a*x + b) mod 2**64) >> 32`` of the shingle's top 32 bits ``x``
    with random 64-bit ``a``, ``b``: a strongly universal (2-independent)
    family (Dietzfelbinger 1996), i.e. universal hashing ``(a*x+b) mod p``
    with the modulus a power of two and the high half kept. Measured on
    20,000 synthetic documents, it costs 0.33 s against 0.7 s for the
    Mersenne-prime form ``(a*x+b) mod (2**31-1)``, whose reduction needs
    five more passes over the (shingles x permutations) matrix. Because the
    shift is monotone, the minimum is taken over the 64-bit values and
    shifted once per permutation.

    ``a`` and ``b`` are blake2b digests of (seed, i), not NumPy random
    draws (whose streams may change between NumPy versions): stored
    signatures stay comparable across platforms, workers, runs and upgrades.

    rensa's Rust MinHash (``digest_matrix_from_flat_token_hashes``) computes
    signatures about 5x faster (0.045 s against 0.22 s for 20,000 Reuters
    stories, benchmarks/dedup.py), but signatures are a fifth of the stage,
    which is 14x datasketch without it; keeping the hash family in this file
    keeps stored signatures independent of a library's algorithm version.
    """

    def __init__(self, num_perm: int = NUM_PERM, seed: int = SEED,
                 chunk_shingles: int = 8192):
        self.num_perm = num_perm
        self.seed = seed
        self._a = _parameters(seed, "a", num_perm)[:, None]
        self._b = _parameters(seed, "b", num_perm)[:, None]
        self._chunk = chunk_shingles

    def signature(self, shingle_set: np.ndarray) -> np.ndarray:
        """The uint32 signature of one shingle set (all 0xFFFFFFFF when empty)."""
        return self.signatures([shingle_set])[0]

    def signatures(self, shingle_sets: Sequence[np.ndarray]) -> np.ndarray:
        """Signatures of many documents at once, shape (len(shingle_sets), num_perm).

        The shingles of consecutive documents are concatenated into chunks of
        about ``chunk_shingles`` and hashed as one (num_perm x chunk) matrix,
        then reduced per document with ``np.minimum.reduceat`` along the
        contiguous axis: per-document Python overhead disappears and the
        matrix stays in cache.
        """
        out = np.full((self.num_perm, len(shingle_sets)), 0xFFFFFFFF, dtype=np.uint32)
        sizes = np.fromiter((len(s) for s in shingle_sets), dtype=np.int64,
                            count=len(shingle_sets))
        docs = np.flatnonzero(sizes)
        # One buffer for every chunk: a fresh multi-megabyte array per chunk
        # would cost its page faults each time.
        width = max(self._chunk, int(sizes.max(initial=0)))
        buffer = np.empty((self.num_perm, width), dtype=np.uint64)
        start = 0
        while start < len(docs):
            stop, total = start, 0
            while stop < len(docs) and (total == 0 or total + sizes[docs[stop]] <= self._chunk):
                total += sizes[docs[stop]]
                stop += 1
            chunk = docs[start:stop]
            values = np.concatenate([shingle_sets[i] for i in chunk]) >> np.uint64(32)
            offsets = np.concatenate(([0], np.cumsum(sizes[chunk])[:-1]))
            hashed = np.multiply(self._a, values[None, :], out=buffer[:, :len(values)])
            hashed += self._b
            mins = np.minimum.reduceat(hashed, offsets, axis=1)
            out[:, chunk] = (mins >> np.uint64(32)).astype(np.uint32)
            start = stop
        return np.ascontiguousarray(out.T)


def _parameters(seed: int, name: str, count: int) -> np.ndarray:
    """``count`` fixed pseudo-random uint64 values for a hash family."""
    return np.array([int.from_bytes(hashlib.blake2b(f"minhash:{seed}:{name}:{i}".encode(),
                                                    digest_size=8).digest(), "little")
                     for i in range(count)], dtype=np.uint64)


# --- LSH banding ------------------------------------------------------------------

def band_keys(signature: np.ndarray, bands: int = BANDS, rows: int = ROWS) -> list[str]:
    """LSH keys of a signature: stories sharing any key are candidates.

    A pair with Jaccard similarity J shares a given band with probability
    J**rows, so it becomes a candidate with probability
    ``1 - (1 - J**rows)**bands``. A copy whose shorter text is 90% contained
    in the longer can have J as low as ~0.3 when the longer copy carries
    extra paragraphs (shorter = 45% of the longer: J = 0.9*s/(s + l - 0.9*s)
    = 0.3). With 64 bands of 2 rows: J=0.3 -> 0.9976, J=0.25 -> 0.984,
    J=0.5 -> 1 - 3e-8. Three rows would need 170 bands (510 permutations)
    for the same recall at J=0.3. The price of two rows is candidates among
    unrelated texts (J=0.05 -> 0.15), which the verification removes; news
    texts that share no copy have J of 5-shingles near 0.

    Keys are "lsh:BB:hex" strings (band number, then the band's values), 23
    characters; an empty signature has none.
    """
    signature = np.asarray(signature, dtype=np.uint32)
    if bands * rows > len(signature):
        raise ValueError(f"{bands} bands x {rows} rows need {bands * rows} min-hashes, "
                         f"signature has {len(signature)}")
    if (signature == _EMPTY).all():
        return []
    raw = signature[:bands * rows].astype(">u4").tobytes()
    width = rows * 4
    return [f"lsh:{band:02x}:{raw[band * width:(band + 1) * width].hex()}"
            for band in range(bands)]


def candidate_pairs(signatures: np.ndarray, bands: int = BANDS, rows: int = ROWS,
                    max_bucket: int = MAX_BUCKET) -> np.ndarray:
    """All (i, j), i < j, that share a band: ``band_keys`` for a batch in memory.

    Per band, the rows are sorted by their band value and equal runs give the
    pairs. Runs longer than ``max_bucket`` are skipped (a band value shared
    by a thousand texts is furniture, not a story); identical texts still
    meet in their other bands. Returns an (n, 2) int64 array, sorted.
    """
    n = len(signatures)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    sig = np.ascontiguousarray(signatures[:, :bands * rows], dtype=np.uint32)
    empty = is_empty(sig)
    found = []
    for band in range(bands):
        cols = sig[:, band * rows:(band + 1) * rows]
        keys = _band_values(cols)
        keys = np.where(empty, np.arange(n, dtype=np.uint64) | np.uint64(1 << 63), keys)
        order = np.argsort(keys)  # the order within a run does not matter
        ordered = keys[order]
        same = ordered[1:] == ordered[:-1]
        if not same.any():
            continue
        found.append(pairs_in_runs(order, same, max_bucket))
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(found)
    pairs = np.sort(pairs, axis=1)
    codes = np.unique(pairs[:, 0] * n + pairs[:, 1])
    return np.stack([codes // n, codes % n], axis=1)


def band_values(signatures: np.ndarray, bands: int = BANDS, rows: int = ROWS) -> np.ndarray:
    """The band values of many signatures, shape (len(signatures), bands):
    two signatures share band b's key (``band_keys``) when their values in
    column b are equal; with 2 rows (the two min-hashes side by side) only
    then, with more rows also by a 2**-64 chance."""
    sig = np.ascontiguousarray(signatures[:, :bands * rows], dtype=np.uint32)
    return np.stack([_band_values(sig[:, band * rows:(band + 1) * rows])
                     for band in range(bands)], axis=1)


def is_empty(signatures: np.ndarray) -> np.ndarray:
    """Per signature: made of an empty shingle set (it has no band keys)."""
    return (np.asarray(signatures) == _EMPTY).all(axis=1)


def _band_values(cols: np.ndarray) -> np.ndarray:
    """One uint64 per row for a band: exact for 1-2 rows, mixed for more."""
    key = np.zeros(len(cols), dtype=np.uint64)
    for c in range(cols.shape[1]):
        if cols.shape[1] <= 2:
            key = (key << np.uint64(32)) | cols[:, c].astype(np.uint64)
        else:
            key = mix64(key * _M + cols[:, c].astype(np.uint64))
    return key


def pairs_in_runs(order: np.ndarray, same: np.ndarray, max_bucket: int) -> np.ndarray:
    """Pairs of positions within runs of equal sorted keys, all at once.

    Each element of a run is paired with the elements after it: the element
    at sorted position p, in a run ending at e, gives e - p pairs.
    """
    edges = np.diff(np.concatenate(([0], same.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) + 1          # one past each run
    keep = ends - starts <= max_bucket
    starts, ends = starts[keep], ends[keep]
    lengths = ends - starts
    # Sorted positions inside the kept runs, and the end of each one's run.
    position = np.repeat(starts, lengths) + _ramp(lengths)
    run_end = np.repeat(ends, lengths)
    count = run_end - position - 1
    first = np.repeat(position, count)
    second = first + 1 + _ramp(count)
    return np.stack([order[first], order[second]], axis=1)


def _ramp(lengths: np.ndarray) -> np.ndarray:
    """0..n-1 for each n in lengths, concatenated."""
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total, dtype=np.int64) - starts
