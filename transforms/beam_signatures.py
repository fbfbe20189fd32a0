"""One `inspect.signature` per function for Beam's DoFn introspection.

Beam asks for the signature of every method of a DoFn each time it checks
whether the DoFn is stateful (`userstate.get_dofn_specs`: when a ParDo is
made, when the graph is turned into its protos, twice per stage when a
worker builds a bundle processor), and again for type hints. Every ask
re-runs `inspect.signature` on the same few hundred functions: 1.2-1.5 s
of a run that finds 1,000 stories already stored (7.2 s -> 5.9 s on this
machine), and again in every worker process.

A signature depends only on the function (a bound method's, on its
underlying function: the bound argument is left out whatever it is bound
to), so it is kept per function, weakly, so that functions built per pipeline (lambdas, closures)
are not kept alive by it. Anything else (builtins, partials, classes) goes
to Beam's own `get_signature` every time.
"""

from __future__ import annotations

import types
import weakref

import apache_beam.transforms.core as _core
import apache_beam.transforms.ptransform as _ptransform
import apache_beam.typehints.decorators as _decorators

_beam_get_signature = _decorators.get_signature
_plain: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_bound: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def get_signature(func):
    """Beam's `get_signature(func)`, computed once per function."""
    if isinstance(func, types.MethodType) and isinstance(func.__func__, types.FunctionType):
        cache, key = _bound, func.__func__
    elif isinstance(func, types.FunctionType):
        cache, key = _plain, func
    else:
        return _beam_get_signature(func)
    signature = cache.get(key)
    if signature is None:
        signature = cache[key] = _beam_get_signature(func)
    return signature


def install() -> None:
    """Point the Beam modules that look signatures up at the cache (each
    imported `get_signature` by name). Idempotent."""
    for module in (_decorators, _core, _ptransform):
        module.get_signature = get_signature


install()
