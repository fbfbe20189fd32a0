"""Extraction stage: entities, relations and quotes with spaCy, once per cluster."""

from transforms import stage_exports

_EXPORTS = {"Extract": "transforms", "DEFAULT_MODEL": "model",
            "ModelNotFound": "model", "resolve_model": "model"}
__all__ = sorted(_EXPORTS)
__getattr__ = stage_exports(__name__, _EXPORTS)
