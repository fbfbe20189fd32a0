"""wirestream's stages, one package each: fetch, text, dedup, nlp, lake.

Each stage package holds its logic in plain modules that do not import Beam,
and its PTransforms and DoFns in one `transforms.py`. A package exports its
composites lazily (`stage_exports`), so importing a plain module, say
`transforms.text.markup`, does not load Beam.
"""

from __future__ import annotations

import importlib


def stage_exports(package: str, exports: dict[str, str]):
    """A module `__getattr__` that imports each exported name on first use.

    `exports` maps a name to the module (relative to `package`) defining it.
    """

    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{exports[name]}"), name)

    return __getattr__
