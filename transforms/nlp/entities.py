"""Entity mentions of one Doc, grouped per story into entities.

spaCy's mentions, trimmed (articles, possessives, titles such as "President"
are not part of a name), completed (a name the story uses once is found
where the small model missed it), then grouped into one entity with one
canonical name (the fullest form the story uses: "Merkel" -> "Angela
Merkel", "EU" -> "European Union") and the majority label of its mentions.
What the wire's layout says a name is (tables, results, competitors,
datelines, slugs) is read in `wire_layout`; where the model drew a name's
bounds wrong (a bracket, a given name cut off, a person run into an
organisation), in `name_bounds`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Optional

from schemas.records import EntityMention, Story
from transforms.nlp.given_names import given_names
from transforms.nlp.lexicon import (
    GAZETTEER_LABELS, HONORIFICS, NAMED_LABELS, ORG_HEAD_NOUNS, PERSON_HONORIFICS, PLACE_LABELS,
    PLACE_NOUNS, TITLE_NOUNS)
from transforms.nlp.mention import Mention
from transforms.nlp.name_bounds import (
    given_name_before_particle, join_enumerated_company, join_given_name, join_names_cut_at_and,
    join_repeated_names, org_name_completions, orgs_by_noun, people_after_orgs,
    places_after_known_names, split_at_brackets, unnamed_people)
from transforms.nlp.names import (
    children, demonym_place, doc_tokens, entity_id, normalize_name, place_key, recase_name)
from transforms.nlp.wire_layout import (
    INITIAL, as_team, city_names, competitor_names, crosses_side, followed_by_country,
    in_a_table, is_dateline_place, is_known_place, is_name_shape, is_place_name,
    opens_table_row, result_sides, section_slug_end, source_line_city_words, span_is_name_shape,
    table_rows)


# --- Mentions -------------------------------------------------------------------

# Occupations written before a name, which the model folds into it when a
# sentence opens with them ("Composer Thomas is a native of Chisholm").
_OCCUPATIONS = {"composer", "playwright", "poet", "novelist", "author", "writer", "actor",
                "actress", "singer", "photographer", "painter", "sculptor", "pianist",
                "violinist", "conductor", "dancer", "comedian", "filmmaker", "diver",
                "architect", "astronaut", "explorer", "inventor", "philosopher"}


def _is_title_token(token) -> bool:
    word = token.lower_.rstrip(".")
    return word in TITLE_NOUNS or word in HONORIFICS or token.lower_ in HONORIFICS or \
        word in _OCCUPATIONS and token.is_sent_start


def _trim(doc, start: int, end: int, label: str) -> Optional[tuple[int, int]]:
    """Token bounds of a mention without a leading article or title, a
    trailing "'s", punctuation, or a line break inside it."""
    tokens = doc_tokens(doc)
    while start < end and (tokens[start].lower_ in ("the", "a", "an") or
                           tokens[start].is_punct or tokens[start].is_space or
                           # "ex-European Council head X": a former office's "ex-"
                           tokens[start].lower_ == "ex" and start + 1 < end and
                           tokens[start + 1].text == "-"):
        start += 1
    if label == "PERSON":
        while end - start > 1 and (_is_title_token(tokens[start]) or
                                   tokens[start].ent_type_ in ("NORP", "GPE") and
                                   tokens[start + 1].lower_.rstrip(".") in TITLE_NOUNS):
            start += 1
    while end - start > 1 and not any(c.isalpha() for c in tokens[end - 1].text):
        end -= 1  # "Surrey 429-7", "P. Johnson 84"
    while end > start and (tokens[end - 1].tag_ == "POS" and not _name_s(doc, end - 1)
                           or tokens[end - 1].is_punct
                           and tokens[end - 1].text not in (".",) or tokens[end - 1].is_space
                           or tokens[end - 1].text == "." and end - start == 1):
        end -= 1
    for i in range(start, end):
        if "\n" in tokens[i].text or "\n" in tokens[i].whitespace_ and i < end - 1:
            # a span across lines: keep the part with the most letters
            left = sum(len(t.text) for t in doc[start:i + 1] if not t.is_space)
            right = sum(len(t.text) for t in doc[i + 1:end] if not t.is_space)
            if left >= right:
                end = i + 1 if not tokens[i].is_space else i
            else:
                start = i + 1
            return _trim(doc, start, end, label) if start < end else None
    return (start, end) if start < end else None


def _name_s(doc, i: int) -> bool:
    """"St. John's and Gander": an "'s" that is part of a name, not a
    possessive: the word before it possesses nothing (not "poss" in the
    parse) and no noun follows."""
    return i > 0 and doc[i - 1].dep_ != "poss" and doc[i].text in ("'s", "\u2019s") and (
        i + 1 == len(doc) or doc[i + 1].pos_ not in ("NOUN", "PROPN", "ADJ", "NUM"))


_NAME_SUFFIXES = {"inc", "ltd", "llc", "plc", "co", "corp", "jr", "sr", "ag", "sa",
                  "nv", "bv", "gmbh", "lp", "llp", "ii", "iii", "iv", "spa", "ab"}


def _enumerated_name(doc, start: int, end: int, label: str) -> bool:
    """"Donaldson, Lufkin and Jenrette Securities Corp.", "the Ministry for
    Refugees, Labour, Health and Social Affairs": an organisation named by
    an enumeration, its commas closed by "and", ending in a company's suffix
    or opening with a body's word."""
    if label != "ORG":
        return False
    words = [t.lower_.rstrip(".") for t in doc[start:end]]
    commas = [i for i, w in enumerate(words) if w == ","]
    return bool(commas) and any(w in ("and", "&") for w in words[commas[-1]:]) and (
        words[-1] in _NAME_SUFFIXES or words[0] in ORG_HEAD_NOUNS)


