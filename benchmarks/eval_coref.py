"""Canonical-name grouping of wirestream against GUM Wikinews coreference.

GUM's 24 Wikinews articles (text CC BY 2.5, annotations CC BY 4.0) carry
every mention of every entity with its coreference chain. Each article
becomes one archive record: its first heading is the `title`; the body is
HTML, a <p> per paragraph and <figure><figcaption> for image captions, as
Wikinews publishes them (so the run also exercises caption removal). The
`entities` table that `wirestream run --articles` writes is read back; each
predicted mention is aligned to the smallest gold mention that ends on the
same token and contains it (GUM mentions include determiners and modifiers:
"US President Donald Trump" for "Donald Trump"). Mentions that align to no
gold mention, or lie in text the cleaning removed, are not scored.

Over the aligned mentions of each story, grouping by entity_id is compared
with the gold chains:

- pairwise links: precision = pairs with the same entity_id that are in one
  gold chain / pairs with the same entity_id; recall = pairs in one gold
  chain that share an entity_id / pairs in one gold chain; F1.
- B-cubed precision, recall, F1 (per mention, averaged).

The same aligned mentions grouped by their exact (casefolded) text is
printed as the reference: what grouping without canonical names gets.

`--quotes` also prints every quote row with its speaker and verb, and checks
the hand-made speaker list QUOTE_SPEAKERS below (written by reading the GUM
articles; None means the text names no speaker for it).

    python -m benchmarks.eval_coref [--keep DIR] [--quotes] [--show-errors]
"""

from __future__ import annotations

import argparse
import html
import re
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Optional

from benchmarks.corpora import data_path
from benchmarks.harness import (
    canonical_stories,
    f1,
    prf,
    read_table,
    run_on_records,
    run_script,
    token_span,
)

_OPEN = re.compile(r"\((\d+)")
_CLOSE = re.compile(r"(\d+)\)")


@dataclass
class Paragraph:
    kind: str  # head | p | figure | ...
    tokens: list = field(default_factory=list)  # (form, space_after)
    first_token: int = 0

    def text_and_offsets(self) -> tuple[str, list[tuple[int, int]]]:
        text, offsets = "", []
        for form, space in self.tokens:
            offsets.append((len(text), len(text) + len(form)))
            text += form + (" " if space else "")
        return text.rstrip(), offsets


@dataclass
class GumDoc:
    doc_id: str
    paragraphs: list
    mentions: list  # (first token, last token exclusive, chain id, type)


def _entity_events(misc: str):
    """Opening and closing brackets of GUM's Entity= annotation, in order."""
    value = next((part[len("Entity="):] for part in misc.split("|")
                  if part.startswith("Entity=")), "")
    events = []
    i = 0
    while i < len(value):
        if value[i] == "(":
            m = re.match(r"\((\d+)([^()]*)", value[i:])
            kind = m.group(2).split("-")[1] if "-" in m.group(2) else ""
            events.append(("open", m.group(1), kind))
            i += len(m.group(0))
            if i < len(value) and value[i] == ")":
                events.append(("close", m.group(1), ""))
                i += 1
        else:
            m = re.match(r"(\d+)\)", value[i:])
            if not m:
                i += 1
                continue
            events.append(("close", m.group(1), ""))
            i += len(m.group(0))
    return events


def read_gum(path: Path) -> GumDoc:
    paragraphs: list[Paragraph] = []
    mentions = []
    open_stack: dict[str, list] = defaultdict(list)
    index = 0
    mwt_end, mwt_space, mwt_parts = 0, True, []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# newpar_block"):
            kind = line.split("=", 1)[1].strip().split()[0]
            paragraphs.append(Paragraph(kind, first_token=index))
            continue
        if line.startswith("# sent_id"):
            mwt_end = 0  # token numbers start again in each sentence
        if not line or line.startswith("#"):
            continue
        cols = line.split("\t")
        if "." in cols[0]:
            continue
        if "-" in cols[0]:
            a, b = map(int, cols[0].split("-"))
            mwt_end = b
            mwt_space = "SpaceAfter=No" not in cols[9]
            mwt_parts = []
            continue
        number = int(cols[0])
        form, misc = cols[1], cols[9]
        space = "SpaceAfter=No" not in misc
        if number <= mwt_end:
            mwt_parts.append(form)
            # A multiword token ("Trump's"): its parts are glued, the last
            # one carries the space of the whole.
            space = mwt_space if number == mwt_end else False
        if not paragraphs:
            paragraphs.append(Paragraph("p", first_token=index))
        paragraphs[-1].tokens.append((form, space))
        for event, eid, kind in _entity_events(misc):
            if event == "open":
                open_stack[eid].append((index, kind))
            elif open_stack[eid]:
                start, kind = open_stack[eid].pop()
                mentions.append((start, index + 1, eid, kind))
        index += 1
    return GumDoc(path.stem, paragraphs, mentions)


