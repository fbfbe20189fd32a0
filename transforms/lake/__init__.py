"""The lake: every path under OUTPUT (`paths`) and the table writer."""

from transforms import stage_exports

_EXPORTS = {"WriteTables": "transforms"}
__all__ = sorted(_EXPORTS)
__getattr__ = stage_exports(__name__, _EXPORTS)