def _pieces(doc, start: int, end: int, label: str = "") -> list[tuple[int, int]]:
    """A span cut at its commas ("Grace Road, Leicestershire" is two
    places), unless what follows the comma is a suffix of the name
    ("Acme, Inc.", "Smith, Jr.") or the commas enumerate one name."""
    enumerated = _enumerated_name(doc, start, end, label)
    cuts = [i for i in range(start + 1, end - 1) if (
        doc[i].text == "," and not enumerated and
        doc[i + 1].lower_.rstrip(".") not in _NAME_SUFFIXES
        # "Cricket - Leicestershire", "Romania - Cosmin Contra": a spaced dash
        or doc[i].text in ("-", "\u2013", "\u2014", "--") and doc[i - 1].whitespace_
        # "Yorkshire at Headingley", "Kent v Surrey"
        or doc[i].text in ("at", "v", "vs", "vs.", "versus")
        # "Pennzoil Co <PZL>": the wire's ticker after a company's name (the
        # model reads its brackets as spaces, `names.model_text`)
        or doc[i].is_space and "\n" not in doc[i].text)]
    if not cuts:
        return [] if _ticker(doc, start, end) else [(start, end)]
    bounds, last = [], start
    for cut in cuts:
        bounds.append((last, cut))
        last = cut + 1
    bounds.append((last, end))
    return [b for b in bounds if b[0] < b[1] and not _ticker(doc, *b)]


_TICKER = re.compile(r"[A-Z0-9.]{1,10}")


def _ticker(doc, start: int, end: int) -> bool:
    """"HYO.TO" of "Husky Oil Ltd <HYO.TO>": a stock code the wire put in
    brackets after a name, no name of its own."""
    def bracket(i: int) -> bool:  # `names.model_text` reads "<" and ">" as spaces
        return 0 <= i < len(doc) and doc[i].is_space and "\n" not in doc[i].text

    while end > start and bracket(end - 1):
        end -= 1
    closed = bracket(end) or doc[end - 1].whitespace_ and (end == len(doc) or doc[end].is_punct)
    return end - start == 1 and bracket(start - 1) and closed and \
        _TICKER.fullmatch(doc[start].text) is not None


def _initial_and_surname(doc, start: int, end: int) -> bool:
    """"M. McCague", "J. R. Smith": initials, then a capitalised name."""
    i = start
    while i < end - 1 and INITIAL.match(doc[i].text):
        i += 1
    return i > start and i == end - 1 and doc[i].text[:1].isupper() and \
        doc[i].text[1:2].islower() and len(doc[i].text) > 2


def _initial_names(doc, text: str, taken: set) -> list[Mention]:
    """People the model missed in lists and tables: an initial and a
    capitalised surname outside any entity ("W. Athey 34")."""
    tokens = doc_tokens(doc)
    found = []
    for i in range(len(doc) - 1):
        if i in taken or i + 1 in taken or not INITIAL.match(tokens[i].text):
            continue
        if i > 0 and INITIAL.match(tokens[i - 1].text):
            continue
        end = i + 1
        while end < len(doc) - 1 and INITIAL.match(tokens[end].text) and end not in taken:
            end += 1
        if end < len(doc) and end not in taken and _initial_and_surname(doc, i, end + 1) \
                and tokens[end].pos_ in ("PROPN", "NOUN", "ADJ", "VERB"):
            found.append(Mention.of_tokens(doc, text, i, end + 1, "PERSON"))
            taken.update(range(i, end + 1))
    return found


_NOT_PERSON_OFFICES = {"board", "council", "head", "chair", "partner", "owner",
                       "member", "player", "worker", "employee", "agent"}


