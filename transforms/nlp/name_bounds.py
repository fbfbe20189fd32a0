"""Where one name ends and the next begins, when the small model draws the
line in the wrong place in real news copy.

Each rule reads a shape of the text around the model's spans, not a list of
stories: a bracket the span runs into ("World Health Organization (WHO"), a
given name the model cut off its surname ("[Valeska] [Paris]") or left in
the name before it ("[Parliament Lousewies] [van der Laan]"), a person's
name run into the organisation before it ("[Detroit Pistons Chauncey
Billups]"), and an organisation's name cut at "of"/"for" ("[Joint Council]
for the Welfare of Immigrants"). `entities.find_entities` runs them on the
model's mentions before it groups them.
"""

from __future__ import annotations

from typing import Optional

from transforms.nlp.given_names import given_names
from transforms.nlp.lexicon import OFFICE_BODY_NOUNS, ORG_HEAD_NOUNS, PLACE_LABELS, TITLE_NOUNS
from transforms.nlp.mention import Mention
from transforms.nlp.names import doc_tokens, place_key
from transforms.nlp.wire_layout import is_known_place


def _capitalised(token) -> bool:
    """A word written as a name: "Billups", "O'Neal", not "BILLUPS" or "the"."""
    word = token.text.replace("-", "").replace("'", "")
    return word[:1].isupper() and word.isalpha() and not token.text.isupper()


# --- Brackets -------------------------------------------------------------------

def split_at_brackets(doc, text: str, mentions: list[Mention]) -> list[Mention]:
    """"World Health Organization (WHO", "Lousewies van der Laan (D66": a
    span that runs into an opening bracket it does not close is two names,
    the name and what the bracket holds (its acronym, a person's party). The
    bracketed part of a person's span is a place when it names one ("X
    (Russia)"), else an organisation."""
    out = []
    for m in mentions:
        cut = next((i for i in range(m.start + 1, m.end - 1) if doc[i].text == "("), None)
        if cut is None or any(doc[i].text == ")" for i in range(cut, m.end)):
            out.append(m)
            continue
        out.append(Mention.of_tokens(doc, text, m.start, cut, m.label, m.cued))
        inner = doc[cut + 1:m.end]
        if not any(c.isalpha() for c in inner.text):
            continue
        label = m.label
        if label == "PERSON":
            label = "GPE" if place_key(inner.text) else "ORG"
        out.append(Mention.of_tokens(doc, text, cut + 1, m.end, label, cued=label != m.label))
    return out


# --- Given names ----------------------------------------------------------------

def join_given_name(doc, text: str, mentions: list[Mention]) -> list[Mention]:
    """"[Valeska] [Paris]": a given name the model made a name of its own
    (often a place), then straight after it, one space apart, a name of one
    or two words: one person's name. A given name that is also a place
    ("Georgia", "Jordan") is left alone."""
    names = given_names()
    by_start = {m.start: m for m in mentions}
    drop, added = set(), []
    for m in sorted(mentions, key=lambda m: m.start):
        if id(m) in drop or m.end - m.start != 1 or m.label == "PERSON":
            continue
        nxt = by_start.get(m.end)
        word = doc[m.start]
        if nxt is None or id(nxt) in drop or word.text not in names or \
                word.whitespace_ != " " or is_known_place(m.text) or \
                nxt.label not in ("PERSON", "GPE", "ORG", "NORP", "LOC") or \
                not 1 <= nxt.end - nxt.start <= 2 or \
                not all(_capitalised(t) for t in doc[nxt.start:nxt.end]):
            continue
        added.append(Mention.of_tokens(doc, text, m.start, nxt.end, "PERSON", cued=True))
        drop.update((id(m), id(nxt)))
    return [m for m in mentions if id(m) not in drop] + added


def _proper_word(token) -> bool:
    return _capitalised(token) and token.pos_ == "PROPN"