def to_record(doc: GumDoc) -> dict:
    title = ""
    parts = []
    for i, par in enumerate(doc.paragraphs):
        text, _ = par.text_and_offsets()
        if i == 0 and par.kind == "head":
            title = text
        elif par.kind == "figure":
            parts.append(f"<figure><img src='x.jpg'><figcaption>{html.escape(text)}"
                         f"</figcaption></figure>")
        else:
            parts.append(f"<p>{html.escape(text)}</p>")
    return {"id": doc.doc_id, "title": title, "body": "\n".join(parts),
            "published": "2017-07-21T00:00:00Z", "source": "gum-wikinews"}


def token_offsets(doc: GumDoc, title: str, body: str) -> dict[str, list]:
    """Per field, a list of (token index, start, end) for the tokens that
    the stored text still holds: each paragraph is found, in order, in the
    stored title or body."""
    fields = {"title": [], "body": []}
    cursor = 0
    for i, par in enumerate(doc.paragraphs):
        text, offsets = par.text_and_offsets()
        if i == 0 and par.kind == "head":
            base = title.find(text)
            if base >= 0:
                fields["title"] += [(par.first_token + k, s + base, e + base)
                                    for k, (s, e) in enumerate(offsets)]
            continue
        at = body.find(text, cursor)
        if at < 0:
            continue  # removed by cleaning (a caption) or changed
        cursor = at + len(text)
        fields["body"] += [(par.first_token + k, s + at, e + at)
                           for k, (s, e) in enumerate(offsets)]
    return fields


def align(doc: GumDoc, field_offsets: list, start: int, end: int) -> Optional[tuple]:
    span = token_span([(s, e) for _, s, e in field_offsets], start, end)
    if not span:
        return None
    first, last = field_offsets[span[0]][0], field_offsets[span[1] - 1][0] + 1
    candidates = [m for m in doc.mentions if m[1] == last and m[0] <= first]
    return min(candidates, key=lambda m: m[1] - m[0]) if candidates else None


def pairwise(groups_pred: list, groups_gold: list) -> tuple[int, int, int]:
    both = pred = gold = 0
    for (p1, g1), (p2, g2) in combinations(list(zip(groups_pred, groups_gold)), 2):
        pred += p1 == p2
        gold += g1 == g2
        both += p1 == p2 and g1 == g2
    return both, pred, gold


def bcubed(groups_pred: list, groups_gold: list) -> tuple[float, float, int]:
    p_sum = r_sum = 0.0
    n = len(groups_pred)
    for i in range(n):
        same_p = {j for j in range(n) if groups_pred[j] == groups_pred[i]}
        same_g = {j for j in range(n) if groups_gold[j] == groups_gold[i]}
        p_sum += len(same_p & same_g) / len(same_p)
        r_sum += len(same_p & same_g) / len(same_g)
    return p_sum, r_sum, n


