"""What the extraction guard (transforms/nlp/guard.py) saves, measured.

1. spaCy's tokenizer on a run of ")" with no space, as given and as the
   guard hands it to the model (long punctuation runs blanked).
2. The rules on N short quotations with no full stop, parsed as one
   sentence and with sentences cut by `cap_sentences`.
3. One long story of the sample's prose through `SpacyModelHandler`, as
   RunInference runs it (pieces, limits, the sentence cap): wall time and
   characters per second.

Usage: python -m benchmarks.extract_guard [--run 4000] [--quotes 1000] [--story 1000000]
Wall-clock figures on a shared machine: print, never assert.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timezone
from pathlib import Path

from schemas.records import Story
from transforms.nlp import guard
from transforms.nlp.extract import extract
from transforms.nlp.model import SpacyModelHandler, resolve_model, warm_caches

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sample" / "archive.jsonl"


def _story(story_id: str, body: str) -> Story:
    now = datetime.now(timezone.utc)
    return Story(story_id=story_id, source="bench", feed_url=None, url=None, title="",
                 body=body, summary=None, published_at=now, fetched_at=now, language="en",
                 agency=None, dateline=None, authors=(), content_hash="", run_id="bench")


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def tokenizer(nlp, n: int) -> None:
    text = "x" + ")" * n
    _, raw = _timed(lambda: nlp.make_doc(text))
    _, guarded = _timed(lambda: nlp.make_doc(guard.blank_long_runs(text)))
    print(f'tokenizer, "x" + {n:,} ")"   as given {raw:8.2f} s   guarded {guarded:8.4f} s')


def quote_rules(nlp, n: int) -> None:
    story = _story("quotes", '"a b c d" ' * n)
    text = guard.piece_text(guard.Piece(story, 0))
    for label, cap in (("one sentence", False), ("sentences cut", True)):
        doc = nlp.make_doc(text)
        if cap:
            guard.cap_sentences(doc)
        doc = next(iter(nlp.pipe([doc])))
        longest = max(len(s) for s in doc.sents)
        found, seconds = _timed(lambda: extract(story, doc))
        print(f"quote rules, {n:,} quotations, {label:13}  longest sentence {longest:6,} tokens"
              f"  rules {seconds:7.2f} s  quotes {len(found.quotes)}")


def long_story(handler, model, size: int) -> None:
    records = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    prose = "".join(r["body"].strip() + "\n\n" for r in records)
    story = _story("long", (prose * (size // len(prose) + 1))[:size])
    plan = guard.plan(story, handler._limits)
    [result], seconds = _timed(lambda: list(handler.run_inference([story], model)))
    outcome = result.inference
    extraction = getattr(outcome, "extraction", outcome)
    print(f"story of {size:,} characters: {len(plan.pieces)} pieces, {plan.read_chars:,} read, "
          f"{seconds:.1f} s ({plan.read_chars / seconds:,.0f} characters/s), "
          f"{type(outcome).__name__}, {len(getattr(extraction, 'entities', ())):,} entities")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=int, default=4000)
    parser.add_argument("--quotes", type=int, default=1000)
    parser.add_argument("--story", type=int, default=1_000_000)
    args = parser.parse_args(argv)

    import spacy

    nlp = spacy.load(resolve_model("en_core_web_sm"))
    warm_caches()
    tokenizer(nlp, args.run)
    quote_rules(nlp, args.quotes)
    handler = SpacyModelHandler("en_core_web_sm")
    model = handler.load_model()
    long_story(handler, model, args.story)


if __name__ == "__main__":
    main()