def unnamed_people(doc, text: str, mentions: list[Mention]
                   ) -> tuple[list[Mention], list[Mention]]:
    """"Italian Antonio Giovinazzi", where the model named nobody: a known
    given name and one or two capitalised proper nouns right after it,
    outside every entity the model found (dates and numbers included), is
    a person. Not when a word is an office or a body ("Grace Church"), the
    name a known place ("Santa Clara"), or the run of capitalised words
    starts before it or goes on after it. Returns the mentions and the
    names it added."""
    names = given_names()
    taken = {i for m in mentions for i in range(m.start, m.end)}
    taken.update(i for ent in doc.ents for i in range(ent.start, ent.end))
    tokens = doc_tokens(doc)
    added = []
    i = 0
    while i < len(tokens) - 1:
        first = tokens[i]
        if i in taken or first.text not in names or not _proper_word(first) or \
                first.lower_ in _NOT_GIVEN or first.whitespace_ != " " or \
                (i > 0 and i - 1 not in taken and _proper_word(tokens[i - 1])):
            i += 1
            continue
        end = i + 1
        while end < len(tokens) and end - i <= 2 and end not in taken and \
                _proper_word(tokens[end]) and tokens[end].lower_ not in _NOT_GIVEN:
            end += 1
            if tokens[end - 1].whitespace_ != " ":
                break
        # "Jose Maria Aznar Foundation": the run goes on
        runs_on = end < len(tokens) and end not in taken and _proper_word(tokens[end])
        surface = doc[i:end].text
        if end - i >= 2 and not runs_on and not is_known_place(surface) and \
                not is_known_place(tokens[i].text):
            added.append(Mention.of_tokens(doc, text, i, end, "PERSON", cued=True))
            taken.update(range(i, end))
            i = end
        else:
            i += 1
    return mentions + added, added


# Lower-case words that open a surname ("van der Laan", "de Souza", "bin
# Laden"), which a given name always comes before.
_SURNAME_PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "du", "del", "della",
                      "dos", "das", "ter", "ten", "bin", "ibn", "al", "el", "le", "la"}

# Words before a name that are an office or a body, never a given name
# ("Member of Parliament van der Laan", "President de Gaulle").
_NOT_GIVEN = ORG_HEAD_NOUNS | OFFICE_BODY_NOUNS | TITLE_NOUNS


def given_name_before_particle(doc, text: str, mentions: list[Mention]) -> list[Mention]:
    """"[Parliament Lousewies] [van der Laan]": a person's name that opens
    with a lower-case surname particle takes the capitalised word before it
    as its given name, out of the name the model put it in ("[Mariska] [van
    der Laan]" when that is the given name alone), or out of no name at
    all."""
    by_end = {m.end: m for m in mentions}
    out = []
    moved = {}
    for p in mentions:
        i = p.start - 1
        if p.label != "PERSON" or i < 0 or doc[p.start].text not in _SURNAME_PARTICLES or \
                not _capitalised(doc[i]) or doc[i].lower_ in _NOT_GIVEN or \
                doc[i].whitespace_ != " ":
            continue
        before = by_end.get(p.start)
        if before is not None and before.label == "PERSON" and before.end - before.start > 1:
            continue  # a whole name of its own before it
        moved[id(p)] = i
        if before is not None:
            moved[id(before)] = None
    for m in mentions:
        if id(m) not in moved:
            out.append(m)
        elif moved[id(m)] is not None:
            out.append(Mention.of_tokens(doc, text, moved[id(m)], m.end, "PERSON", m.cued))
        elif m.end - 1 > m.start:  # the name before, without the given name
            out.append(Mention.of_tokens(doc, text, m.start, m.end - 1, m.label, m.cued))
    return out


# --- What a name is, from the noun next to it ------------------------------------

# Common nouns for organisations, which make the name they qualify one ("his
# team Santos", "stockbrokers Hoare Govett"). Nouns a person can also be
# ("broadcaster", "publisher") are left out.
_ORG_NOUNS = {"team", "club", "company", "firm", "stockbroker", "broker", "brokerage",
              "bank", "party", "band", "newspaper", "airline", "retailer", "brand",
              "agency", "network", "carrier", "insurer", "conglomerate", "automaker",
              "carmaker", "manufacturer", "charity", "union", "group", "magazine"}


def orgs_by_noun(doc, mentions: list[Mention]) -> None:
    """A name the model took for a person or a place that an organisation's
    noun right before it qualifies: "his team Santos" (the noun a compound
    of the name), "stockbrokers Hoare Govett" (the name in apposition)."""
    for m in mentions:
        if m.label not in ("PERSON", "GPE", "NORP", "WORK_OF_ART", "PRODUCT") or m.start == 0:
            continue
        noun, head = doc[m.start - 1], doc[m.end - 1]
        if noun.lemma_.lower() not in _ORG_NOUNS or not noun.text.islower():
            continue
        if noun.head.i == head.i and noun.dep_ in ("compound", "nmod") or \
                head.dep_ == "appos" and head.head.i == noun.i:
            m.label, m.cued = "ORG", True