# Hand-checked speakers of the quotes in the GUM articles: (article, start
# of the quote) -> the speaker's canonical name as the article gives it, or
# None where the text names nobody. Read off the articles, not the output.
QUOTE_SPEAKERS: dict[tuple[str, str], Optional[str]] = {
    ("GUM_news_afghan", "Better Idea of Afghan Girls"): None,  # a robot's name
    ("GUM_news_afghan", "We are so interested"): "Rodaba Noori",
    ("GUM_news_afghan", "to show that Afghan women"): "Rodaba Noori",
    ("GUM_news_afghan", "Seventeen years ago"): "Hamdullah Mohib",
    ("GUM_news_afghan", "They represent our aspirations"): "Hamdullah Mohib",
    ("GUM_news_asylum", "We are in contact"): "Najib Razak",
    ("GUM_news_asylum", "We urge the governments"): "Jeff Rathke",
    ("GUM_news_clock", "Hoping that the #istandwithahmed"): "Marc Lamont Hill",
    ("GUM_news_clock", "Cool clock, Ahmed"): "Barack Obama",
    ("GUM_news_crane", "All those who were wounded"): "Suleiman al-Amr",
    ("GUM_news_crane", "Had it happened an hour later"): "Khaled Al-Maeena",
    ("GUM_news_crane", "Had it happened five hours"): "Khaled Al-Maeena",
    ("GUM_news_defector", "Moxon proceeded to lie"): "Mark Rathbun",
    ("GUM_news_defector", "Daniel was picked up"): "Mark Rathbun",
    ("GUM_news_defector", "... plied the Sheriff"): "Mark Rathbun",
    ("GUM_news_defector", "walked into lobby"): "Steve Whitmore",
    ("GUM_news_defector", "facing the penitentiary"): "Mark Rathbun",
    ("GUM_news_hackers", "another small skirmish"): "Matthew Ingram",
    ("GUM_news_hackers", "I have myself, as per"): None,  # "one poster"
    ("GUM_news_hackers", "Someone emailed me"): None,  # "an unknown author"
    ("GUM_news_homeopathic", "Gloria spent a lot"): "Mark Tedeschi",
    ("GUM_news_homeopathic", "Gloria's eczema played"): "Mark Tedeschi",
    ("GUM_news_homeopathic", "I am not able to do that"): "Thomas Sam",
    ("GUM_news_homeopathic", "her skin was weeping"): "Sydney Morning Herald",
    ("GUM_news_iodine", "I suspect they won't"): "Cres Eastman",
    ("GUM_news_iodine", "The effects of iodine"): "Cres Eastman",
    ("GUM_news_iodine", "If an infant's"): "Cres Eastman",
    ("GUM_news_iodine", "Pregnant women in Australia"): "Cres Eastman",
    ("GUM_news_iodine", "If Iodine deficiency is serious"): "Cres Eastman",
    ("GUM_news_iodine", "it is reasonable to assume"): "Mu Li",
    ("GUM_news_korea", "War maniacs"): "Korean Central News Agency",
    ("GUM_news_korea", "Foolhardy provocation"): "Korean Central News Agency",
    ("GUM_news_korea", "Commanders of the Korean"): "Korean Central News Agency",
    ("GUM_news_nasa", "We want to thank"): "Charles Bolden",
    ("GUM_news_nasa", "This was a very difficult"): "Charles Bolden",
    ("GUM_news_nasa", "Like many Texans"): "John Cornyn",
    ("GUM_news_nasa", "The Museum of Flight put"): "Chris Gregoire",
    ("GUM_news_nasa", "However, the full fuselage"): "Chris Gregoire",
    ("GUM_news_questionnaire", "must be completed in English"): None,
    ("GUM_news_questionnaire", "based solely on the response"): None,
    ("GUM_news_questionnaire", "damning that the Home Office"): "Yvette Cooper",
    ("GUM_news_questionnaire", "Labour has a common-sense"): "Yvette Cooper",
    ("GUM_news_questionnaire", "It's clear that we have"): "Suella Braverman",
    ("GUM_news_questionnaire", "Were you subject to human"): None,  # a question on the form
    ("GUM_news_questionnaire", "People fleeing desperate"): "Caitlin Boswell",
    ("GUM_news_taxes", "a discussion table"): "Claudio De Vincenti",
    ("GUM_news_taxes", "many schools will increase"): "Toccafondi",
    ("GUM_news_taxes", "We face a dangerous sentence"): "Nunzio Galantino",
    ("GUM_news_warhol", "I think America's obsession"): "Elaine Gustafon",
    ("GUM_news_warhol", "People are still intrigued"): "Elaine Gustafon",
    ("GUM_news_warhol", "He's hanging out"): "Kristen Wilkins",
    ("GUM_news_warhol", "These images serve"): "Cynthia Thompson",
    ("GUM_news_warhol", "Pop art was about"): "Kathryn Waters",
    ("GUM_news_warhol", "That's why he did"): "Kathryn Waters",
    ("GUM_news_warhol", "I think everybody knows"): "Kathryn Waters",  # text says "Water said"
    ("GUM_news_warhol", "I think his photography"): "Hilary Braysmith",
    ("GUM_news_warhol", "[Warhol] liked the way"): "Kristen Wilkins",
    ("GUM_news_warhol", "He wanted to be rich"): "Kristen Wilkins",
    ("GUM_news_warhol", "It's Warhol. He is a legend"): "Kiara Perkins",
    ("GUM_news_warhol", "Andy Warhol was the center"): "Kevin Allton",
    ("GUM_news_warhol", "I thought that in real life"): "Kevin Allton",
    ("GUM_news_warhol", "I smacked them around"): "Kevin Allton",
    ("GUM_news_warming", "The climate projections"): "Colette Heald",
    ("GUM_news_warming", "nobody has looked"): "Colette Heald",
    ("GUM_news_warming", "Ground-level ozone causes"): "U.S. Department of Agriculture",
    ("GUM_news_warming", "Despite an increase"): "Colette Heald",
}


