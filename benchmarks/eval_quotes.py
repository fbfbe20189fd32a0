"""Quote speaker attribution of wirestream, scored against hand labels on
real wire stories.

Corpus: a fixed, seeded sample of Reuters-21578 stories that contain
quotations (real Reuters wire copy, 1987; evaluation only, read in place from
../shared/data or $WIRESTREAM_DATA) plus the 24 GUM Wikinews articles (CC BY).
All of them go through the real pipeline in one run (`wirestream run
--articles ARCHIVE --output DIR`) and the `quotes` table it writes is scored.

Reuters sample: stories with a distinct body under 4,000 characters holding
at least two straight-quoted passages of four or more words, in file order;
`random.Random(21578).sample(..., 40)`. GUM: every article, as
benchmarks/eval_coref.py builds the archive record.

Labels (benchmarks/labels/quotes_reuters.jsonl, quotes_gum.jsonl) hold only
ids, offsets, speaker names and verbs, never story text: one JSON object per
quotation with `story_id`, `offset` (character offset of the opening
quotation mark in the *source text*: the Reuters record's body as
benchmarks/corpora.iter_reuters yields it; for GUM the body paragraphs
joined by blank lines, headings and captions left out), `speaker`
and `verb`. At run time the label is mapped to the stored body by finding the
(following) words of the source text there, so the labels never contain them.

Labelling guideline (the annotator read every story in full):

- A quotation is a passage between an opening quotation mark and its closing
  mark, or the end of its paragraph when a quotation goes on in the next one
  (each paragraph of a multi-paragraph quote is its own quotation). Passages
  of fewer than four words are not labelled (scare quotes, names, terms). A
  quoted name or title of four words or more (a headline, a web site, a
  robot's name) is labelled with speaker "none", unless the text says who
  coined or wrote it ("Ingram dubbed the conflict: "..."": Ingram, dub).
- speaker: who the text says spoke or wrote these words, as the full name the
  story gives (the fullest form in the story, "James Baker" for "Baker said"
  after "Treasury Secretary James Baker"). A pronoun speaker ("he said") is
  resolved to the person the pronoun refers to. When the speaker is an
  unnamed spokesman, official or statement of an organisation ("a Chrysler
  spokesman said", "the company said in a statement"), the speaker is that
  organisation as named in the story; an unnamed person of no named
  organisation ("one analyst said", "industry sources said") is "none", as is
  a quotation whose speaker the text does not give. A quotation with no
  attribution of its own that continues the previous speaker's quotation
  (the next sentence or paragraph of the same speech) gets that speaker.
  Alternatives are separated by "|" where the story names one speaker two
  ways (a ministry and its minister).
- verb: the lemma of the reporting verb tying the speaker to the quotation
  ("say", "tell", "add"), or of the verb the quotation hangs from when there
  is none ("dismissed the claims as "..."": dismiss; "quoted X as saying":
  say); "according to" for "according to X"; for a
  continued quotation, the verb of the quotation it continues; "none" when
  the speaker is none.

Scoring, per labelled quotation: found when a quotes row starts within two
characters of the labelled quotation's first character (or contains it);
speaker right when the row's speaker names the labelled one (casefolded,
punctuation and company suffixes dropped; a name whose words are a subset of
the other's with the same last word counts, "Baker" for "James Baker"; none
= none). Metrics: quote recall (labelled quotations found), speaker accuracy
(found quotations with the right speaker, none included), speaker precision
(found rows with a speaker whose speaker is right), speaker recall (labelled
named speakers got right), verb accuracy (right speaker and right verb over
found quotations with a named speaker), and error kinds: missed quotation,
no speaker (one was named), wrong speaker, speaker where the text names none.
Rows that match no label (short or unlabelled passages) are counted apart.

The stories are split by id into a development half and a held-out half
(sha1 of the id, even = dev); both are reported.

    python -m benchmarks.eval_quotes [--keep DIR] [--stored DIR] [--errors] [--dump]

--stored scores an existing output directory (of an earlier run) without
running the pipeline; --dump prints every candidate quotation with context,
for labelling. Exits 2 with one line when the data is missing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
from collections import Counter
from pathlib import Path
from typing import Optional

from benchmarks.corpora import data_path, iter_reuters
from benchmarks.harness import REPO, run_script, stories_and_table

LABELS = REPO / "benchmarks" / "labels"
REUTERS_SEED = 21578
REUTERS_SAMPLE = 40
_STRAIGHT = re.compile(r'"([^"\n]*)"')
_SUFFIXES = {"corp", "inc", "co", "ltd", "plc", "company", "corporation", "the", "ag",
             "sa", "nv", "group", "incorporated", "limited", "llc"}


def split_of(story_id: str) -> str:
    return "dev" if int(hashlib.sha1(story_id.encode()).hexdigest(), 16) % 2 == 0 else "heldout"


def _quoted_passages(body: str) -> int:
    return sum(1 for q in _STRAIGHT.findall(body) if len(q.split()) >= 4)


def reuters_sample() -> list[dict]:
    seen, candidates = set(), []
    for record in iter_reuters():
        body = record["body"]
        if body in seen:
            continue
        seen.add(body)
        if len(body) < 4000 and _quoted_passages(body) >= 2:
            candidates.append(record)
    chosen = random.Random(REUTERS_SEED).sample(candidates, REUTERS_SAMPLE)
    return [{k: v for k, v in r.items() if not k.startswith("_")} for r in chosen]


def gum_records() -> list[tuple[dict, str]]:
    """(archive record, source text) per GUM Wikinews article."""
    from benchmarks.eval_coref import read_gum, to_record

    folder = data_path("gum-wikinews", "dep")
    out = []
    for path in sorted(folder.glob("GUM_news_*.conllu")):
        doc = read_gum(path)
        texts = [p.text_and_offsets()[0] for i, p in enumerate(doc.paragraphs)
                 if not (i == 0 and p.kind == "head") and p.kind != "figure"]
        out.append((to_record(doc), "\n\n".join(texts)))
    return out


def load_corpus() -> tuple[list[dict], dict[str, str]]:
    """Archive records and story_id -> source text."""
    records, sources = [], {}
    for record in reuters_sample():
        records.append(record)
        sources[record["id"]] = record["body"]
    for record, text in gum_records():
        records.append(record)
        sources[record["id"]] = text
    return records, sources


def load_labels() -> list[dict]:
    labels = []
    for path in sorted(LABELS.glob("quotes_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                labels.append(json.loads(line))
    return labels


def map_offset(source: str, offset: int, stored: str) -> Optional[int]:
    """Where the quotation opening at `offset` in the source text starts
    (its first inner character) in the stored body, found by its words."""
    inner = offset + 1
    while inner < len(source) and source[inner] == " ":
        inner += 1
    for width in (40, 25, 15, 8):
        probe = source[inner:inner + width]
        hits = [m.start() for m in re.finditer(re.escape(probe), stored)]
        if len(hits) == 1:
            return hits[0]
        if hits:  # ambiguous: the one at about the same relative place
            guess = inner * len(stored) / max(len(source), 1)
            return min(hits, key=lambda h: abs(h - guess))
    return None


def _name_words(name: str) -> list[str]:
    words = re.sub(r"[.,'\u2019]s\b|[^\w\s-]", " ", name.casefold()).split()
    return [w for w in words if w not in _SUFFIXES] or words


def names_match(label: Optional[str], predicted: Optional[str]) -> bool:
    if label is None or predicted is None:
        return label is None and predicted is None
    for option in label.split("|"):
        a, b = _name_words(option), _name_words(predicted)
        if a == b:
            return True
        if a and b and a[-1] == b[-1] and (set(a) <= set(b) or set(b) <= set(a)):
            return True
    return False


def _none(value: Optional[str]) -> Optional[str]:
    return None if value in (None, "", "none") else value


def score(labels: list[dict], rows: list[dict], stories: dict[str, dict],
          sources: dict[str, str], errors: Optional[list] = None) -> dict:
    """Scores per split ("dev", "heldout", "all")."""
    by_story: dict[str, list[dict]] = {}
    for row in rows:
        by_story.setdefault(row["story_id"], []).append(row)
    counts = {s: Counter() for s in ("dev", "heldout", "all")}
    matched_rows = set()
    for label in labels:
        sid = label["story_id"]
        split = split_of(sid)
        gold, gold_verb = _none(label["speaker"]), _none(label.get("verb"))
        for c in (counts[split], counts["all"]):
            c["labels"] += 1
            c["named"] += gold is not None
        story = stories.get(sid)
        where = map_offset(sources[sid], label["offset"], story["body"]) if story else None
        row = None
        if where is not None:
            near = [r for r in by_story.get(sid, [])
                    if abs(r["start_char"] - where) <= 2 or r["start_char"] <= where < r["end_char"]]
            row = min(near, key=lambda r: abs(r["start_char"] - where), default=None)
        if row is None:
            kind = "missed quotation"
        else:
            matched_rows.add((sid, row["start_char"]))
            pred = row["speaker"]
            right = names_match(gold, pred)
            verb_right = right and gold is not None and row["verb"] == gold_verb
            kind = ("right" if right else "no speaker" if pred is None
                    else "speaker where none" if gold is None else "wrong speaker")
            for c in (counts[split], counts["all"]):
                c["found"] += 1
                c["speaker_right"] += right
                c["with_speaker"] += pred is not None
                c["with_speaker_right"] += pred is not None and right
                c["named_found"] += gold is not None
                c["named_right"] += gold is not None and right
                c["verb_right"] += verb_right
        for c in (counts[split], counts["all"]):
            c["kind:" + kind] += 1
        if errors is not None and (kind != "right" or (gold is not None and not verb_right)):
            errors.append((split, sid, label["offset"], kind, gold, gold_verb,
                           row["speaker"] if row else None, row["verb"] if row else None,
                           row["quote"][:60] if row else None))
    for row in rows:
        if row["story_id"] in sources and (row["story_id"], row["start_char"]) not in matched_rows:
            split = split_of(row["story_id"])
            for c in (counts[split], counts["all"]):
                c["unlabelled_rows"] += 1
    results = {}
    for split, c in counts.items():
        def ratio(a, b):
            return c[a] / c[b] if c[b] else 0.0
        results[split] = {
            "labels": c["labels"], "found": c["found"],
            "recall": ratio("found", "labels"),
            "speaker_accuracy": ratio("speaker_right", "found"),
            "speaker_precision": ratio("with_speaker_right", "with_speaker"),
            "speaker_recall": c["named_right"] / c["named"] if c["named"] else 0.0,
            "verb_accuracy": ratio("verb_right", "named_found"),
            "unlabelled_rows": c["unlabelled_rows"],
            "kinds": {k[5:]: v for k, v in c.items() if k.startswith("kind:")},
            "counts": dict(c),
        }
    return results


def print_results(results: dict) -> None:
    for split in ("dev", "heldout", "all"):
        r = results[split]
        c = r["counts"]
        print(f"{split:<8} {r['labels']:>3} quotes: recall {r['recall']:.3f} "
              f"({r['found']}/{r['labels']}) | speaker acc {r['speaker_accuracy']:.3f} "
              f"({c.get('speaker_right', 0)}/{r['found']}) | speaker P "
              f"{r['speaker_precision']:.3f} ({c.get('with_speaker_right', 0)}/"
              f"{c.get('with_speaker', 0)}) | speaker R {r['speaker_recall']:.3f} "
              f"({c.get('named_right', 0)}/{c.get('named', 0)}) | verb acc "
              f"{r['verb_accuracy']:.3f} | unlabelled rows {r['unlabelled_rows']}")
        print("         " + ", ".join(f"{k} {v}" for k, v in sorted(r["kinds"].items())))


def dump(records: list[dict], sources: dict[str, str], rows: list[dict],
         stories: dict[str, dict], only: Optional[set] = None) -> None:
    """Every quotation mark in every source text with its paragraph, and the
    row the pipeline wrote there: for the annotator, not for committing."""
    for record in records:
        sid = record["id"]
        if only and sid not in only:
            continue
        text = sources[sid]
        print(f"\n=== {sid} ({split_of(sid)}) {record.get('title', '')!r}")
        print(text)
        story = stories.get(sid)
        for offset, inner in candidate_quotations(text):
            where = map_offset(text, offset, story["body"]) if story else None
            row = next((r for r in rows if r["story_id"] == sid and where is not None
                        and abs(r["start_char"] - where) <= 2), None)
            short = "" if len(inner.split()) >= 4 else " (short)"
            got = f"{row['speaker']!r} [{row['verb']}]" if row else "-"
            print(f"  @{offset}{short}: {got} {inner[:50]!r}")


def candidate_quotations(text: str) -> list[tuple[int, str]]:
    """(offset of the opening mark, inner text) of each quotation in a
    source text: marks pair up within a paragraph; an odd one left over
    opens a quotation that runs to the paragraph's end."""
    out, base = [], 0
    for paragraph in text.split("\n\n"):
        marks = [m.start() for m in re.finditer(r'["\u201c\u201d]', paragraph)]
        for i in range(0, len(marks), 2):
            end = marks[i + 1] if i + 1 < len(marks) else len(paragraph)
            out.append((base + marks[i], paragraph[marks[i] + 1:end]))
        base += len(paragraph) + 2
    return out


