"""Entity quality of wirestream on CoNLL-2003 valid (Reuters newswire, 1996).

What it measures: the `entities` table that `wirestream run --articles FILE
--output DIR` writes, scored against the CoNLL-2003 gold mentions, with
spaCy's OntoNotes labels mapped to CoNLL's four (PERSON->PER, ORG->ORG,
GPE/LOC/FAC->LOC, NORP/EVENT/PRODUCT/WORK_OF_ART/LAW/LANGUAGE->MISC, numeric
types dropped). In the same run it scores bare spaCy (`nlp(text)` with the
model wirestream loads, no cleaning, no post-processing) over the raw texts,
so the ratio is visible.

How the corpus becomes an archive (one JSON line per -DOCSTART- document):
tokens are joined with single spaces, with light detokenisation (no space
before , . ; : ? ! ) % 's n't, none after '('), sentences with newlines, as
the wire's one-paragraph-per-line layout. The first sentence is the `title`
when the document has the Reuters layout (second or third line a dateline
ending in a date, as "LONDON 1996-08-30"); else everything is `body`. Every
token keeps its character offsets, so a predicted span is mapped back to
tokens and scored exactly (a mention is right when its token span and mapped
label equal a gold mention's).

The dateline is wire furniture: wirestream moves it out of the body into
stories.dateline, and writes its places to the entities table with field =
'dateline' and offsets into that column; they are mapped back to the
dateline's tokens through the raw dateline line.

Dedup runs before extraction: documents with identical bodies would collapse
into one cluster. Every document has its own id; only canonical stories (no
duplicate_of) are scored, and the number of non-canonical ones is printed.

    python -m benchmarks.eval_ner [--split valid|train] [--limit N] [--keep DIR]
                                  [--no-bare] [--show-errors N]

Exits 2 with one line when the corpus or the model is missing. Evaluation
data is read in place from ../shared/data (or $WIRESTREAM_DATA), never copied.
"""

from __future__ import annotations

import argparse
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from benchmarks.corpora import data_path
from benchmarks.harness import (
    TextBuilder,
    canonical_stories,
    prf,
    read_table,
    run_on_records,
    run_script,
    token_span,
)

ONTONOTES_TO_CONLL = {
    "PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC",
    "NORP": "MISC", "EVENT": "MISC", "PRODUCT": "MISC", "WORK_OF_ART": "MISC",
    "LAW": "MISC", "LANGUAGE": "MISC",
}

def load_bare_model():
    """The model exactly as wirestream's handler loads it, minus nothing:
    bare spaCy with the pipes wirestream keeps enabled."""
    import spacy

    from transforms.nlp.model import DEFAULT_MODEL, resolve_model
    return spacy.load(resolve_model(DEFAULT_MODEL))


# --------------------------------------------------------------------------
# CoNLL-2003
# --------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Conll03Doc:
    doc_id: str
    title: str
    body: str
    title_offsets: list  # token index -> (start, end) in title; None if not in title
    body_offsets: list
    title_tokens: int  # tokens [0, title_tokens) are in the title
    gold: set  # (token start, token end, label)
    dateline_tokens: Optional[tuple[int, int]]  # token range of the dateline line

    @property
    def raw_text(self) -> str:
        return f"{self.title}\n\n{self.body}" if self.title else self.body


def _iob_spans(tags: list[str]) -> set[tuple[int, int, str]]:
    spans, start, label = set(), None, None
    for i, tag in enumerate(tags + ["O"]):
        if tag == "O" or tag.startswith("B-") or (tag.startswith("I-") and tag[2:] != label):
            if start is not None:
                spans.add((start, i, label))
                start, label = None, None
            if tag != "O":
                start, label = i, tag[2:]
    return spans


def read_conll03(path: Path, limit: Optional[int] = None) -> list[Conll03Doc]:
    raw = path.read_text(encoding="utf-8")
    docs = []
    for number, chunk in enumerate(raw.split("-DOCSTART- -X- -X- O")[1:], 1):
        sentences = [[line.split() for line in block.split("\n") if line.strip()]
                     for block in chunk.strip().split("\n\n") if block.strip()]
        if not sentences:
            continue
        tokens = [[row[0] for row in s] for s in sentences]
        tags = [t for s in sentences for t in (row[-1] for row in s)]
        # Reuters layout: headline, optional byline, dateline ending in a date.
        dateline_at = next((i for i in (1, 2) if i < len(tokens)
                            and _ISO_DATE.match(tokens[i][-1])), None)
        title_b, body_b = TextBuilder(), TextBuilder()
        title_tokens = 0
        body_sentences = tokens
        if dateline_at is not None:
            title_b.add_tokens(tokens[0])
            title_tokens = len(tokens[0])
            body_sentences = tokens[1:]
        for i, sent in enumerate(body_sentences):
            if i:
                body_b.add("\n")
            body_b.add_tokens(sent)
        dateline = None
        if dateline_at is not None:
            first = sum(len(s) for s in tokens[:dateline_at])
            dateline = (first, first + len(tokens[dateline_at]))
        docs.append(Conll03Doc(
            doc_id=f"conll03-{path.stem}-{number:03d}", title=title_b.text, body=body_b.text,
            title_offsets=title_b.offsets, body_offsets=body_b.offsets,
            title_tokens=title_tokens, gold=_iob_spans(tags), dateline_tokens=dateline))
        if limit and len(docs) >= limit:
            break
    return docs


