"""Verification: whether two candidates are copies of one story, and how much.

Plain functions and NumPy, no Beam. A candidate pair (stories that share a
band key, `minhash`) is verified on the real shingle sets: the shorter text
must be at least ``C_MIN`` contained in the longer. Containment, unlike
Jaccard, does not fall when one copy is a truncation of the other.
``is_near_duplicate_text`` also sets aside short lines of the shorter text
that the longer lacks entirely (site furniture no pattern knows), up to a
third of it. Stored stories whose text is gone are verified on their
signatures (``is_near_duplicate_estimated``).

The thresholds were tuned on benchmarks/eval_dedup.py (syndicated copies,
seed 1) and checked against every Reuters-21578 candidate pair by eye; each
says below why it has its value.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from transforms.dedup.minhash import BANDS, K, ROWS, MinHasher, candidate_pairs, shingles, word_count

# Containment of the shorter shingle set in the longer to join. A trimmed
# copy scores 1.0 and a copy with an edited word or two 0.9+. Different
# stories reach 0.6-0.8 only when they fill one template with other figures
# or names (Reuters warrant-bond and convertible-debt notices, weekly
# reports): at 0.75 such pairs start to join, at 0.8 the joins are updates
# and corrections of one story. On the tuning set, 0.8 with the
# furniture-tolerant check gives pair recall 0.979 at precision 1.0 (0.977
# on the held-out seed 2); plain containment would need about 0.65 for that
# recall, which joins templates.
C_MIN = 0.80
# Texts with fewer shingles (about 29 words) join only when identical.
# Reuters dividend and prime-rate notices (7-20 shingles) of different
# companies are 0.8-1.0 contained in each other, because the company is
# named only in the headline.
MIN_SHINGLES = 25
# The C_MIN rule on containment estimated from signatures, for stored
# stories whose text is not at hand: recall 0.85 instead of 0.98 (no
# furniture tolerance, estimate noise), same precision.
C_MIN_ESTIMATED = 0.80
# Furniture no pattern knows: a line of the shorter text with K..24 words
# that shares no shingle with the longer text may be set aside, up to a
# third of the shorter text's shingles (see tolerant_containment). At 0.4
# templated notices of different companies (Franklin fund payouts, debt
# offerings) join on Reuters; at 1/3 the extra joins are corrections and
# intraday updates of one story.
FURNITURE_MAX_WORDS = 24
FURNITURE_MAX_SHARE = 1 / 3
# Below this plain containment, setting a third aside cannot reach C_MIN.
TOLERANT_FLOOR = C_MIN * (1 - FURNITURE_MAX_SHARE) - 0.05
# Candidates whose containment *estimated* from signatures is below this are
# dropped before the exact check: 0.35 is > 4 standard errors below C_MIN
# (size ratios up to 3, 128 permutations) and about 2 below TOLERANT_FLOOR.
PREFILTER = 0.35


# --- Overlap ----------------------------------------------------------------------

def overlap(a: np.ndarray, b: np.ndarray) -> int:
    """Number of shingles two sorted unique shingle arrays share."""
    if len(a) > len(b):
        a, b = b, a
    if not len(a):
        return 0
    at = np.searchsorted(b, a)
    at[at == len(b)] = 0
    return int(np.count_nonzero(b[at] == a))


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """Share of the smaller shingle set found in the larger (0 when one is empty).

    A copy trimmed at the end keeps containment 1.0, where its Jaccard
    similarity with the full story falls to its length ratio.
    """
    smaller = min(len(a), len(b))
    return overlap(a, b) / smaller if smaller else 0.0


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """|A & B| / |A | B| of two sorted unique shingle arrays."""
    shared = overlap(a, b)
    union = len(a) + len(b) - shared
    return shared / union if union else 0.0


def estimate_containment(sig_a: np.ndarray, n_a: int, sig_b: np.ndarray, n_b: int) -> float:
    """Containment from two signatures and the set sizes, for stories whose
    shingles are not at hand (stored by an earlier run).

    The share of equal min-hashes estimates Jaccard J; the overlap is then
    J * (n_a + n_b) / (1 + J). Its standard error at 128 permutations is
    about 0.05 for equal sizes and 0.1 for a size ratio of 3.
    """
    return float(estimate_containments(np.asarray(sig_a)[None, :], np.array([n_a]),
                                       np.asarray(sig_b)[None, :], np.array([n_b]))[0])


def estimate_containments(sig_a: np.ndarray, n_a: np.ndarray,
                          sig_b: np.ndarray, n_b: np.ndarray) -> np.ndarray:
    """``estimate_containment`` over rows of two signature arrays."""
    n_a = np.asarray(n_a, dtype=np.float64)
    n_b = np.asarray(n_b, dtype=np.float64)
    j = (sig_a == sig_b).mean(axis=1)
    smaller = np.minimum(n_a, n_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = j * (n_a + n_b) / (1.0 + j) / smaller
    return np.where(smaller > 0, np.minimum(est, 1.0), 0.0)


def is_near_duplicate(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two shingle sets are copies of one story (see C_MIN, MIN_SHINGLES)."""
    return is_near_duplicate_by_counts(overlap(a, b), len(a), len(b))