def evaluate(keep: Optional[str] = None, stored: Optional[str] = None,
             show_errors: bool = False, show_dump: bool = False,
             only: Optional[set] = None) -> dict:
    records, sources = load_corpus()
    labels = load_labels()
    stories, rows = stories_and_table(records, "quotes", keep, stored)
    if show_dump:
        dump(records, sources, rows, stories, only)
    n_reuters = sum(1 for r in records if r["id"].startswith("reuters-"))
    n_labelled = len({lab["story_id"] for lab in labels})
    print(f"corpus: {n_reuters} Reuters-21578 stories + {len(records) - n_reuters} GUM "
          f"Wikinews articles; {len(labels)} labelled quotations in {n_labelled} stories; "
          f"{len(rows)} quote rows")
    errors: list = []
    results = score(labels, rows, stories, sources, errors if show_errors else None)
    print_results(results)
    if show_errors:
        for error in sorted(errors):
            print("  ", error)
    return results


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", help="keep the archive and output in this directory")
    parser.add_argument("--stored", help="score this existing output directory")
    parser.add_argument("--errors", action="store_true", help="list every error")
    parser.add_argument("--dump", action="store_true", help="print stories for labelling")
    parser.add_argument("--only", nargs="*", help="story ids to dump")
    args = parser.parse_args(argv)
    evaluate(args.keep, args.stored, args.errors, args.dump,
             set(args.only) if args.only else None)
    return 0


if __name__ == "__main__":
    run_script(main)
