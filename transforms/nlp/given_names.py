"""Given names, from the per-country person providers of Faker (a
maintained package): tens of thousands of first names in Latin script,
which tell "Jeff Tarango" (a person the small model calls an organisation)
from "Ssangbangwool Group". Faker's generic `en` list is left out: it is
every name ever registered in the US, "General", "Royal" and "China" among
them."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from transforms.nlp.list_cache import cached


def _latin_name(name: object) -> bool:
    return isinstance(name, str) and len(name) > 1 and name[:1].isupper() and \
        all((c.isalpha() and ord(c) < 0x250) or c in "-'" for c in name)


@lru_cache(maxsize=1)
def given_names() -> frozenset:
    """Every Latin-script first name of Faker's country locales; empty when
    Faker is not installed (a declared dependency).

    A per-process cache, safe under Beam: pure (from installed packages
    alone, so every worker builds the same value) and a frozenset, so the threads
    sharing a worker's model share it. `model.warm_caches` builds it early,
    from the disk copy `list_cache` keeps when there is one.
    """
    return frozenset(cached("given_names", ("Faker",), _latin_given_names))


def _latin_given_names() -> list:
    try:
        import faker.providers.person as person
    except ImportError:  # pragma: no cover
        return []
    names: set = set()
    for module in pkgutil.iter_modules(person.__path__):
        if not module.ispkg or module.name == "en":
            continue
        try:
            provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        except (ImportError, AttributeError):
            continue
        for attr in ("first_names", "first_names_male", "first_names_female"):
            value = getattr(provider, attr, None)
            if hasattr(value, "keys"):
                value = value.keys()
            if isinstance(value, (list, tuple, set, frozenset, type({}.keys()))):
                names.update(n for n in value if _latin_name(n))
    return sorted(names)
