"""Dedup stage: one row per story_id, every copy of a story in one cluster.

How two stories become one cluster, module by module (all plain, no Beam,
except `transforms`):

1. `furniture.dedup_text`: the body without site furniture (advertisement
   markers, "Read more", share bars, captions and photo credits, bylines,
   copyright and "Reporting by" lines) and without its leading dateline,
   casefolded. Copies of one wire story differ mostly there.
2. `minhash`: the set of hashed word 5-grams of that text (``shingles``),
   its 128 min-hashes (``MinHasher``) and 64 LSH band keys of 2 rows
   (``band_keys``): stories sharing a band key are candidates.
   `candidates` finds a batch run's pairs in key shards of about 2,000
   stories' keys each, the same pairs as grouping every key on its own.
3. `verify`: a candidate pair is one story when the shorter text is at
   least ``C_MIN`` contained in the longer, unknown furniture lines set
   aside; the thresholds and why they have their values are there.
4. `clusters.assign_clusters`: in canonical rank order (earliest published,
   then the agency's own copy, then story_id) each story joins the
   best-matching canonical story it has a verified edge with, or founds its
   own cluster; no chaining, stored clusters never move. A connected
   component of the verified edges is clustered apart from the rest
   (`assign_by_component`; `transforms` keys edges by component), with the
   same result as all at once.

`fingerprints` holds what dedup knows of one story (fingerprint, candidate
keys, index entry), `index` the dedup index kept across runs, and
`transforms` the Beam composites that wire it all (`Deduplicate` for a
batch, `DeduplicateStream` for a stream, whose keyed state is a
`stream_index.StreamIndex`). The same
plain functions run in-process for benchmarks/eval_dedup.py and
benchmarks/dedup.py.
"""

from transforms import stage_exports

_EXPORTS = {"Deduplicate": "transforms", "DeduplicateStream": "transforms",
            "ReadDedupIndex": "transforms", "ReadStoredIds": "transforms",
            "StoredStory": "fingerprints", "DEFAULT_RETENTION_DAYS": "index",
            "prune_index": "index"}
__all__ = sorted(_EXPORTS)
__getattr__ = stage_exports(__name__, _EXPORTS)