def _person_cues(doc, start: int, end: int) -> bool:
    """Signs that a name the model called an organisation or a place is a
    person's: an honorific before it ("Mrs. Higgins"), or an age or an
    office in apposition ("Harrington, a professor of ...", "X, 50, of")."""
    if start > 0 and doc[start - 1].lower_.rstrip(".") in PERSON_HONORIFICS:
        return True
    head = doc[end - 1]
    for child in children(head):
        if child.dep_ != "appos" or child.i < end:
            continue
        if child.like_num and child.text.isdigit() and 1 <= int(child.text) <= 110 and \
                end < len(doc) and doc[end].text == ",":
            return True
        word = child.lower_.rstrip(".")
        if (word in TITLE_NOUNS and word not in _NOT_PERSON_OFFICES or word in _PERSON_NOUNS) \
                and not child.ent_type_:
            return True
    return False


# What only a person is of a place, in apposition to a name ("Halston, a
# former resident of Evansville"). Kin and other person nouns are left out:
# the parse hangs them on the wrong name too often ("X's son, Y").
_PERSON_NOUNS = {"resident", "native", "citizen", "inhabitant"}


def _mentions(doc, text: str, sides: set[tuple[int, int]]) -> list[Mention]:
    found = []
    slug_end = section_slug_end(text)
    for span in doc.ents:
        if span.label_ not in NAMED_LABELS:
            continue
        for piece in _pieces(doc, span.start, span.end, span.label_):
            if doc[piece[1] - 1].idx < slug_end:
                continue
            bounds = _trim(doc, piece[0], piece[1], span.label_)
            if not bounds:
                continue
            start, end = bounds
            sub = doc[start:end]
            surface = text[sub.start_char:sub.end_char]
            if not any(ch.isalpha() for ch in surface) or \
                    crosses_side(sub.start_char, sub.end_char, sides):
                continue
            label = as_team(doc, start, end, span.label_)
            if label not in ("PERSON", "ORG") and opens_table_row(doc, start, end) and \
                    not is_place_name(surface) or \
                    (sub.start_char, sub.end_char) in sides and not place_key(surface):
                label = "ORG"  # a side in a table or a results line
            if label == "ORG" and is_place_name(surface) or \
                    label in ("ORG", "PERSON", "NORP") and \
                    is_dateline_place(text, sub.end_char, surface):
                label = "GPE"  # "Slovakia beat the Faroes"; "DAYTON, Ohio (AP)"
            elif label in ("ORG", "GPE", "LOC", "PERSON") and demonym_place(surface):
                label = "NORP"  # "Milan's new Uruguayan coach X": a people, no body
            if label in ("ORG", "GPE", "LOC", "NORP", "PRODUCT", "WORK_OF_ART", "FAC") and (
                    _initial_and_surname(doc, start, end) or _person_cues(doc, start, end)
                    or followed_by_country(doc, end) and span_is_name_shape(doc, start, end)):
                label = "PERSON"  # "M. McCague", "Harrington, a professor", "X (Russia)"
            if label == "PERSON":
                start, end = _whole_name(doc, start, end)
                sub = doc[start:end]
                surface = text[sub.start_char:sub.end_char]
            city = source_line_city_words(doc, start, end) if label == "ORG" else 0
            if city:
                # "Paris Radio Monte Carlo in Arabic": the city, then the station
                place = doc[start:start + city]
                found.append(Mention(start, start + city, place.text, "GPE", place.start_char,
                                     place.end_char, cued=True))
                start, sub = start + city, doc[start + city:end]
                surface = text[sub.start_char:sub.end_char]
            found.append(Mention(start, end, surface, label, sub.start_char, sub.end_char,
                                 cued=label != span.label_,
                                 team=label == "ORG" and span.label_ != "ORG" and
                                 in_a_table(doc, start, end, sides)))
    return found


def _free_name_word(token) -> bool:
    return token.ent_type_ == "" and token.pos_ == "PROPN" and token.text[:1].isupper() \
        and not token.text.isupper() and token.text.replace("-", "").isalpha()


def _whole_name(doc, start: int, end: int) -> tuple[int, int]:
    """A person's name the model cut in two: a given name left outside
    ("Waqar [Younis]") or a surname left outside ("[Natalia] Karimova")."""
    names = given_names()
    if start > 0 and _free_name_word(doc[start - 1]) and doc[start - 1].text in names \
            and doc[start - 1].whitespace_:
        return start - 1, end
    if end - start == 1 and doc[start].text in names and end < len(doc) and \
            _free_name_word(doc[end]) and doc[start].whitespace_:
        return start, end + 1
    return start, end