# --- A person run into an organisation -----------------------------------------

_NAME_END_WORDS = ORG_HEAD_NOUNS | {"inc", "ltd", "co", "corp", "group", "center", "centre"}


def _person_tail(doc, start: int, end: int) -> bool:
    """Two or three capitalised words, none an office or a body's noun
    ("State Department Spokesperson"), not ending as an organisation does."""
    return 2 <= end - start <= 3 and \
        all(_capitalised(t) and t.lower_ not in _NOT_GIVEN for t in doc[start:end]) and \
        doc[end - 1].lower_.rstrip(".") not in _NAME_END_WORDS and \
        not is_known_place(doc[start:end].text)


def people_after_orgs(doc, text: str, mentions: list[Mention]) -> list[Mention]:
    """"Detroit Pistons Chauncey Billups", "Civil House José Dirceu": an
    organisation's span that ends in a person's name is the organisation,
    then the person. The split is made where the organisation's name is
    known to end: at a name the story gives the organisation elsewhere, or
    at a plural or a body noun ("Pistons", "House") followed by a given
    name."""
    names = given_names()
    org_names = {m.text for m in mentions if m.label == "ORG"}
    out = []
    for m in mentions:
        cut = None
        if m.label == "ORG" and m.end - m.start >= 3:
            for k in range(m.start + 1, m.end - 1):
                last = doc[k - 1]
                known = doc[m.start:k].text in org_names
                ends_body = last.tag_ == "NNPS" or last.text.endswith("s") or \
                    last.lower_ in _NOT_GIVEN | {"house"}
                if _person_tail(doc, k, m.end) and (
                        known or ends_body and doc[k].text in names):
                    cut = k
                    break
        if cut is None:
            out.append(m)
            continue
        out.append(Mention.of_tokens(doc, text, m.start, cut, "ORG", m.cued))
        out.append(Mention.of_tokens(doc, text, cut, m.end, "PERSON", cued=True))
    return out


# --- "the X of the Y" ------------------------------------------------------------

_NAME_LINKS = {"of", "for", "and", "the", "on"}


def _name_run(doc, j: int) -> Optional[int]:
    """The end of a run of capitalised proper nouns from token j, with "of",
    "for", "and", "the" between them ("the Welfare of Immigrants"); at most
    six tokens; None if there is none."""
    k, last = j, None
    while k < len(doc) and k - j < 6:
        token = doc[k]
        if _capitalised(token) and token.pos_ == "PROPN" and not token.is_sent_start:
            last = k + 1
        elif token.lower_ not in _NAME_LINKS or last is None and token.lower_ != "the":
            break
        k += 1
    return last


def org_name_completions(doc, text: str,
                         mentions: list[Mention]) -> tuple[list[Mention], list[Mention]]:
    """"[Joint Council] for the Welfare of Immigrants", "[U.S. Agency] for
    [International Development]": an organisation's name that the model ended
    on its head noun, followed by "for" or "of" and capitalised words (or a
    name), is one organisation. A named body's branch in a place ("the
    Federal Home Loan Bank of San Francisco") is left as two names.
    Returns the mentions and the completed ones."""
    by_start = {m.start: m for m in mentions}
    drop, added = set(), []
    heads = ORG_HEAD_NOUNS | {"center", "centre", "office"}
    for m in mentions:
        # the model may have kept the "for" ("[the U.S. Agency for]
        # [International Development]")
        link = m.end - 1 if m.end - m.start > 1 and doc[m.end - 1].lower_ in ("of", "for") \
            else m.end
        j = link + 1
        if m.label != "ORG" or id(m) in drop or j >= len(doc) or \
                doc[link - 1].lower_ not in heads or doc[link].lower_ not in ("of", "for"):
            continue
        end = _name_run(doc, j)
        if end is None:
            continue
        inner = [by_start[i] for i in range(j, end) if i in by_start]
        if any(x.label == "PERSON" or x.end > end for x in inner):
            continue
        first = j + 1 if doc[j].lower_ == "the" else j
        if len(inner) == 1 and inner[0].start == first and inner[0].end == end and \
                inner[0].label in PLACE_LABELS:
            continue  # a branch in a place
        added.append(Mention.of_tokens(doc, text, m.start, end, "ORG", cued=True))
        drop.add(id(m))
        drop.update(id(x) for x in inner)
    return [m for m in mentions if id(m) not in drop] + added, added


