"""Benchmark of the near-duplicate stage: ours (transforms/dedup) vs datasketch.

20,000 real stories: the 19,043 Reuters-21578 stories that have a body, then
the first 957 again under new ids (exact copies, which the stage must join).
Both sides get the same shingles (dedup_text + shingles, computed once and
timed apart, excluded from both) and run the same stage:

- ours: MinHasher.signatures (NumPy, all documents at once), candidate_pairs
  (64 bands x 2 rows), near_duplicate_edges (prefilter on estimated
  containment, exact and furniture-tolerant verification), cluster_batch.
- datasketch: MinHash.bulk (update_batch per document, shared permutations)
  on the shingles' 32-bit values with an identity hash function,
  MinHashLSH(params=(64, 2)) insert + query for candidates, then the same
  verification and clustering functions as ours.

Agreement: over the union of both methods' candidate pairs, the share of
pairs on which the two make the same decision (verified edge or not), and the
share of stories given the same cluster_id. For reference it also times
datasketch out of the box (MinHashLSH(threshold=0.5): 25 bands x 5 rows), and
rensa's NumPy-buffer MinHash when rensa is installed (signatures only).

    python -m benchmarks.dedup [--stories 20000] [--no-reference]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.corpora import iter_reuters
from benchmarks.eval_dedup import datasketch_minhashes, lsh_pairs
from benchmarks.harness import run_script
from transforms.dedup.clusters import cluster_batch, rank_key
from transforms.dedup.furniture import dedup_text
from transforms.dedup.minhash import NUM_PERM, MinHasher, candidate_pairs, shingles
from transforms.dedup.verify import near_duplicate_edges


def load(n: int) -> list[dict]:
    records = list(iter_reuters())
    out = list(records[:n])
    k = 0
    while len(out) < n:
        copy = dict(records[k % len(records)])
        copy["id"] = f"{copy['id']}#{k // len(records) + 2}"
        out.append(copy)
        k += 1
    return out


def ours(ids, ranks, texts, sets) -> tuple[dict, np.ndarray, set, dict]:
    t = {}
    t0 = time.perf_counter()
    sigs = MinHasher().signatures(sets)
    t1 = time.perf_counter()
    pairs = candidate_pairs(sigs)
    t2 = time.perf_counter()
    edges = near_duplicate_edges(sets, sigs, pairs=pairs, texts=texts)
    t3 = time.perf_counter()
    clusters = cluster_batch(ids, ranks, edges)
    t4 = time.perf_counter()
    t.update(signatures=t1 - t0, candidates=t2 - t1, verify=t3 - t2, cluster=t4 - t3,
             total=t4 - t0)
    return t, pairs, {(a, b) for a, b, _ in edges}, clusters


def datasketch_stage(ids, ranks, texts, sets, values, params=(64, 2),
                     threshold=None, verify=True):
    from datasketch import MinHashLSH

    t = {}
    t0 = time.perf_counter()
    minhashes = datasketch_minhashes(values, NUM_PERM)
    t1 = time.perf_counter()
    lsh = MinHashLSH(num_perm=NUM_PERM, threshold=threshold) if threshold else \
        MinHashLSH(num_perm=NUM_PERM, params=params)
    pairs = lsh_pairs(lsh, minhashes, values)
    t2 = time.perf_counter()
    t.update(signatures=t1 - t0, candidates=t2 - t1)
    if not verify:
        t["total"] = t2 - t0
        return t, pairs, None, None
    sigs = np.vstack([m.hashvalues for m in minhashes]).astype(np.uint32)
    cand = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    edges = near_duplicate_edges(sets, sigs, pairs=cand, texts=texts)
    t3 = time.perf_counter()
    clusters = cluster_batch(ids, ranks, edges)
    t4 = time.perf_counter()
    t.update(verify=t3 - t2, cluster=t4 - t3, total=t4 - t0)
    return t, pairs, {(a, b) for a, b, _ in edges}, clusters


def _fmt(t: dict) -> str:
    return "  ".join(f"{k} {v:.3f}s" for k, v in t.items())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=20_000)
    parser.add_argument("--no-reference", action="store_true",
                        help="skip datasketch threshold=0.5 and rensa timings")
    args = parser.parse_args(argv)
    records = load(args.stories)
    n = len(records)
    ids = [r["id"] for r in records]
    ranks = [rank_key(r["published"], True, r["id"]) for r in records]

    t0 = time.perf_counter()
    texts = [dedup_text(r["title"], r["body"]) for r in records]
    t1 = time.perf_counter()
    sets = [shingles(x) for x in texts]
    t2 = time.perf_counter()
    values = [s >> np.uint64(32) for s in sets]  # datasketch's 32-bit input
    print(f"{n} stories (Reuters-21578, {n - min(n, 19043)} repeated under new ids), "
          f"{sum(len(s) for s in sets)} shingles")
    print(f"shared input, excluded from both: dedup_text {t1 - t0:.3f}s, "
          f"shingles {t2 - t1:.3f}s ({n / (t2 - t0):.0f} docs/s)")

    ds_t, ds_pairs, ds_edges, ds_clusters = datasketch_stage(ids, ranks, texts, sets, values)
    our_t, our_pairs, our_edges, our_clusters = ours(ids, ranks, texts, sets)
    print(f"ours       : {n / our_t['total']:9.0f} docs/s  {_fmt(our_t)}")
    print(f"datasketch : {n / ds_t['total']:9.0f} docs/s  {_fmt(ds_t)}")
    ds_lsh = ds_t["signatures"] + ds_t["candidates"]
    our_lsh = our_t["signatures"] + our_t["candidates"]
    print(f"speedup    : {ds_t['total'] / our_t['total']:.1f}x whole stage, "
          f"{ds_lsh / our_lsh:.1f}x signatures + candidates")

    union = {tuple(map(int, p)) for p in our_pairs} | ds_pairs
    same = sum(1 for p in union if (p in our_edges) == (p in ds_edges))
    both = len(our_edges & ds_edges)
    print(f"agreement  : {same}/{len(union)} candidate pairs of either method decided alike "
          f"({same / len(union):.4f}); edges ours {len(our_edges)}, datasketch "
          f"{len(ds_edges)}, both {both}; same cluster_id for "
          f"{sum(our_clusters[i] == ds_clusters[i] for i in ids)}/{n} stories")

    if not args.no_reference:
        ref_t, ref_pairs, _, _ = datasketch_stage(ids, ranks, texts, sets, values,
                                                  threshold=0.5, verify=False)
        print(f"reference  : datasketch out of the box (threshold=0.5, 25x5), signatures + "
              f"LSH only: {n / ref_t['total']:.0f} docs/s ({_fmt(ref_t)}), "
              f"{len(ref_pairs)} pairs returned")
        try:
            import rensa
        except ImportError:
            print("reference  : rensa not installed (pip install rensa to time it)")
        else:
            flat = np.concatenate(sets)
            offsets = np.concatenate(([0], np.cumsum([len(s) for s in sets]))).astype(np.uint64)
            t = time.perf_counter()
            rensa.RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets, NUM_PERM, 42)
            print(f"reference  : rensa {getattr(rensa, '__version__', '')} "
                  f"digest_matrix_from_flat_token_hashes, signatures only: "
                  f"{time.perf_counter() - t:.3f}s (ours {our_t['signatures']:.3f}s)")
    return 0


if __name__ == "__main__":
    run_script(main)