def _recover(doc, text: str, mentions: list[Mention], sides: set[tuple[int, int]],
             joined: tuple = (), nicknames: tuple = ()) -> list[Mention]:
    """Names the story uses elsewhere that the model missed here.

    A capitalised token sequence equal to a mention's text, to the
    surname of a PERSON named in full, or to a side's nickname ("Pistons"
    after "Detroit Pistons", `_nicknames`), and not inside any entity (dates
    and amounts included), is a mention of that name too.
    """
    tokens = doc_tokens(doc)
    taken = set()
    for ent in doc.ents:
        if not crosses_side(ent.start_char, ent.end_char, sides):
            taken.update(range(ent.start, ent.end))
    for m in joined:
        taken.update(range(m.start, m.end))  # "the Clan of the Gulf" is one name
    keys: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
    seen = set()
    for m in mentions:
        words = tuple(t.text for t in doc[m.start:m.end])
        candidates = [words]
        if m.label == "PERSON" and len(words) >= 2 and len(words[-1]) > 2:
            candidates.append(words[-1:])
        for key in candidates:
            if key in seen or not key[0][:1].isupper():
                continue
            seen.add(key)
            keys[key[0]].append((key, m.label))
    for key in nicknames:
        if key not in seen:
            seen.add(key)
            keys[key[0]].append((key, "ORG"))
    added = _initial_names(doc, text, taken)
    added += competitor_names(doc, text, taken)
    added += table_rows(doc, text, taken, sides)
    if not keys:
        return added
    for first in keys:
        keys[first].sort(key=lambda k: -len(k[0]))
    person_ends = {m.end for m in mentions if m.label == "PERSON"}
    i, n = 0, len(doc)
    while i < n:
        token = tokens[i]
        options = keys.get(token.text) if i not in taken else None
        if options:
            for words, label in options:
                j = i + len(words)
                if j <= n and all(tokens[i + k].text == words[k] and (i + k) not in taken
                                  for k in range(len(words))):
                    if len(words) == 1 and token.is_sent_start and token.pos_ != "PROPN":
                        break
                    if len(words) == 1 and label == "PERSON" and i in person_ends:
                        break  # "[John Henry] Ivy": another Ivy's surname, not Leroy Ivy
                    added.append(Mention.of_tokens(doc, text, i, j, label))
                    taken.update(range(i, j))
                    i = j - 1
                    break
        i += 1
    return added


def _initials(words: list[str]) -> str:
    return "".join(w[0] for w in words if w[:1].isupper() and
                   w.lower() not in ("of", "the", "and", "for", "de", "la"))


def _named_as_person(full: Mention, members: list[Mention], words_of: dict) -> bool:
    """A full name the story goes on to use by its surname alone ("Jeff
    Tarango" ... "Tarango"), written as personal names are (given name
    first), or labelled PERSON by the model: the small model often calls
    the repeated surname an organisation, and a vote of those mentions
    would outweigh the full name."""
    words = words_of[id(full)]
    if not 2 <= len(words) <= 4 or place_key(full.text):
        return False
    by_surname = any(words_of[id(m)] == words[-1:] for m in members if m is not full)
    if not by_surname:
        return False
    return full.label == "PERSON" or _given_name_first(full.text)


def _given_name_first(text: str) -> bool:
    """"Jeff Tarango", "Irina Privalova": a given name, then capitalised
    words; not a known place, nor led by one ("Indiana Pacers")."""
    parts = text.split()
    return is_name_shape(parts, text) and parts[0] in given_names() and \
        not _place_lead(parts)


def resolve_canonical(mentions: list[Mention]) -> None:
    """Group the mentions of one story into entities; give each mention the
    entity's canonical name, majority label and entity_id.

    Same entity: the same normalised name; a PERSON's surname or first name
    alone ("Merkel" -> "Angela Merkel"; the nearest full name before it when
    two share a surname); an organisation's leading words or its initials
    ("Apple" -> "Apple Inc", "EU" -> "European Union"); a place by its
    gazetteer key ("U.S." -> "United States").
    """
    if not mentions:
        return
    ordered = sorted(mentions, key=lambda m: m.start_char)
    words_of = {id(m): normalize_name(m.text).split() for m in ordered}
    same = _Groups(ordered)
    _join_same_names(ordered, words_of, same)
    _join_short_forms(ordered, words_of, same)
    for members in same.groups(ordered):
        _name_entity(members, words_of)


class _Groups:
    """Which mentions of a story are one entity, as they are found to be
    (union-find)."""

    def __init__(self, mentions: list[Mention]):
        self._parent = {id(m): m for m in mentions}

    def _root(self, m: Mention) -> Mention:
        parent = self._parent
        while parent[id(m)] is not m:
            parent[id(m)] = parent[id(parent[id(m)])]
            m = parent[id(m)]
        return m

    def join(self, a: Mention, b: Mention) -> None:
        ra, rb = self._root(a), self._root(b)
        if ra is not rb:
            self._parent[id(rb)] = ra

    def groups(self, ordered: list[Mention]) -> list[list[Mention]]:
        """Each entity's mentions, in the order given."""
        groups: dict[int, list[Mention]] = defaultdict(list)
        for m in ordered:
            groups[id(self._root(m))].append(m)
        return list(groups.values())