def _doc_span(doc: Conll03Doc, field_name: str, start: int, end: int):
    if field_name == "title":
        span = token_span(doc.title_offsets, start, end)
        return span
    span = token_span(doc.body_offsets, start, end)
    return (span[0] + doc.title_tokens, span[1] + doc.title_tokens) if span else None


def score(docs: list[Conll03Doc], predicted: dict[str, set]) -> dict:
    """Mention-level and document-level entity-set scores."""
    tp = n_pred = n_gold = 0
    per_label = defaultdict(lambda: [0, 0, 0])
    set_tp = set_pred = set_gold = 0
    for doc in docs:
        gold = doc.gold
        pred = predicted.get(doc.doc_id, set())
        hits = gold & pred
        tp, n_pred, n_gold = tp + len(hits), n_pred + len(pred), n_gold + len(gold)
        for _, _, label in hits:
            per_label[label][0] += 1
        for _, _, label in pred:
            per_label[label][1] += 1
        for _, _, label in gold:
            per_label[label][2] += 1
        words = [doc.title[s:e] for s, e in doc.title_offsets] + \
                [doc.body[s:e] for s, e in doc.body_offsets]

        def as_set(spans):
            return {(" ".join(words[a:b]).casefold(), label) for a, b, label in spans}
        gs, ps = as_set(gold), as_set(pred)
        set_tp, set_pred, set_gold = set_tp + len(gs & ps), set_pred + len(ps), set_gold + len(gs)
    return {"mention": prf(tp, n_pred, n_gold), "counts": (tp, n_pred, n_gold),
            "set": prf(set_tp, set_pred, set_gold),
            "labels": {k: prf(*v) for k, v in sorted(per_label.items())}}


def bare_predictions(nlp, docs: list[Conll03Doc]) -> dict[str, set]:
    out = {}
    texts = [d.raw_text for d in docs]
    for doc, parsed in zip(docs, nlp.pipe(texts, batch_size=64)):
        spans = set()
        body_base = len(doc.title) + 2 if doc.title else 0
        for ent in parsed.ents:
            label = ONTONOTES_TO_CONLL.get(ent.label_)
            if not label:
                continue
            if doc.title and ent.end_char <= len(doc.title):
                span = _doc_span(doc, "title", ent.start_char, ent.end_char)
            elif ent.start_char >= body_base:
                span = _doc_span(doc, "body", ent.start_char - body_base, ent.end_char - body_base)
            else:
                span = None
            if span:
                spans.add((span[0], span[1], label))
        out[doc.doc_id] = spans
    return out


def pipeline_predictions(docs: list[Conll03Doc], output: Path) -> tuple[dict[str, set], list[Conll03Doc]]:
    """Predicted mentions of canonical stories and the docs they cover."""
    stories = canonical_stories(output)
    by_doc = {d.doc_id: d for d in docs}
    kept = [d for d in docs if d.doc_id in stories]
    predicted: dict[str, set] = {d.doc_id: set() for d in kept}
    for row in read_table(output, "entities"):
        doc = by_doc.get(row["story_id"])
        label = ONTONOTES_TO_CONLL.get(row["label"])
        if doc is None or doc.doc_id not in predicted or not label:
            continue
        stored = stories[doc.doc_id]
        start, end = row["start_char"], row["end_char"]
        if row["field"] == "dateline":
            span = _dateline_span(doc, stored["dateline"], start, end)
        else:
            text = stored["title"] if row["field"] == "title" else stored["body"]
            raw = doc.title if row["field"] == "title" else doc.body
            if text != raw:
                # The stored body is the cleaned text: map its offsets back
                # into the raw body through the text they spell (cleaning
                # only cuts).
                shift = _cleaned_shift(raw, text)
                if shift is None:
                    continue
                start, end = start + shift, end + shift
            span = _doc_span(doc, row["field"], start, end)
        if span:
            predicted[doc.doc_id].add((span[0], span[1], label))
    return predicted, kept


