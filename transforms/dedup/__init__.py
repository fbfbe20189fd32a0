"""Dedup stage: one row per story_id, every copy of a story in one cluster."""

from transforms import stage_exports

_EXPORTS = {"Deduplicate": "transforms", "ReadDedupIndex": "transforms",
            "StoredStory": "fingerprints", "DEFAULT_RETENTION_DAYS": "index",
            "prune_index": "index"}
__all__ = sorted(_EXPORTS)
__getattr__ = stage_exports(__name__, _EXPORTS)