def _join_same_names(ordered: list[Mention], words_of: dict, same: _Groups) -> None:
    """Mentions of the same normalised name, and places of the same
    gazetteer key ("U.S.", "United States")."""
    by_name: dict[str, Mention] = {}
    by_place: dict[str, Mention] = {}
    for m in ordered:
        norm = " ".join(words_of[id(m)])
        if not norm:
            continue
        if m.team:
            norm += " #team"  # Chicago the club is not Chicago the city
        if norm in by_name:
            same.join(by_name[norm], m)
        else:
            by_name[norm] = m
        key = place_key(m.text) if m.label in GAZETTEER_LABELS and not m.team else None
        if key and m.label != "NORP":
            if key in by_place:
                same.join(by_place[key], m)
            else:
                by_place[key] = m


def _join_short_forms(ordered: list[Mention], words_of: dict, same: _Groups) -> None:
    """A short form with the full name it stands for: a person's surname or
    first name, an acronym, an organisation's leading words or a side's
    nickname. A name of two words written as a person's (given name first)
    stands for its surname whatever the model labelled it ("Dino Rossi" ...
    "Rossi")."""
    people = [m for m in ordered if m.label == "PERSON" and len(words_of[id(m)]) >= 2]
    shaped = [m for m in ordered if m.label in ("ORG", "GPE", "NORP", "PRODUCT", "WORK_OF_ART")
              and len(words_of[id(m)]) == 2 and _given_name_first(m.text) and
              words_of[id(m)][-1] not in _INSTITUTION_WORDS]
    orgs = [m for m in ordered if m.label in ("ORG", "GPE", "LOC", "FAC", "EVENT", "LAW")
            and len(words_of[id(m)]) >= 2]
    for m in ordered:
        words = words_of[id(m)]
        if not words:
            continue
        full = _person_in_full(m, words, people, words_of)
        if full is None and m.label in ("PERSON", "GPE", "NORP") and len(words) == 1:
            # "Dino Rossi" (ORG) ... "Rossi" (GPE): the model's labels disagree,
            # the surname says which name it is
            full = _person_in_full(m, words, [p for p in shaped if
                                              words_of[id(p)][-1:] == words], words_of)
        if full is None:
            if _is_acronym(m, words):
                # a country's code ("US", "UK") is that country, not an
                # organisation that happens to share its initials
                country = place_key(m.text) or m.text.replace(".", "") == "UK"
                full = None if country else _org_of_initials(m, orgs)
            elif m.label == "ORG" or m.label in ("PERSON", "NORP", "WORK_OF_ART") and \
                    len(words) == 1 and words[0] in ORG_HEAD_NOUNS:
                # "the Clan" after "the Clan of the Gulf", whatever its label
                full = _org_of_leading_words(words, orgs, words_of)
                if full is None and m.label == "ORG":
                    full = _org_of_nickname(words, orgs, words_of)
        if full is not None:
            same.join(full, m)


def _person_in_full(m: Mention, words: list[str], people: list[Mention],
                    words_of: dict) -> Optional[Mention]:
    """The person a surname or first name alone stands for ("Merkel" ->
    "Angela Merkel"), whatever the model labelled it: the nearest full name
    before it when two share it."""
    if m.label not in ("PERSON", "ORG", "GPE", "NORP", "PRODUCT") or len(words) > 2:
        return None
    matches = [p for p in people if len(words_of[id(p)]) > len(words) and (
        words_of[id(p)][-len(words):] == words or words_of[id(p)][:len(words)] == words)]
    if not matches:
        return None
    before = [p for p in matches if p.start_char < m.start_char]
    return before[-1] if before else matches[0]


def _is_acronym(m: Mention, words: list[str]) -> bool:
    return m.label in ("ORG", "GPE", "LOC", "NORP") and len(words) == 1 and \
        m.text.isupper() and 2 <= len(m.text.replace(".", "")) <= 6


def _org_of_initials(acronym: Mention, orgs: list[Mention]) -> Optional[Mention]:
    """"EU" -> "European Union"."""
    letters = acronym.text.replace(".", "")
    return next((o for o in orgs if _initials(o.text.split()) == letters), None)


def _org_of_leading_words(words: list[str], orgs: list[Mention],
                          words_of: dict) -> Optional[Mention]:
    """"Apple" -> "Apple Inc"."""
    return next((o for o in orgs if o.label == "ORG" and len(words_of[id(o)]) > len(words)
                 and words_of[id(o)][:len(words)] == words), None)


def _org_of_nickname(words: list[str], orgs: list[Mention],
                     words_of: dict) -> Optional[Mention]:
    """"Pacers" -> "Indiana Pacers"."""
    for o in orgs:
        lead = _place_lead(o.text.split())
        if o.label == "ORG" and lead and normalize_name(
                " ".join(o.text.split()[lead:])).split() == words:
            return o
    return None


def _place_lead(words: list[str]) -> int:
    """How many leading words of a name are a place ("Indiana Pacers", "New
    York Knicks"), the most that leave a word after them; 0 if none."""
    for k in range(len(words) - 1, 0, -1):
        lead = " ".join(words[:k])
        if is_known_place(lead):
            return k
    return 0