def _dateline_span(doc: Conll03Doc, dateline: Optional[str], start: int, end: int):
    """Tokens of a mention in stories.dateline (offsets into that column),
    found through the raw dateline line the column was cut from."""
    if not dateline or doc.dateline_tokens is None:
        return None
    first, last = (i - doc.title_tokens for i in doc.dateline_tokens)
    line_start, line_end = doc.body_offsets[first][0], doc.body_offsets[last - 1][1]
    at = doc.body.find(dateline, line_start, line_end)
    if at < 0:
        return None
    return _doc_span(doc, "body", at + start, at + end)


def _cleaned_shift(raw: str, cleaned: str) -> Optional[int]:
    """Where the cleaned body starts in the raw one, when cleaning cut a
    prefix only (the dateline); None when it changed more than that."""
    at = raw.find(cleaned)
    return at if at >= 0 else None


def print_scores(label: str, result: dict) -> None:
    p, r, f = result["mention"]
    sp, sr, sf = result["set"]
    tp, n_pred, n_gold = result["counts"]
    per = "  ".join(f"{k} {v[2]:.3f}" for k, v in result["labels"].items())
    print(f"{label:<38} mention P {p:.3f} R {r:.3f} F1 {f:.3f} "
          f"(tp {tp}, pred {n_pred}, gold {n_gold}) | doc-set F1 {sf:.3f} | {per}")


def print_errors(docs: list[Conll03Doc], predicted: dict[str, set], n: int) -> None:
    """Missed and spurious mentions per label, a wrong label or boundary
    shown next to the gold mention it overlaps."""
    missed, spurious = defaultdict(list), defaultdict(list)
    for doc in docs:
        words = [doc.title[s:e] for s, e in doc.title_offsets] + \
                [doc.body[s:e] for s, e in doc.body_offsets]
        gold, pred = doc.gold, predicted.get(doc.doc_id, set())

        def show(a, b):
            return " ".join(words[a:b])

        def context(a, b):
            return " ".join(words[max(0, a - 6):a] + ["["] + words[a:b] + ["]"] + words[b:b + 6])
        for a, b, label in sorted(gold - pred):
            near = [f"{show(c, d)}/{lab}" for c, d, lab in pred if c < b and a < d]
            missed[label].append(f"{show(a, b)!r} -> {near or 'nothing'} | {context(a, b)}")
        for a, b, label in sorted(pred - gold):
            if not any(c < b and a < d for c, d, _ in gold):
                spurious[label].append(f"{show(a, b)!r} | {context(a, b)}")
    for label in sorted(set(missed) | set(spurious)):
        print(f"--- {label}: {len(missed[label])} missed, {len(spurious[label])} spurious "
              f"(no gold overlap)")
        for line in missed[label][:n]:
            print("  missed  ", line)
        for line in spurious[label][:n]:
            print("  spurious", line)


def evaluate(limit: Optional[int] = None, keep: Optional[str] = None,
             bare: bool = True, split: str = "valid", show_errors: int = 0) -> dict:
    path = data_path("conll2003", f"{split}.txt")
    docs = read_conll03(path, limit)
    records = [{"id": d.doc_id, "title": d.title, "body": d.body,
                "published": "1996-08-30T00:00:00Z", "source": "conll2003-valid"}
               for d in docs]
    results = {}
    with run_on_records(records, keep) as output:
        predicted, kept = pipeline_predictions(docs, output)
        lost = len(docs) - len(kept)
        print(f"corpus: CoNLL-2003 {split}, {len(docs)} documents, "
              f"{sum(len(d.gold) for d in docs)} gold mentions; "
              f"{sum(1 for d in docs if d.title)} with a title; "
              f"{lost} not canonical after dedup (not scored)")
        if bare:
            nlp = load_bare_model()
            results["bare"] = score(kept, bare_predictions(nlp, kept))
            print_scores("bare en_core_web_sm (raw text)", results["bare"])
        results["pipeline"] = score(kept, predicted)
        print_scores("wirestream entities table", results["pipeline"])
        if show_errors:
            print_errors(kept, predicted, show_errors)
        if bare:
            ratio = results["pipeline"]["mention"][2] / max(results["bare"]["mention"][2], 1e-9)
            print(f"mention F1 ratio wirestream / bare: {ratio:.3f}")
    return results


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="only the first N documents")
    parser.add_argument("--keep", help="keep the archive and output in this directory")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare spaCy baseline")
    parser.add_argument("--split", choices=("valid", "train"), default="valid",
                        help="valid is the gate; train is the held-out check for rules "
                             "tuned on valid (no model is trained on either)")
    parser.add_argument("--show-errors", type=int, default=0, metavar="N",
                        help="print N missed and N spurious mentions of each label")
    args = parser.parse_args(argv)
    evaluate(args.limit, args.keep, bare=not args.no_bare, split=args.split,
             show_errors=args.show_errors)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    run_script(main)