def is_near_duplicate_by_counts(shared: int, n_a: int, n_b: int) -> bool:
    """The verification rule on counts: containment >= C_MIN of the shorter,
    which needs MIN_SHINGLES shingles unless the sets are identical."""
    smaller = min(n_a, n_b)
    if smaller == 0:
        return False
    if shared == n_a == n_b:
        return True
    return smaller >= MIN_SHINGLES and shared >= C_MIN * smaller


def is_near_duplicate_estimated(sig_a: np.ndarray, n_a: int,
                                sig_b: np.ndarray, n_b: int) -> bool:
    """``is_near_duplicate`` for a pair of which only signatures and shingle
    counts are at hand (a story stored by an earlier run)."""
    if min(n_a, n_b) == 0:
        return False
    if n_a == n_b and np.array_equal(sig_a, sig_b):
        return True
    return min(n_a, n_b) >= MIN_SHINGLES and \
        estimate_containment(sig_a, n_a, sig_b, n_b) >= C_MIN_ESTIMATED


def tolerant_containment(text_a: str, text_b: str,
                         a: Optional[np.ndarray] = None,
                         b: Optional[np.ndarray] = None) -> float:
    """Containment of the shorter text in the longer, setting aside the
    shorter's lines that look like furniture no pattern caught.

    Scraped copies carry site lines the patterns of ``furniture.dedup_text``
    do not know ("We use cookies ...", a site's own footer). Two such lines in a
    trimmed 80-word copy pull its containment from 1.0 to 0.7. A line is set
    aside when it has K to FURNITURE_MAX_WORDS words and not one of its
    shingles occurs in the longer text; at most FURNITURE_MAX_SHARE of the
    shorter's shingles may go, so two stories that share one paragraph and
    differ in the rest stay apart. Templated reports (same sentences,
    different figures) gain nothing: their lines share some shingles.
    ``a`` and ``b`` are the shingles of the texts, if already computed.
    """
    a = shingles(text_a) if a is None else a
    b = shingles(text_b) if b is None else b
    if len(a) > len(b):
        text_a, text_b, a, b = text_b, text_a, b, a
    plain = containment(a, b)
    if not len(a) or plain >= 1.0:
        return plain
    kept, dropped = [], False
    for line in text_a.split("\n"):
        words = word_count(line)
        if K <= words <= FURNITURE_MAX_WORDS and overlap(shingles(line), b) == 0:
            dropped = True
            continue
        kept.append(line)
    if not dropped:
        return plain
    rest = shingles("\n".join(kept))
    if len(rest) < MIN_SHINGLES or len(rest) < (1 - FURNITURE_MAX_SHARE) * len(a):
        return plain
    return max(plain, containment(rest, b))


def is_near_duplicate_text(text_a: str, text_b: str,
                           a: Optional[np.ndarray] = None,
                           b: Optional[np.ndarray] = None) -> bool:
    """``is_near_duplicate`` with unknown furniture lines set aside
    (``tolerant_containment``); needs the dedup texts, not just shingles."""
    a = shingles(text_a) if a is None else a
    b = shingles(text_b) if b is None else b
    if is_near_duplicate(a, b):
        return True
    smaller = min(len(a), len(b))
    if smaller < MIN_SHINGLES or overlap(a, b) < TOLERANT_FLOOR * smaller:
        return False
    return tolerant_containment(text_a, text_b, a, b) >= C_MIN


# --- In-process: a batch of texts to verified edges ----------------------------------

def near_duplicate_edges(shingle_sets: Sequence[np.ndarray],
                         signatures: Optional[np.ndarray] = None,
                         hasher: Optional[MinHasher] = None,
                         bands: int = BANDS, rows: int = ROWS,
                         pairs: Optional[np.ndarray] = None,
                         texts: Optional[Sequence[str]] = None) -> list[tuple[int, int, float]]:
    """Verified near-duplicate pairs (i, j, containment) of a batch, i < j.

    Candidates from LSH (or ``pairs``), a cheap prefilter on the estimated
    containment, then the exact check on the shingle sets; with ``texts``
    (the dedup texts), pairs that fail it get the furniture-tolerant check.
    """
    if signatures is None:
        signatures = (hasher or MinHasher()).signatures(shingle_sets)
    if pairs is None:
        pairs = candidate_pairs(signatures, bands, rows)
    if not len(pairs):
        return []
    sizes = np.fromiter((len(s) for s in shingle_sets), dtype=np.int64, count=len(shingle_sets))
    i, j = pairs[:, 0], pairs[:, 1]
    est = estimate_containments(signatures[i], sizes[i], signatures[j], sizes[j])
    edges = []
    for a, b in pairs[est >= PREFILTER]:
        shared = overlap(shingle_sets[a], shingle_sets[b])
        smaller = min(sizes[a], sizes[b])
        if is_near_duplicate_by_counts(shared, sizes[a], sizes[b]):
            edges.append((int(a), int(b), shared / smaller))
        elif texts is not None and smaller >= MIN_SHINGLES and \
                shared >= TOLERANT_FLOOR * smaller:
            score = tolerant_containment(texts[a], texts[b], shingle_sets[a], shingle_sets[b])
            if score >= C_MIN:
                edges.append((int(a), int(b), score))
    return edges
