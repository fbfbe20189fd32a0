"""Beam coders for the record types of `schemas.records`.

A PCollection without a type hint crosses a shuffle through Beam's
FastPrimitivesCoder, which pickles a dataclass: every element carries its
class's import path and the name of every field. `RecordCoder` sends only
the field values, in declaration order, as one tuple through the same
(compiled) FastPrimitivesCoder; only datetimes (which that coder would
pickle) become microseconds and nested records become tuples of their own.
The field order comes from the record class, so there is no second field
list to keep in step. Kept apart from `schemas.records` so that importing a
record does not load Beam.

`register()` (idempotent) tells Beam's registry; a PCollection then needs
its type, e.g. `.with_output_types(tuple[tuple[str, str], Story])`.
"""

from __future__ import annotations

import dataclasses
import operator
import types
import typing
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional

from apache_beam import coders

from schemas import records

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)

Convert = Callable[[Any], Any]


def _to_micros(value: Optional[datetime]):
    # A naive datetime, which no stage should make, is left to the pickling
    # fallback rather than silently given a zone.
    if value is None or value.tzinfo is None:
        return value
    return (value - _EPOCH) // _MICROSECOND


def _from_micros(value):
    if value is None or isinstance(value, datetime):
        return value
    return _EPOCH + timedelta(microseconds=value)


def _unwrap(hint: Any) -> Any:
    """X of Optional[X]; HINT itself otherwise."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        present = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(present) == 1:
            return present[0]
    return hint


def _field_conversion(hint: Any) -> Optional[tuple[Convert, Convert]]:
    """(to wire, from wire) for a field the primitives coder cannot take as
    it is; None for one it can (str, int, bool, bytes, tuples of those)."""
    hint = _unwrap(hint)
    if hint is datetime:
        return _to_micros, _from_micros
    args = typing.get_args(hint)
    if typing.get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis \
            and dataclasses.is_dataclass(args[0]):
        to_tuple, from_tuple = _record_conversion(args[0])
        return (lambda values: tuple(map(to_tuple, values)),
                lambda values: tuple(map(from_tuple, values)))
    if dataclasses.is_dataclass(hint):
        to_tuple, from_tuple = _record_conversion(hint)
        return (lambda v: None if v is None else to_tuple(v),
                lambda v: None if v is None else from_tuple(v))
    return None


def _record_conversion(record_type: type) -> tuple[Convert, Convert]:
    """A record to the tuple of its (converted) field values, and back."""
    hints = typing.get_type_hints(record_type)
    # Every field, init or not: decoding sets them all, as unpickling does.
    names = [f.name for f in dataclasses.fields(record_type)]
    get_values = operator.attrgetter(*names)
    converted = [(i, *conversion) for i, name in enumerate(names)
                 if (conversion := _field_conversion(hints[name])) is not None]

    def to_tuple(record) -> tuple:
        values = get_values(record)
        if len(names) == 1:
            values = (values,)
        if converted:
            values = list(values)
            for i, to_wire, _ in converted:
                values[i] = to_wire(values[i])
            values = tuple(values)
        return values

    def from_tuple(values):
        if converted:
            values = list(values)
            for i, _, from_wire in converted:
                values[i] = from_wire(values[i])
        # As unpickling does: the values were a valid record when encoded,
        # and a frozen dataclass's __init__ costs a setattr call per field.
        record = record_type.__new__(record_type)
        record.__dict__.update(zip(names, values))
        return record

    return to_tuple, from_tuple


class RecordCoder(coders.Coder):
    """The field values of one frozen dataclass record type, in order."""

    def __init__(self, record_type: type):
        self._type = record_type
        self._to_tuple, self._from_tuple = _record_conversion(record_type)
        self._values = coders.FastPrimitivesCoder().get_impl()

    @classmethod
    def from_type_hint(cls, typehint, unused_registry):
        return cls(typehint)

    def encode(self, value) -> bytes:
        return self._values.encode(self._to_tuple(value))

    def decode(self, encoded: bytes):
        return self._from_tuple(self._values.decode(encoded))

    def is_deterministic(self) -> bool:
        return True

    def to_type_hint(self):
        return self._type

    def __eq__(self, other):
        return type(other) is type(self) and other._type is self._type

    def __hash__(self):
        return hash((type(self), self._type))

    def __reduce__(self):
        # Rebuilt from the type where it is unpickled (closures do not pickle).
        return RecordCoder, (self._type,)


# The records that cross the writer's shuffle.
RECORD_TYPES = (records.Story, records.Extraction, records.FetchResult,
                records.DeadLetter, records.DedupIndexEntry)


def register() -> None:
    for record_type in RECORD_TYPES:
        coders.registry.register_coder(record_type, RecordCoder)