def _nicknames(doc, mentions: list[Mention]) -> list[tuple[str, ...]]:
    """A side named by its place and its nickname ("Indiana Pacers",
    "Detroit Pistons") is often named by the nickname alone after, which
    the model takes for a person or misses: the nickname's words, and the
    story's mentions of them become the organisation's (cued)."""
    names = given_names()
    tails = set()
    for m in mentions:
        words = [t.text for t in doc[m.start:m.end]]
        lead = _place_lead(words) if m.label == "ORG" and not m.team else 0
        tail = doc[m.start + lead:m.end]
        if not lead or not all(t.pos_ == "PROPN" and t.text[:1].isupper() for t in tail) or \
                tail[-1].lower_ in ORG_HEAD_NOUNS or tail.text in names or \
                is_known_place(tail.text):
            continue
        tails.add(tuple(t.text for t in tail))
    for m in mentions:
        if m.label in ("PERSON", "NORP", "ORG") and \
                tuple(t.text for t in doc[m.start:m.end]) in tails:
            m.label, m.cued = "ORG", True
    return sorted(tails)


def _people_by_group(doc, text: str, mentions: list[Mention]) -> list[Mention]:
    """"Gregoire and other Democrats": a name joined by "and" to other
    members of a party or a people is a person's, whatever the model
    labelled it; a capitalised proper noun there that the model left out of
    any name is a person named. Returns the names it adds."""
    tokens = doc_tokens(doc)
    group_at = {m.start: m for m in mentions if m.label == "NORP"}
    by_end = {m.end: m for m in mentions}
    taken = {i for m in mentions for i in range(m.start, m.end)}
    added = []
    for conj in tokens:
        if conj.dep_ != "conj" or conj.i not in group_at or \
                conj.tag_ not in ("NNPS", "NNS") or \
                not any(c.dep_ == "amod" and c.lower_ == "other" for c in children(conj)):
            continue
        head = conj.head
        m = by_end.get(head.i + 1)
        if m is not None and m.label in ("ORG", "GPE", "NORP", "PRODUCT") and \
                not is_place_name(m.text) and m.text not in city_names():
            m.label, m.cued = "PERSON", True
        elif m is None and head.i not in taken and head.pos_ == "PROPN" and \
                head.text[:1].isupper() and not head.text.isupper() and head.text.isalpha():
            start = head.i
            while start > 0 and tokens[start - 1].dep_ == "compound" and \
                    tokens[start - 1].pos_ == "PROPN" and start - 1 not in taken:
                start -= 1
            added.append(Mention.of_tokens(doc, text, start, head.i + 1, "PERSON", cued=True))
    return added


def _name_entity(members: list[Mention], words_of: dict) -> None:
    """Give an entity's mentions its canonical name, label and id, from its
    fullest mention (the most words, then the longest, then the first)."""
    full = max(members, key=lambda m: (len(words_of[id(m)]), len(m.text), -m.start_char))
    label = _entity_label(full, members, words_of)
    canonical = _canonical_name(full, members)
    key = entity_id(canonical, label)
    for m in members:
        m.canonical, m.canonical_label, m.key = canonical, label, key


def _entity_label(full: Mention, members: list[Mention], words_of: dict) -> str:
    """The label most of the mentions have (of the cued ones, if any: a cue
    outweighs the model), the full name's on a tie; PERSON for a full name
    the story goes on to use by its surname (`_named_as_person`)."""
    voters = [m for m in members if m.cued] or members
    counts = Counter(m.label for m in voters)
    top = max(counts.values())
    label = full.label if counts[full.label] == top else \
        next(m.label for m in voters if counts[m.label] == top)
    if label != "PERSON" and _named_as_person(full, members, words_of):
        label = "PERSON"
    return label


def _canonical_name(full: Mention, members: list[Mention]) -> str:
    """The full mention's text, unless it is in capitals (a headline's) and
    longer than an acronym: then the longest mention in ordinary case, if
    the story has one."""
    canonical = full.text
    if canonical.isupper() and len(canonical) > 4:
        cased = [m.text for m in members if not m.text.isupper()]
        canonical = max(cased, key=len) if cased else canonical
    return canonical


def _head_word_at(doc, i: int) -> bool:
    """A capitalised noun that heads an organisation's name ("Clan",
    "Bank", "Brotherhood"), written as a name mid-sentence."""
    tokens = doc_tokens(doc)
    token = tokens[i]
    return token.lower_ in ORG_HEAD_NOUNS and token.text[:1].isupper() and \
        not token.text.isupper() and not token.is_sent_start


