"""Near-duplicate wire copy: MinHash + LSH banding, verified by containment.

Plain functions and NumPy, no Beam: the Deduplicate composite calls them per
story (text, shingles, signature, band keys) and per key group (verification,
clustering). The same functions run in-process for the evaluation
(benchmarks/eval_dedup.py) and the benchmark (benchmarks/dedup.py).

How two stories become one cluster:

1. ``dedup_text``: the body without site furniture (advertisement markers,
   "Read more", share bars, captions and photo credits, bylines, copyright
   and "Reporting by" lines) and without its leading dateline, casefolded.
   Copies of one wire story differ mostly there.
2. ``shingles``: the set of hashed word 5-grams of that text.
3. ``MinHasher``: 128 min-hashes of the set (uint32, 512 bytes a story).
4. ``band_keys``: 64 bands of 2 rows; stories sharing a band key are
   candidates (see ``band_keys`` for why 64 x 2).
5. ``is_near_duplicate``: the candidates are verified on the real shingle
   sets: the shorter text must be at least ``C_MIN`` contained in the
   longer. Containment, unlike Jaccard, does not fall when one copy is a
   truncation of the other. ``is_near_duplicate_text`` also sets aside
   short lines of the shorter text that the longer lacks entirely (site
   furniture no pattern knows), up to a third of it.
6. ``assign_clusters``: in canonical rank order (earliest published, then the
   agency's own copy, then story_id) each story joins the best-matching
   canonical story it has a verified edge with, or founds its own cluster.
   Only canonical stories attract members, so A~B and B~C never pull A and C
   together unless A~C; stored clusters never move.

Thresholds, tuned on benchmarks/eval_dedup.py (syndicated copies, seed 1)
and checked against every Reuters-21578 candidate pair by eye:

- ``C_MIN = 0.80``: containment of the shorter shingle set in the longer.
  A trimmed copy scores 1.0 and a copy with an edited word or two 0.9+.
  Different stories reach 0.6-0.8 only when they fill one template with
  other figures or names (Reuters warrant-bond and convertible-debt notices,
  weekly reports): at 0.75 such pairs start to join, at 0.8 the joins are
  updates and corrections of one story. On the tuning set, 0.8 with the
  furniture-tolerant check gives pair recall 0.979 at precision 1.0 (0.977
  on the held-out seed 2); plain containment would need about 0.65 for
  that recall, which joins templates.
- ``MIN_SHINGLES = 25`` (texts of about 29 words): shorter texts join only
  when identical. Reuters dividend and prime-rate notices (7-20 shingles)
  of different companies are 0.8-1.0 contained in each other, because the
  company is named only in the headline.
- ``FURNITURE_MAX_SHARE = 1/3``: at 0.4 templated notices of different
  companies (Franklin fund payouts, debt offerings) join on Reuters; at 1/3
  the extra joins are corrections and intraday updates of one story.
- ``C_MIN_ESTIMATED = 0.80``: the rule on signature estimates, for stored
  stories whose text is not at hand; recall 0.85 instead of 0.98 (no
  furniture tolerance, estimate noise), same precision.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Sequence

import numpy as np

K = 5                 # words per shingle
NUM_PERM = 128        # min-hashes per signature
BANDS, ROWS = 64, 2   # LSH banding of the signature (BANDS * ROWS == NUM_PERM)
SEED = 4_2024         # fixed: signatures must match across runs and workers
C_MIN = 0.80          # containment of the shorter in the longer to join
MIN_SHINGLES = 25     # fewer shingles than this join only when identical
C_MIN_ESTIMATED = 0.80  # the same rule on containment estimated from signatures
# Furniture no pattern knows: a line of the shorter text with K..24 words
# that shares no shingle with the longer text may be set aside, up to a
# third of the shorter text's shingles (see tolerant_containment).
FURNITURE_MAX_WORDS = 24
FURNITURE_MAX_SHARE = 1 / 3
# Below this plain containment, setting a third aside cannot reach C_MIN.
TOLERANT_FLOOR = C_MIN * (1 - FURNITURE_MAX_SHARE) - 0.05
# Candidates whose containment *estimated* from signatures is below this are
# dropped before the exact check: 0.35 is > 4 standard errors below C_MIN
# (size ratios up to 3, 128 permutations) and about 2 below TOLERANT_FLOOR.
PREFILTER = 0.35

_EMPTY = np.uint32(0xFFFFFFFF)  # signature value of an empty shingle set


# --- The text to compare -------------------------------------------------------

# Whole lines that are site furniture, matched casefolded and stripped of
# surrounding punctuation. Short lines only (see _is_boilerplate), so a
# paragraph that merely starts with "Photo" or "Updated" stays.
_FURNITURE = re.compile(
    r"^(?:"
    r"advertisements?(?: - scroll to continue(?: reading)?)?|ad|sponsored(?: content)?"
    r"|skip (?:advertisement|ad)|story continues below(?: advertisement)?"
    r"|(?:article )?continues below(?: this ad(?:vertisement)?)?"
    r"|continue reading(?: below| the main story)?"
    r"|read (?:more|next|also|the full (?:story|article))\b.*|more\s*:.*"
    r"|(?:also read|see also|related(?: coverage| articles?| stories| content| news)?"
    r"|recommended(?: for you)?|most (?:read|popular)|trending(?: now)?|watch|listen)\s*[:|\-].*"
    r"|related(?: coverage| articles?| stories| content| news)?|recommended(?: for you)?"
    r"|most (?:read|popular)|trending(?: now)?"
    r"|share(?: this)?(?: article| story| on \w+)?|share via.*|tweet|email|e-mail|print|whatsapp"
    r"|facebook|twitter|linkedin|copy link|comments?|view comments|\d+ comments?"
    r"|leave a comment|join the conversation"
    r"|click here\b.*|sign up\b.*|subscribe\b.*|follow us\b.*|(?:download|get) (?:our|the) app\b.*"
    r"|\d+ min(?:ute)?s? read|listen to (?:this )?article.*"
    r"|(?:image|photo|picture|photograph|caption|credit|video|graphic|file photo"
    r"|(?:image|photo|picture) credit|pictured)\s*:.*"
    r"|(?:\u00a9|\(c\)\s*\d{4}|copyright\s*(?:\u00a9|\(c\)|\d{4})).*"
    r"|our standards\s*:.*|the thomson reuters trust principles.*"
    r"|(?:additional )?(?:reporting|writing|editing|edited|compiled|reported|produced)"
    r"(?: and (?:writing|editing))? by\b.*"
    r"|(?:source|tags|topics|filed under)\s*:.*"
    r"|reuters|ap|afp|associated press|the associated press|dpa|xinhua|upi"
    r")$",
    re.S)
# Phrases that make a short line furniture wherever they stand in it.
_FURNITURE_PHRASES = ("all rights reserved",
                      "may not be published, broadcast, rewritten")
_NEWSLETTER = re.compile(
    r"^.{0,40}\b(?:sign up|subscribe|get|receive|our)\b.{0,40}\bnewsletters?\b.{0,40}$"
    r"|^.{0,40}\bnewsletters?\b.{0,40}\b(?:sign up|subscribe|inbox)\b.{0,40}$")
# "Updated 3 hours ago", "Published: March 3, 2020 10:15 a.m. ET".
_STAMP_WORD = re.compile(r"^(?:published|updated|posted|last updated|first published)\b:?")
_STAMP_TOKENS = re.compile(
    r"(?:\d[\d:/.,\-]*|on|at|ago|am|pm|a\.m|p\.m|hours?|hrs?|minutes?|mins?|days?|"
    r"today|yesterday|jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|"
    r"january|february|march|april|june|july|august|september|october|november|december|"
    r"mon|tue|wed|thu|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"et|edt|est|ct|pt|gmt|bst|utc|cet|cest|ist|jst|[|,.:\-])+")
# Photo credits ending a caption line: "... March 3. REUTERS/Jane Doe/File Photo",
# "(AP Photo/Jane Doe)", "(Photo by JOHN DOE / AFP)", "AFP via Getty Images".
# Anchored at the end and limited to a name, so "a Reuters/Ipsos poll found"
# in a paragraph is not a credit.
_NAME = r"[A-Z][\w.'\-]*(?:\s+(?:[A-Z][\w.'\-]*|al|el|de|da|van|von|bin|der|la|le)){0,4}"
_PHOTO_CREDIT = re.compile(
    r"(?:\b(?:REUTERS|Reuters|AFP|EPA(?:-EFE)?|Xinhua|ANADOLU|AP|PA|AAP|Kyodo|Yonhap)"
    rf"\s*/\s*(?!Ipsos\b){_NAME}(?:\s*/\s*{_NAME})*"
    r"|\bAP Photo\s*/\s*[^()]{1,50}|\(\s*Photo by [^()]{1,60}"
    r"|\b(?:Photo|Image|Picture|Photograph|Credit)\s*:\s*[^.()]{1,60}"
    r"|(?:\bvia|/)\s*(?:Getty Images|Shutterstock)|/\s*AFP"
    r")\s*[)\]]?\s*\.?\s*$")
_CREDIT_MARKS = ("/", "Getty", "Shutterstock", "Photo", "Image", "Picture", "Credit")
# "By Jane Doe", "By JANE DOE and John Roe, Reuters", "By Reuters Staff":
# "By" and then only capitalised words, connectors and separators.
_BYLINE = re.compile(
    r"^(?:By|BY)\s+(?:(?:[A-Z\u00c0-\u00de][\w.'\u2019\-]*|and|&|de|da|van|von|der|al|el"
    r"|la|le|du|staff|the|in|[,|\u2022\u2013\u2014-])\s*){1,12}$")
# Navigation trails: "Home | World | Europe", "News › Business".
_TRAIL_SEP = re.compile(r"\s*[|›»\u2022·]\s*")
# Headings, outlet names, section labels: a few words, no figure, no full stop.
_HEADING_MAX_WORDS = 4
_SENTENCE_END = tuple(".!?\"\u201d\u2019)")
# Leading dateline: "BRUSSELS (Reuters) - ", "PARIS, March 3 (AFP) -",
# "NAIROBI, Kenya (AP) —", "(Reuters) - ", "(CNN)". The place is upper case
# so an ordinary first sentence is never taken for one.
_DATELINE = re.compile(
    r"^\s*(?:[A-Z][A-Z.'\-]+(?:\s+[A-Z][A-Z.'\-]+)*"
    r"(?:,\s*[A-Z][A-Za-z.'\-]+(?:\s+[A-Z][A-Za-z.'\-]+)*)?"
    r"(?:,?\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2})?"
    r"\s*(?:\([^()\n]{1,40}\)\s*)?[-\u2013\u2014]+\s+"
    r"|\([A-Za-z][A-Za-z .\-]{0,30}\)\s*(?:[-\u2013\u2014]+\s*)?)")
_EDGE_PUNCT = " \t\"'“”‘’()[]{}*_#>•·-–—|:."
_SPACE = re.compile(r"\s+")
_MAX_FURNITURE_CHARS = 300  # longer lines are text, whatever they start with


def _is_boilerplate(line: str) -> bool:
    """Whether a whole line is site furniture rather than story text.

    Only short lines qualify: furniture is short, and a long paragraph that
    happens to start with "Updated" or mention a photo is story text.
    """
    if len(line) > _MAX_FURNITURE_CHARS:
        return False
    if _BYLINE.match(line) or _is_trail(line) or _is_heading(line):
        return True
    # The credit regex is anchored at the end; a substring test first saves
    # scanning every paragraph with it.
    if any(mark in line for mark in _CREDIT_MARKS) and _PHOTO_CREDIT.search(line):
        return True
    folded = line.casefold().strip(_EDGE_PUNCT)
    if not folded or _FURNITURE.match(folded) or _NEWSLETTER.search(folded):
        return True
    if any(phrase in folded for phrase in _FURNITURE_PHRASES):
        return True
    stamp = _STAMP_WORD.match(folded)
    return bool(stamp) and bool(_STAMP_TOKENS.fullmatch(
        folded[stamp.end():].replace(" ", "") or "x"))


def _is_trail(line: str) -> bool:
    """ "Home | World | Europe": two or more parts of one to three words."""
    parts = _TRAIL_SEP.split(line.strip(" |›»\u2022·"))
    return len(parts) >= 2 and len(line) <= 80 and all(0 < len(p.split()) <= 3 for p in parts)


def _is_heading(line: str) -> bool:
    """An outlet name, section label or subheading: up to four words (CJK
    characters count one each), no digit, not ending like a sentence.
    Table rows of wire copy ("Net 1,234 vs 987") have figures and stay;
    dropping a true subheading costs nothing, since every copy loses it."""
    if line.endswith(_SENTENCE_END) or any(ch.isdigit() for ch in line):
        return False
    return len(_TOKEN.findall(line)) <= _HEADING_MAX_WORDS


def dedup_text(title: str, body: str) -> str:
    """The text two copies of a story are compared on.

    The body with furniture lines removed and the leading dateline stripped,
    NFKC-normalised and casefolded, one line per kept line. Outlets add
    their own furniture and rewrite the dateline, but keep the wire text; the
    title is left out because outlets rewrite headlines. When nothing of the
    body remains (title-only feed items), the title is the text.
    """
    lines = [line.strip() for line in unicodedata.normalize("NFKC", body or "").splitlines()]
    kept = [line for line in lines if line and not _is_boilerplate(line)]
    if kept:
        kept[0] = _DATELINE.sub("", kept[0], count=1)
    text = "\n".join(_SPACE.sub(" ", line).strip() for line in kept if line.strip())
    if not text.strip():
        text = _SPACE.sub(" ", unicodedata.normalize("NFKC", title or "")).strip()
    return text.casefold()


# --- Shingles -----------------------------------------------------------------

# Words; CJK characters count one each, since those scripts write no spaces.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
_M = np.uint64(0x9E3779B97F4A7C15)       # odd multiplier of the k-gram polynomial
_LEN = np.uint64(0xC2B2AE3D27D4EB4F)     # tags a short text's shingle with its length
_F1, _F2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_token_ids: dict[str, int] = {}
_TOKEN_CACHE_MAX = 1 << 20


def _fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: every input bit reaches every output bit."""
    h = h ^ (h >> _S33)
    h *= _F1
    h ^= h >> _S33
    h *= _F2
    h ^= h >> _S33
    return h


