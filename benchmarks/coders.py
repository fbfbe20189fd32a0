"""What a record costs to cross a shuffle: Beam's default coder for an
untyped PCollection (FastPrimitivesCoder, which pickles dataclasses) against
`schemas.coders.RecordCoder`, on the writer's elements.

    python -m benchmarks.coders [--stories 5000] [--repeat 3]

Stories are Reuters-21578 records made into Story values as the archive
reader would store them (text as given); extractions are synthetic, 30
entity mentions, 4 relations and 2 quotes per story, cut from its body.
Prints bytes per element and encode/decode time per element, best of
`--repeat`, for each coder.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone

from apache_beam import coders

from benchmarks.corpora import iter_reuters
from schemas.coders import RecordCoder
from schemas.records import EntityMention, Extraction, Quote, Relation, Story

FETCHED = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)


def stories(count: int) -> list[Story]:
    found = []
    for i, record in enumerate(iter_reuters(count)):
        published = record.get("published")
        found.append(Story(
            story_id=f"{i:024x}", source=record["source"], feed_url=None, url=None,
            title=record.get("title") or "", body=record.get("body") or "",
            summary=None,
            published_at=datetime.fromisoformat(published) if published else None,
            fetched_at=FETCHED, language="en", agency="Reuters", dateline=None,
            authors=tuple(record.get("authors") or ()), content_hash=f"{i:032x}",
            run_id="20261202T080000Z-abcdef", cluster_id=f"{i:024x}"))
    return found


def extraction(story: Story) -> Extraction:
    words = story.body.split() or ["x"]

    def span(k: int) -> tuple[int, int, str]:
        word = words[k % len(words)]
        start = story.body.find(word)
        return start, start + len(word), word

    entities = tuple(EntityMention(story.story_id, "body", *span(k), "ORG", span(k)[2],
                                   f"e{k:015x}") for k in range(30))
    relations = tuple(Relation(story.story_id, span(k)[2], "PERSON", f"e{k:015x}", "lead",
                               span(k + 1)[2], "ORG", f"e{k + 1:015x}", "works_for",
                               "body", *span(k)[:2]) for k in range(4))
    quotes = tuple(Quote(story.story_id, span(k)[2], f"e{k:015x}",
                         " ".join(words[k:k + 20]), "say", *span(k)[:2]) for k in range(2))
    return Extraction(story.story_id, entities, relations, quotes)


def measure(coder: coders.Coder, values: list, repeat: int) -> tuple[float, float, float]:
    """(bytes, encode us, decode us) per element, times best of REPEAT."""
    impl = coder.get_impl()
    encoded = [impl.encode_nested(v) for v in values]
    assert [impl.decode_nested(e) for e in encoded] == values, coder
    best_encode = best_decode = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        encoded = [impl.encode_nested(v) for v in values]
        best_encode = min(best_encode, time.perf_counter() - start)
        start = time.perf_counter()
        for e in encoded:
            impl.decode_nested(e)
        best_decode = min(best_decode, time.perf_counter() - start)
    size = sum(map(len, encoded))
    n = len(values)
    return size / n, best_encode / n * 1e6, best_decode / n * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    story_values = stories(args.stories)
    key = coders.TupleCoder([coders.StrUtf8Coder(), coders.StrUtf8Coder()])
    cases = {
        "Story": (story_values, Story),
        "Extraction": ([extraction(s) for s in story_values], Extraction),
    }
    print(f"{len(story_values)} Reuters stories, mean body "
          f"{sum(len(s.body) for s in story_values) / len(story_values):.0f} chars")
    print(f"{'element':<32}{'coder':<22}{'bytes':>9}{'encode us':>11}{'decode us':>11}")
    for name, (values, record_type) in cases.items():
        # The writer's element: ((table, day), record).
        elements = [((name.lower(), "2026-11-02"), v) for v in values]
        default = coders.registry.get_coder(object)
        typed = coders.TupleCoder([key, RecordCoder(record_type)])
        results = {"default (pickle)": measure(default, elements, args.repeat),
                   "RecordCoder": measure(typed, elements, args.repeat)}
        for coder_name, (size, encode, decode) in results.items():
            print(f"{'(key, ' + name + ')':<32}{coder_name:<22}{size:>9.0f}"
                  f"{encode:>11.1f}{decode:>11.1f}")
        (size0, enc0, dec0), (size1, enc1, dec1) = results.values()
        print(f"{'':<32}{'typed / default':<22}{size1 / size0:>9.2f}"
              f"{enc1 / enc0:>11.2f}{dec1 / dec0:>11.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