def evaluate(keep: Optional[str] = None, quotes: bool = False,
             show_errors: bool = False) -> dict:
    folder = data_path("gum-wikinews", "dep")
    docs = [read_gum(p) for p in sorted(folder.glob("GUM_news_*.conllu"))]
    records = [to_record(d) for d in docs]
    with run_on_records(records, keep) as output:
        stories = canonical_stories(output)
        entity_rows = read_table(output, "entities")
        quote_rows = read_table(output, "quotes")
    by_story = defaultdict(list)
    for row in entity_rows:
        by_story[row["story_id"]].append(row)
    totals = defaultdict(float)
    aligned_total = unaligned = 0
    errors = []
    for doc in docs:
        story = stories.get(doc.doc_id)
        if story is None:
            continue
        offsets = token_offsets(doc, story["title"], story["body"])
        seen, rows = set(), []
        for row in by_story[doc.doc_id]:
            if row["field"] not in offsets:  # a dateline place: not in GUM's text
                continue
            gold = align(doc, offsets[row["field"]], row["start_char"], row["end_char"])
            if gold is None or (gold, row["field"], row["start_char"]) in seen:
                unaligned += gold is None
                continue
            seen.add((gold, row["field"], row["start_char"]))
            rows.append((row, gold))
        aligned_total += len(rows)
        gold_groups = [g[2] for _, g in rows]
        for name, key in (("entity_id", lambda r: r["entity_id"]),
                          ("exact text", lambda r: r["text"].casefold())):
            pred_groups = [key(r) for r, _ in rows]
            both, pred, gold = pairwise(pred_groups, gold_groups)
            totals[(name, "both")] += both
            totals[(name, "pred")] += pred
            totals[(name, "gold")] += gold
            bp, br, n = bcubed(pred_groups, gold_groups)
            totals[(name, "bp")] += bp
            totals[(name, "br")] += br
            totals[(name, "n")] += n
        if show_errors:
            for (r1, g1), (r2, g2) in combinations(rows, 2):
                if (r1["entity_id"] == r2["entity_id"]) != (g1[2] == g2[2]):
                    errors.append((doc.doc_id, r1["text"], r1["canonical"], r2["text"],
                                   r2["canonical"], "split" if g1[2] == g2[2] else "merged"))
    print(f"corpus: GUM Wikinews, {len(docs)} articles, "
          f"{sum(len(d.mentions) for d in docs)} gold mentions; "
          f"{len(docs) - len(stories)} not canonical after dedup (not scored)")
    print(f"entities table: {len(entity_rows)} mentions, {aligned_total} aligned to a gold "
          f"mention, {unaligned} not aligned (not scored)")
    results = {}
    for name in ("entity_id", "exact text"):
        both, pred, gold = (totals[(name, k)] for k in ("both", "pred", "gold"))
        p, r, f = prf(both, pred, gold)
        n = totals[(name, "n")]
        bp, br = totals[(name, "bp")] / n, totals[(name, "br")] / n
        results[name] = {"pairwise": (p, r, f), "bcubed": (bp, br, f1(bp, br))}
        print(f"grouping by {name:<10}: pairwise P {p:.3f} R {r:.3f} F1 {f:.3f} "
              f"(links {int(both)}/{int(pred)} pred, {int(gold)} gold) | "
              f"B3 P {bp:.3f} R {br:.3f} F1 {f1(bp, br):.3f}")
    if show_errors:
        for error in errors[:80]:
            print("  ", error)
    if quotes:
        results["quotes"] = check_quotes(quote_rows)
    return results


def check_quotes(rows: list[dict], verbose: bool = True) -> dict:
    print(f"quotes: {len(rows)} rows, {sum(1 for r in rows if r['speaker'])} with a speaker")
    right = checked = 0
    for row in sorted(rows, key=lambda r: (r["story_id"], r["start_char"])):
        key = next((k for k in QUOTE_SPEAKERS if k[0] == row["story_id"]
                    and row["quote"].lstrip(" \"\u201c").startswith(k[1])), None)
        mark = ""
        if key is not None:
            checked += 1
            ok = QUOTE_SPEAKERS[key] == row["speaker"]
            right += ok
            mark = "ok " if ok else f"WRONG (expected {QUOTE_SPEAKERS[key]!r}) "
        if verbose:
            print(f"  {mark}{row['story_id']}: {row['speaker']!r} [{row['verb']}] "
                  f"{row['quote'][:70]!r}")
    named = sum(1 for k, v in QUOTE_SPEAKERS.items() if v is not None)
    print(f"quote speakers: {right}/{checked} of the hand-checked quotes right "
          f"({named} of the {len(QUOTE_SPEAKERS)} have a speaker in the text); "
          f"{len(QUOTE_SPEAKERS) - checked} hand-checked quotes not found")
    return {"right": right, "checked": checked}


def check_stored(output: str) -> dict:
    """The quote check on an existing output directory (e.g. of another version)."""
    return check_quotes(read_table(Path(output), "quotes"), verbose=False)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", help="keep the archive and output in this directory")
    parser.add_argument("--quotes", action="store_true", help="list and check the quotes")
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args(argv)
    evaluate(args.keep, args.quotes, args.show_errors)
    return 0


if __name__ == "__main__":
    run_script(main)