def _token_hash(token: str) -> int:
    """A stable 64-bit hash of a word (blake2b; Python's hash() is salted)."""
    value = _token_ids.get(token)
    if value is None:
        if len(_token_ids) >= _TOKEN_CACHE_MAX:
            _token_ids.clear()
        value = int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(),
                               "little")
        _token_ids[token] = value
    return value


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
        return _fmix64(h ^ (np.array([len(ids)], dtype=np.uint64) * _LEN))
    n = len(ids) - k + 1
    h = ids[:n].copy()
    for j in range(1, k):
        h *= _M
        h += ids[j:j + n]
    return np.unique(_fmix64(h))


# --- MinHash --------------------------------------------------------------------

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
                    max_bucket: int = 1000) -> np.ndarray:
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
    empty = (sig == _EMPTY).all(axis=1)
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
        found.append(_pairs_in_runs(order, same, max_bucket))
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(found)
    pairs = np.sort(pairs, axis=1)
    codes = np.unique(pairs[:, 0] * n + pairs[:, 1])
    return np.stack([codes // n, codes % n], axis=1)


def _band_values(cols: np.ndarray) -> np.ndarray:
    """One uint64 per row for a band: exact for 1-2 rows, mixed for more."""
    key = np.zeros(len(cols), dtype=np.uint64)
    for c in range(cols.shape[1]):
        if cols.shape[1] <= 2:
            key = (key << np.uint64(32)) | cols[:, c].astype(np.uint64)
        else:
            key = _fmix64(key * _M + cols[:, c].astype(np.uint64))
    return key


def _pairs_in_runs(order: np.ndarray, same: np.ndarray, max_bucket: int) -> np.ndarray:
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
    return decide(overlap(a, b), len(a), len(b))


def decide(shared: int, n_a: int, n_b: int) -> bool:
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

    Scraped copies carry site lines the patterns of ``dedup_text`` do not
    know ("We use cookies ...", a site's own footer). Two such lines in a
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
        words = len(_TOKEN.findall(line))
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
        if decide(shared, sizes[a], sizes[b]):
            edges.append((int(a), int(b), shared / smaller))
        elif texts is not None and smaller >= MIN_SHINGLES and \
                shared >= TOLERANT_FLOOR * smaller:
            score = tolerant_containment(texts[a], texts[b], shingle_sets[a], shingle_sets[b])
            if score >= C_MIN:
                edges.append((int(a), int(b), score))
    return edges


# --- Clusters -------------------------------------------------------------------------

@dataclass(frozen=True)
class ClusterMember:
    """A story as clustering sees it.

    ``rank`` orders canonical choice, smallest first: build it with
    ``rank_key``. ``stored_cluster`` is the cluster_id of a story stored by
    an earlier run (it never changes), None for a new story.
    """

    story_id: str
    rank: tuple
    stored_cluster: Optional[str] = None


def rank_key(published: Optional[str], agency_copy: bool, story_id: str) -> tuple:
    """(published ISO stamp, 0 for the agency's own copy else 1, story_id).

    Earliest first, as in the exact-duplicate stage (transforms/dedup.py),
    so both stages pick the same canonical copy; at the same stamp (feeds
    often carry the wire's own time) the agency's own copy wins; story_id
    makes the order total. Stamps must share one format (UTC ISO 8601).
    """
    return (published or "", 0 if agency_copy else 1, story_id)


def assign_clusters(members: Iterable[ClusterMember],
                    edges: Iterable[tuple[str, str, float]]) -> dict[str, str]:
    """cluster_id of every member, from verified edges (a, b, containment).

    Stored members keep their stored cluster and attract new copies from the
    start, even ones published earlier. New members, in rank order, join the
    cluster of the canonical story they match best (highest containment,
    then best rank); a canonical story is a stored one or a new one that
    founded its cluster. A member with no edge to any canonical story
    founds its own cluster. Because only canonical stories attract, A~B and
    B~C put C with A only if C~A as well: no chaining. The result depends
    only on the members and edges, not on their order, and a component of
    the edge graph can be processed apart from the rest with the same result.
    """
    by_id: dict[str, ClusterMember] = {}
    for member in members:
        if member.story_id in by_id and by_id[member.story_id] != member:
            raise ValueError(f"story_id {member.story_id!r} given twice")
        by_id[member.story_id] = member
    neighbours: dict[str, dict[str, float]] = {sid: {} for sid in by_id}
    for a, b, score in edges:
        if a == b or a not in by_id or b not in by_id:
            continue
        neighbours[a][b] = max(score, neighbours[a].get(b, score))
        neighbours[b][a] = max(score, neighbours[b].get(a, score))

    cluster: dict[str, str] = {m.story_id: m.stored_cluster
                               for m in by_id.values() if m.stored_cluster}
    canonical = set(cluster)  # stored stories attract as their cluster
    for member in sorted((m for m in by_id.values() if not m.stored_cluster),
                         key=lambda m: (m.rank, m.story_id)):
        matches = [(-score, by_id[other].rank, other)
                   for other, score in neighbours[member.story_id].items()
                   if other in canonical]
        if matches:
            cluster[member.story_id] = cluster[min(matches)[2]]
        else:
            cluster[member.story_id] = member.story_id
            canonical.add(member.story_id)
    return cluster


def cluster_batch(ids: Sequence[str], ranks: Sequence[tuple],
                  edges: Iterable[tuple[int, int, float]],
                  stored: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """``assign_clusters`` for a batch whose edges are by position."""
    stored = stored or {}
    members = [ClusterMember(sid, rank, stored.get(sid)) for sid, rank in zip(ids, ranks)]
    return assign_clusters(members, [(ids[a], ids[b], c) for a, b, c in edges])