def join_repeated_names(doc, text: str, mentions: list[Mention]) -> list[Mention]:
    """"[Duran] [Duran]": one word written twice, one space apart, which the
    model cut into two names, is one name; the name of a band or a company
    rather than a place, unless it is a known place ("Walla Walla")."""
    by_start = {m.start: m for m in mentions}
    drop, added = set(), []
    for m in mentions:
        nxt = by_start.get(m.end)
        if nxt is None or id(m) in drop or m.end - m.start != 1 or nxt.end - nxt.start != 1 \
                or doc[m.start].text != doc[nxt.start].text or \
                doc[m.start].whitespace_ != " ":
            continue
        sub = doc[m.start:nxt.end]
        label = m.label if is_known_place(sub.text) else "ORG"
        added.append(Mention.of_tokens(doc, text, m.start, nxt.end, label, cued=label != m.label))
        drop.update((id(m), id(nxt)))
    return [m for m in mentions if id(m) not in drop] + added


def join_names_cut_at_and(doc, text: str, mentions: list[Mention]) -> list[Mention]:
    """"[Cable and] [Wireless Plc]", "[Union de Banques Arabes et]
    Francaises": a name the model ended on "and" or "&" (or a French,
    German or Spanish "and"), with the words after it a name, is one
    organisation's name."""
    by_start = {m.start: m for m in mentions}
    drop, added = set(), []
    for m in mentions:
        if id(m) in drop or m.end - m.start < 2 or \
                doc[m.end - 1].lower_ not in ("and", "&", "et", "und", "y"):
            continue
        nxt = by_start.get(m.end)
        end = nxt.end if nxt is not None else _name_run(doc, m.end)
        if end is None or nxt is not None and nxt.label in PLACE_LABELS:
            continue
        added.append(Mention.of_tokens(doc, text, m.start, end, "ORG", cued=True))
        drop.add(id(m))
        if nxt is not None:
            drop.add(id(nxt))
    return [m for m in mentions if id(m) not in drop] + added


_COMPANY_SUFFIXES = {"inc", "ltd", "llc", "plc", "co", "corp", "ag", "sa", "nv", "gmbh", "lp",
                     "llp", "spa", "ab", "securities", "partners", "associates"}


def join_enumerated_company(doc, text: str, mentions: list[Mention]) -> list[Mention]:
    """"[Donaldson], [Lufkin and Jenrette Securities Corp.]": a name, a
    comma, then a company's name that enumerates partners with "and" and
    ends in a company's suffix, are one company's name."""
    by_start = {m.start: m for m in mentions}
    drop, added = set(), []
    for m in mentions:
        nxt = by_start.get(m.end + 1)
        if id(m) in drop or nxt is None or m.end >= len(doc) or doc[m.end].text != "," or \
                m.label in PLACE_LABELS or nxt.label != "ORG":
            continue
        words = [t.lower_.rstrip(".") for t in doc[nxt.start:nxt.end]]
        if not ({"and", "&"} & set(words) and words[-1] in _COMPANY_SUFFIXES):
            continue
        added.append(Mention.of_tokens(doc, text, m.start, nxt.end, "ORG", cued=True))
        drop.update((id(m), id(nxt)))
    return [m for m in mentions if id(m) not in drop] + added


def places_after_known_names(doc, text: str, mentions: list[Mention]) -> list[Mention]:
    """"Evergreen Aviation & Space Museum of McMinnville" where the story
    also names "Evergreen Aviation & Space Museum" alone: the name the story
    uses, then where it is, as two names. A name that needs its "of"
    ("University of Chicago", "Bank of America") is never used without it."""
    known = {m.text for m in mentions}
    out = []
    for m in mentions:
        of = next((i for i in range(m.start + 2, m.end - 1) if doc[i].lower_ == "of"), None)
        if m.label != "ORG" or of is None or doc[m.start:of].text not in known or \
                not is_known_place(doc[of + 1:m.end].text):
            out.append(m)
            continue
        out.append(Mention.of_tokens(doc, text, m.start, of, "ORG", m.cued))
        out.append(Mention.of_tokens(doc, text, of + 1, m.end, "GPE", cued=True))
    return out
