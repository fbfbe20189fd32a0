"""Text stage: feed bytes and archive lines to clean stories."""

from transforms import stage_exports

_EXPORTS = {"DropTooLate": "transforms", "ParseFeeds": "transforms",
            "ReadArchive": "transforms"}
__all__ = sorted(_EXPORTS)
__getattr__ = stage_exports(__name__, _EXPORTS)