def _of_names(doc, text: str, mentions: list[Mention]) -> tuple[list[Mention], list[Mention]]:
    """"the Clan of the Gulf", "the Bank of the South": an organisation's
    name written "the X of the Y", which the model cuts into two names (or
    leaves the head word out of any), is one ORG mention. A head noun of
    organisations, capitalised, after "the" and before "of (the)" and a
    name; the name's own mention is folded in. Returns the mentions and
    the joined ones."""
    by_start = {m.start: m for m in mentions}
    by_end = {m.end: m for m in mentions}
    drop, added = set(), []
    for i in range(1, len(doc) - 2):
        if not _head_word_at(doc, i) or doc[i + 1].lower_ != "of":
            continue
        head = by_end.get(i + 1)
        first = head.start if head is not None else i
        if first == 0 or doc[first - 1].lower_ != "the" or head is not None and (
                head.label not in ("ORG", "PERSON", "NORP", "WORK_OF_ART") or id(head) in drop):
            continue
        j = i + 3 if doc[i + 2].lower_ == "the" else i + 2
        tail = by_start.get(j)
        if tail is None or id(tail) in drop:
            continue
        if head is not None and head.label == "ORG" and head.end - head.start > 1 and \
                tail.label in PLACE_LABELS:
            continue  # "the Federal Home Loan Bank of San Francisco": a named body's branch
        added.append(Mention.of_tokens(doc, text, first, tail.end, "ORG", cued=True))
        drop.update(id(m) for m in (head, tail) if m is not None)
    return [m for m in mentions if id(m) not in drop] + added, added


def _dateline_heads(doc, text: str, mentions: list[Mention]) -> list[Mention]:
    """A dateline's place in capitals that the model left out of any name
    ("BANGKOK, Thailand (AP)"): capitals opening a line, then a comma and a
    state or country."""
    tokens = doc_tokens(doc)
    taken = {i for m in mentions for i in range(m.start, m.end)}
    taken.update(i for ent in doc.ents for i in range(ent.start, ent.end))
    added = []
    for i, token in enumerate(tokens):
        line_start = i == 0 or "\n" in tokens[i - 1].whitespace_ or "\n" in tokens[i - 1].text
        if not line_start or i in taken:
            continue
        j = i
        while j < len(doc) and j not in taken and tokens[j].text.isupper() and \
                tokens[j].text.replace("-", "").isalpha():
            j += 1
        if j == i:
            continue
        sub = doc[i:j]
        surface = text[sub.start_char:sub.end_char]
        if is_dateline_place(text, sub.end_char, surface):
            added.append(Mention(i, j, surface, "GPE", sub.start_char, sub.end_char, cued=True))
    return added


def _places_by_noun(doc, mentions: list[Mention]) -> None:
    """A name the text calls a place, whatever the model labelled it:
    "Yerevan, the capital of Armenia", "the small resort town of Lowman"."""
    for m in mentions:
        if m.label not in ("PERSON", "ORG", "NORP"):
            continue
        head = doc[m.end - 1]
        apposed = [c for c in children(head) if c.dep_ == "appos" and
                   c.lemma_.lower() in PLACE_NOUNS and
                   any(d.dep_ == "det" for d in children(c))]
        named = head.dep_ == "pobj" and head.head.lower_ == "of" and \
            head.head.head.lemma_.lower() in PLACE_NOUNS and \
            any(d.lower_ == "the" for d in children(head.head.head))
        unit = m.label in ("PERSON", "NORP") and m.end - m.start > 1 and \
            head.lower_ in _PLACE_UNIT_WORDS | _STREET_WORDS
        if apposed or named or unit:
            m.label, m.cued = "FAC" if head.lower_ in _STREET_WORDS else "GPE", True


# The last word of a place's name that names what kind of place it is
# ("Cameron Parish", "Dan Sai District"), which the model reads as a surname.
_STREET_WORDS = {"road", "street", "avenue", "boulevard", "square", "bridge", "highway"}
_PLACE_UNIT_WORDS = {"parish", "county", "district", "province", "township", "prefecture",
                     "oblast", "canton", "governorate", "municipality", "borough"}


# Words that end the name of an institution or a site, never a surname.
_INSTITUTION_WORDS = ORG_HEAD_NOUNS | {"center", "centre", "museum", "gallery", "hospital",
                                       "school", "library", "institution", "laboratory"}
# Words that end the name of a body, never a place's (unlike "Union",
# "Front" or "Republic").
_BODY_WORDS = {"fund", "bank", "party", "university", "institute", "foundation",
               "association", "ministry", "commission", "committee", "agency", "council",
               "corporation", "company", "trust"}
_COMPASS_WORDS = {"west", "east", "north", "south", "western", "eastern", "northern",
                  "southern", "left", "right"}
# Portfolios a government names an agency after, in front of the country's
# name ("Environment Canada", "Statistics Canada", "Sport England").
_PORTFOLIO_WORDS = {"environment", "statistics", "transport", "health", "parks", "fisheries",
                    "industry", "justice", "agriculture", "immigration", "elections",
                    "heritage", "revenue", "customs", "tourism", "sport", "veterans"}


