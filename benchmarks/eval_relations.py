"""Typed relation quality of wirestream on CoNLL04 valid (news sentences).

`--split train` scores the 922 sentences of the train split instead, as a
held-out check that a rule tuned by looking at valid generalises (nothing is
trained on either split). Each of the sentences becomes one archive record (body only: tokens
joined with light detokenisation, offsets kept). `wirestream run --articles`
runs on the archive; the `relations` table is read back and scored against
the gold relations with CoNLL04's types mapped to wirestream's:

    Work_For -> works_for, OrgBased_In -> based_in, Located_In -> located_in,
    Live_In -> lives_in, Kill -> killed

A predicted relation is right when its relation_type and direction match a
gold relation and its subject and object name that relation's two gold
entities. Names are compared on their casefolded words, ignoring punctuation
and a leading "the", three ways: "strict" wants the same words; "titles"
first sets aside the gold name's leading titles ("President Lincoln" ->
"Lincoln"), as the contract keeps titles out of canonical names, with the
pipeline's own title list; "lenient" accepts either name being a leading or
trailing run of words of the other. Rows with another relation_type
(member_of, meets, ...) or none are not scored: CoNLL04 does not annotate
them. Each gold relation is matched at most once.

Also printed: pair recall of the entities table (gold relations whose two
arguments both appear among the story's entity mentions, the ceiling for
any typing rule on these entities), and a per-type breakdown.

Only canonical stories are scored (dedup would collapse identical
sentences); the count of the rest is printed.

    python -m benchmarks.eval_relations [--split {valid,train}] [--limit N] [--keep DIR]
        [--show-errors N] [--strict-errors]
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from functools import lru_cache
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
)

TYPE_MAP = {"Work_For": "works_for", "OrgBased_In": "based_in",
            "Located_In": "located_in", "Live_In": "lives_in", "Kill": "killed"}


def words(name: str) -> tuple[str, ...]:
    name = re.sub(r"^the\s+", "", name.strip(), flags=re.I)
    name = re.sub(r"['\u2019]s$", "", name)
    return tuple(w for w in re.sub(r"[^\w\s]", " ", name.casefold()).split() if w)


@lru_cache(maxsize=1)
def _titles() -> frozenset:
    from transforms.nlp.lexicon import HONORIFICS, TITLE_NOUNS
    return frozenset(w.rstrip(".") for w in TITLE_NOUNS | HONORIFICS)


def _without_titles(name: tuple[str, ...]) -> tuple[str, ...]:
    """A gold name without the leading titles the contract keeps out of
    names ("President Lincoln" -> "Lincoln", "the Rev. Martin Luther King
    Jr." -> "Martin Luther King Jr."), with the pipeline's own title list."""
    titles = _titles()
    cut = 0
    while cut < len(name) - 1 and name[cut] in titles:
        cut += 1
    return name[cut:]


def same_entity(predicted: str, gold: str, mode: str) -> bool:
    """mode: "strict" (same words), "titles" (same words once the gold
    name's leading titles are set aside, as the contract sets them aside
    in canonical names) or "lenient" (either name a leading or trailing run
    of the other's words)."""
    p, g = words(predicted), words(gold)
    if not p or not g:
        return False
    if p == g:
        return True
    if mode == "titles":
        return p == _without_titles(g)
    if mode != "lenient":
        return False
    short, long_ = (p, g) if len(p) < len(g) else (g, p)
    return long_[:len(short)] == short or long_[-len(short):] == short


def read_conll04(path: Path, limit: Optional[int] = None, split: str = "valid") -> list[dict]:
    sentences = json.loads(path.read_text(encoding="utf-8"))
    docs = []
    for number, sent in enumerate(sentences, 1):
        builder = TextBuilder()
        offsets = builder.add_tokens(sent["tokens"])
        text = builder.text

        def span_text(a, b):
            return text[offsets[a][0]:offsets[b - 1][1]]
        entities = {(a, b): (span_text(a, b), label) for a, b, label in sent["entities"]}
        relations = [(span_text(a1, b1), TYPE_MAP[t], span_text(a2, b2))
                     for a1, b1, a2, b2, t in sent["relations"]]
        docs.append({"id": f"conll04-{split}-{number:03d}", "body": text,
                     "entities": list(entities.values()), "relations": relations})
        if limit and len(docs) >= limit:
            break
    return docs


def score(docs: list[dict], predicted: dict[str, set], mode: str) -> dict:
    tp = n_pred = n_gold = 0
    per_type = defaultdict(lambda: [0, 0, 0])
    misses, wrong = [], []
    for doc in docs:
        gold = list(doc["relations"])
        pred = sorted(predicted.get(doc["id"], set()))
        n_gold += len(gold)
        n_pred += len(pred)
        for _, t, _ in gold:
            per_type[t][2] += 1
        unmatched = list(gold)
        for subj, t, obj in pred:
            per_type[t][1] += 1
            hit = next((g for g in unmatched if g[1] == t and same_entity(subj, g[0], mode)
                        and same_entity(obj, g[2], mode)), None)
            if hit:
                unmatched.remove(hit)
                tp += 1
                per_type[t][0] += 1
            else:
                wrong.append((doc["id"], (subj, t, obj), doc["body"]))
        misses.extend((doc["id"], g, doc["body"]) for g in unmatched)
    return {"f": prf(tp, n_pred, n_gold), "counts": (tp, n_pred, n_gold),
            "types": {t: prf(*v) for t, v in sorted(per_type.items())},
            "misses": misses, "wrong": wrong}


def pair_recall(docs: list[dict], mentions: dict[str, list[str]]) -> float:
    found = total = 0
    for doc in docs:
        names = mentions.get(doc["id"], [])
        for subj, _, obj in doc["relations"]:
            total += 1
            if any(same_entity(n, subj, True) for n in names) and \
                    any(same_entity(n, obj, True) for n in names):
                found += 1
    return found / total if total else 0.0


SPLITS = ("valid", "train")


def evaluate(limit: Optional[int] = None, keep: Optional[str] = None,
             show_errors: int = 0, split: str = "valid", strict_errors: bool = False) -> dict:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    docs = read_conll04(data_path("conll04", f"{split}.CoNLL04.json"), limit, split)
    records = [{"id": d["id"], "title": "", "body": d["body"],
                "published": "1990-01-01T00:00:00Z", "source": f"conll04-{split}"} for d in docs]
    with run_on_records(records, keep) as output:
        stories = canonical_stories(output)
        kept = [d for d in docs if d["id"] in stories]
        predicted: dict[str, set] = defaultdict(set)
        all_rows = read_table(output, "relations")
        for row in all_rows:
            if row["relation_type"] in TYPE_MAP.values():
                predicted[row["story_id"]].add(
                    (row["subject"], row["relation_type"], row["object"]))
        mentions: dict[str, list[str]] = defaultdict(list)
        for row in read_table(output, "entities"):
            mentions[row["story_id"]] += [row["text"], row["canonical"]]
    print(f"corpus: CoNLL04 {split}, {len(docs)} sentences, "
          f"{sum(len(d['relations']) for d in docs)} gold relations; "
          f"{len(docs) - len(kept)} not canonical after dedup (not scored)")
    print(f"relations table: {len(all_rows)} rows, "
          f"{sum(1 for r in all_rows if r['relation_type'])} typed, "
          f"{sum(1 for r in all_rows if r['relation_type'] is None)} open (relation_type null)")
    print(f"pair recall of the entities table (both arguments among the mentions): "
          f"{pair_recall(kept, mentions):.3f}")
    results = {}
    for mode in ("strict", "titles", "lenient"):
        result = score(kept, predicted, mode)
        results[mode] = result
        p, r, f = result["f"]
        tp, n_pred, n_gold = result["counts"]
        per = "  ".join(f"{t} {v[0]:.2f}/{v[1]:.2f}/{v[2]:.2f}" for t, v in result["types"].items())
        print(f"typed relations {mode:<7}: P {p:.3f} R {r:.3f} "
              f"F1 {f:.3f} (tp {tp}, pred {n_pred}, gold {n_gold})")
        print(f"   per type P/R/F1: {per}")
    if show_errors:
        result = results["strict" if strict_errors else "lenient"]
        print(f"--- false positives ({'strict' if strict_errors else 'lenient'} matching)")
        for doc_id, rel, body in result["wrong"][:show_errors]:
            print(f"{doc_id} {rel}\n    {body}")
        print("--- misses")
        for doc_id, rel, body in result["misses"][:show_errors]:
            print(f"{doc_id} {rel}\n    {body}")
    return results


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=SPLITS, default="valid",
                        help="CoNLL04 split to score (default valid; train is the held-out check)")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--keep", help="keep the archive and output in this directory")
    parser.add_argument("--show-errors", type=int, default=0)
    parser.add_argument("--strict-errors", action="store_true",
                        help="list the errors of the strict matching instead of the lenient one")
    args = parser.parse_args(argv)
    evaluate(args.limit, args.keep, args.show_errors, args.split, args.strict_errors)
    return 0


if __name__ == "__main__":
    run_script(main)
