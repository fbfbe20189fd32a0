"""Record coders: every record type crosses a shuffle and comes back equal,
whatever its optional fields hold."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Optional

import pytest
from apache_beam import coders

from schemas.coders import RECORD_TYPES, RecordCoder, register
from schemas.records import (
    DeadLetter,
    DedupIndexEntry,
    EntityMention,
    Extraction,
    FetchResult,
    Quote,
    Relation,
    Story,
)

UTC = timezone.utc
AT = datetime(2026, 11, 2, 13, 45, 7, 123456, tzinfo=UTC)

RECORDS = [
    Story("s1", "src", None, "https://x.org/ü", "Tïtle", "Bödy ✓ " * 50, None, None, AT,
          None, None, None, (), "h" * 32, "run"),
    Story("s2", "src", "https://x.org/rss", None, "", "", "sum", AT - timedelta(days=400), AT,
          "en", "AP", "PARIS", ("A. Writer", "B. Writer"), "h", "run", "s1", "s1"),
    Extraction("s1"),
    Extraction("s1", entities=(EntityMention("s1", "body", 0, 4, "Bödy", "ORG", "Bödy", "e1"),),
               relations=(Relation("s1", "A", "PERSON", "e2", "lead", "B", "ORG", "e3", None,
                                   "title", 0, 1),),
               quotes=(Quote("s1", None, None, "“x”", None, 3, 6),
                       Quote("s1", "A", "e2", "y", "say", 9, 10))),
    FetchResult("run", "https://x.org/rss", "x", None, False, 0, 0, 12, "timeout", AT),
    FetchResult("run", "https://x.org/rss", "x", 200, True, 3, 10**12, 5, None, AT,
                outcome="not_modified", effective_url="https://y.org/rss",
                moved_permanently=True, raw_path="raw/x.feed.gz", warning="bozo",
                body=b"\x00\xff<rss/>", language="en", content_type="text/xml"),
    DeadLetter("run", "parse", "NotAFeed", "html", "https://y.org/", None, AT),
    DedupIndexEntry("s1", "s1", AT.isoformat(), True, "2026-11-02", 40, bytes(range(256)) * 2,
                    "h", None, AT),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_every_record_comes_back_equal(record):
    coder = RecordCoder(type(record))
    assert coder.decode(coder.encode(record)) == record
    # Nested in a (key, record) pair, as it crosses the writer's shuffle.
    pair = coders.TupleCoder([coders.StrUtf8Coder(), coder])
    assert pair.decode(pair.encode(("k", record))) == ("k", record)


def test_times_keep_their_instant_and_naive_ones_stay_naive():
    coder = RecordCoder(DeadLetter)
    paris = DeadLetter("run", "s", "E", "m", "r", None,
                       datetime(2026, 11, 2, 14, 0, tzinfo=timezone(timedelta(hours=1))))
    back = coder.decode(coder.encode(paris))
    assert back.at == paris.at and back.at.utcoffset() == timedelta(0)
    naive = DeadLetter("run", "s", "E", "m", "r", None, datetime(2026, 11, 2, 14, 0))
    assert coder.decode(coder.encode(naive)).at == naive.at
    assert coder.decode(coder.encode(naive)).at.tzinfo is None


def test_registered_types_get_their_coder_and_it_survives_pickling():
    import pickle

    register()
    for record_type in RECORD_TYPES:
        coder = coders.registry.get_coder(record_type)
        assert coder == RecordCoder(record_type)
        assert coder.is_deterministic()
        assert pickle.loads(pickle.dumps(coder)) == coder


@dataclasses.dataclass(frozen=True)
class _Derived:
    name: str
    at: Optional[datetime]
    parts: tuple[Quote, ...] = ()
    upper: str = dataclasses.field(init=False, default="")

    def __post_init__(self):
        object.__setattr__(self, "upper", self.name.upper())


def test_a_field_set_after_init_comes_back_too():
    record = _Derived("wire", None, (Quote("s", None, None, "q", None, 0, 1),))
    back = RecordCoder(_Derived).decode(RecordCoder(_Derived).encode(record))
    assert back == record and back.upper == "WIRE"