def _institutions(doc, text: str, mentions: list[Mention]) -> list[Mention]:
    """Names the model took for a person or a place that are institutions:
    "Steven F. Udvar-Hazy Center" (a PERSON ending in "Center"), and
    "Environment Canada" (a portfolio word, then a country: an agency)."""
    out = []
    for m in mentions:
        if m.label == "PERSON" and m.end - m.start > 1 and \
                doc[m.end - 1].lower_ in _INSTITUTION_WORDS:
            m.label, m.cued = "ORG", True
        if m.label in ("GPE", "LOC") and m.end - m.start > 1 and \
                doc[m.end - 1].lower_ in _BODY_WORDS and not place_key(m.text) and \
                doc[m.start].lower_ not in _COMPASS_WORDS:  # "the West Bank" is a place
            m.label, m.cued = "ORG", True  # "the Korea Fund": a fund, not Korea
        before = doc[m.start - 1] if m.start > 0 else None
        if m.label == "GPE" and before is not None and before.lower_ in _PORTFOLIO_WORDS \
                and before.text[:1].isupper() and not before.ent_type_ and \
                before.head.i in range(m.start, m.end):
            out.append(Mention.of_tokens(doc, text, m.start - 1, m.end, "ORG", cued=True))
            continue
        out.append(m)
    return out


def _people_by_office(doc, mentions: list[Mention]) -> None:
    """A name in apposition to an office, which the model took for a place:
    "the last Incan King of Peru, Atahualpa", "Sihanouk's son and
    representative in Thailand, Prince Norodom Ranariddh"."""
    for m in mentions:
        head = doc[m.end - 1]
        if m.label not in ("GPE", "LOC", "NORP") or head.dep_ != "appos" or \
                head.head.i in range(m.start, m.end):
            continue
        office = head.head
        words = {office.lower_} | {c.lower_ for c in children(office) if c.dep_ == "conj"}
        if words & TITLE_NOUNS and not place_key(m.text):
            m.label, m.cued = "PERSON", True


def find_entities(doc, text: str) -> list[Mention]:
    """The story's entity mentions in text order, each with its entity's
    canonical name, label and id."""
    sides = result_sides(text)  # once per story: three rules read them
    mentions = split_at_brackets(doc, text, _mentions(doc, text, sides))
    mentions = join_names_cut_at_and(doc, text, mentions)
    mentions = join_enumerated_company(doc, text, mentions)
    mentions = people_after_orgs(doc, text, mentions)
    mentions = join_given_name(doc, text, mentions)
    mentions = given_name_before_particle(doc, text, mentions)
    mentions, unnamed = unnamed_people(doc, text, mentions)
    mentions = places_after_known_names(doc, text, mentions)
    mentions, joined = _of_names(doc, text, mentions)
    mentions, completed = org_name_completions(doc, text, mentions)
    nicknames = _nicknames(doc, mentions)
    mentions += _recover(doc, text, mentions, sides, joined + completed + unnamed, nicknames)
    orgs_by_noun(doc, mentions)
    mentions += _people_by_group(doc, text, mentions)
    mentions = join_repeated_names(doc, text, mentions)
    mentions += _dateline_heads(doc, text, mentions)
    _places_by_noun(doc, mentions)
    _people_by_office(doc, mentions)
    mentions = _institutions(doc, text, mentions)
    resolve_canonical(mentions)
    mentions.sort(key=lambda m: m.start)
    return mentions


def dateline_entities(story: Story, mentions: list[Mention]) -> list[EntityMention]:
    """The dateline's places as mentions with field = 'dateline' and offsets
    into stories.dateline: "NAIROBI, Kenya" is Nairobi and Kenya. Cleaning
    moved the dateline out of the body, but it is still where the story was
    filed, so "where is the news" queries find it by entity_id. A place the
    story also names shares that entity; else it is a GPE of its own."""
    if not story.dateline:
        return []
    places = {}
    for m in mentions:
        if m.canonical_label in PLACE_LABELS:
            places.setdefault(normalize_name(m.text), m)
            places.setdefault(normalize_name(m.canonical), m)
            key = place_key(m.canonical)
            if key:
                places.setdefault(key, m)
    rows = []
    for piece in re.finditer(r"[^,]+", story.dateline):
        start = piece.start() + len(piece.group()) - len(piece.group().lstrip())
        end = piece.start() + len(piece.group().rstrip())
        surface = story.dateline[start:end]
        if not any(c.isalpha() for c in surface):
            continue
        key = place_key(surface)
        known = places.get(normalize_name(surface)) or (places.get(key) if key else None)
        if known is not None:
            canonical, label, key = known.canonical, known.canonical_label, known.entity_id
        else:
            canonical, label = recase_name(surface, story.body), "GPE"
            key = entity_id(canonical, label)
        rows.append(EntityMention(
            story_id=story.story_id, field="dateline", start_char=start, end_char=end,
            text=surface, label=label, canonical=canonical, entity_id=key))
    return rows
