"""From a parsed spaCy Doc to entity mentions, relations and quotes.

Plain Python over the Doc, no Beam and no model loading, so every rule is
unit-tested on real parses. The text given to spaCy is the title, a blank
line, then the body (`story_text`), with lines set in capitals (wire
headlines) re-cased for the model by `model_text`, which keeps every
character offset; offsets are mapped back into whichever of the two fields a
span lies in, and every string written comes from the stored fields.

Entities: spaCy's mentions, trimmed (articles, possessives, titles such as
"President" are not part of a name), completed (a name the story uses once
is found where the small model missed it), then grouped per story into one
entity with one canonical name (the fullest form the story uses: "Merkel"
-> "Angela Merkel", "EU" -> "European Union", "U.S." -> "United States")
and the majority label of its mentions. entity_id is the same for the same
entity in every story: names are normalised (case, accents, dots, hyphens,
"the", possessives) and countries resolve through the ISO 3166 gazetteer of
`pycountry`, US states through `us`.

Relations: typed ones from dependency patterns, appositions and titles
(works_for, located_in, based_in, lives_in, killed, member_of, meets, ...),
plus open subject-verb-object relations with a lemma predicate and
relation_type None. Quotes: direct quotations, split and multi-paragraph
ones included, attributed to the speaker's entity where the text says who.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Optional

from schemas.records import EntityMention, Extraction, Quote, Relation, Story
from transforms.clean import stable_id

SEPARATOR = "\n\n"

# Entity types that name someone or something; dates, amounts and ordinals are
# not who or what is in the news.
NAMED_LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT",
                "PRODUCT", "WORK_OF_ART", "LAW", "LANGUAGE"}
PLACE_LABELS = {"GPE", "LOC", "FAC"}
AGENT_LABELS = {"PERSON", "ORG", "NORP", "GPE"}

REPORTING_VERBS = {"say", "tell", "add", "state", "announce", "declare",
                   "explain", "insist", "warn", "write", "ask", "claim",
                   "note", "argue", "reply", "respond", "comment", "conclude",
                   "admit", "confirm", "deny", "report", "remark", "suggest",
                   "acknowledge", "stress", "urge", "promise", "recall",
                   "tweet", "post", "continue", "describe", "call", "predict",
                   "complain", "testify", "shout", "scream", "joke", "concede",
                   "observe", "emphasize", "emphasise", "point", "quip",
                   "assert", "characterize", "characterise", "dub", "reiterate",
                   "caution", "allege", "contend", "maintain", "plead"}
KILL_VERBS = {"kill", "murder", "assassinate", "shoot", "slay", "execute",
              "stab", "behead", "strangle", "gun", "poison", "slaughter",
              "bludgeon", "lynch"}
KILL_NOUNS = {"assassin", "killer", "murderer", "assassination", "murder",
              "killing", "slaying", "shooting", "gunman"}
WORK_VERBS = {"work", "join", "head", "lead", "run", "chair", "direct",
              "manage", "found", "serve", "represent", "command", "coach",
              "captain", "own", "edit", "preside", "advise"}
EMPLOY_VERBS = {"employ", "hire", "appoint", "name", "elect", "nominate",
                "recruit", "promote", "fire", "sack", "dismiss"}
LIVE_VERBS = {"live", "reside", "settle", "grow", "bear", "raise", "stay",
              "dwell", "move", "emigrate", "immigrate", "return"}
BASE_VERBS = {"base", "headquarter", "locate", "situate"}
# Open verbs whose relation analysts want by name.
VERB_TYPES = {"meet": "meets", "accuse": "accuses", "visit": "visits",
              "sue": "sues", "criticize": "criticizes", "criticise": "criticizes",
              "acquire": "acquires", "buy": "acquires", "attack": "attacks",
              "support": "supports", "endorse": "supports", "arrest": "arrests",
              "defeat": "defeats", "beat": "defeats"}
# Nouns of office: "X, chairman of Y", "Y chief executive X".
TITLE_NOUNS = {
    "president", "chairman", "chairwoman", "chair", "director", "executive",
    "chief", "minister", "secretary", "spokesman", "spokeswoman",
    "spokesperson", "head", "leader", "member", "official", "officer",
    "founder", "co-founder", "ceo", "cfo", "coo", "governor", "gov",
    "senator", "sen", "rep", "representative", "ambassador", "manager",
    "editor", "professor", "prof", "analyst", "economist", "general", "gen",
    "commander", "chancellor", "premier", "mayor", "king", "queen", "prime",
    "treasurer", "vice", "deputy", "envoy", "lawmaker", "legislator",
    "employee", "worker", "partner", "owner", "coach", "captain", "player",
    "researcher", "scientist", "lawyer", "attorney", "advisor", "adviser",
    "aide", "correspondent", "reporter", "board", "trustee", "boss",
    "inspector", "judge", "justice", "prosecutor", "commissioner", "dean",
    "superintendent", "administrator", "strategist", "consultant",
    "counsel", "negotiator", "diplomat", "emir", "sultan", "sheikh",
    "prince", "princess", "president-elect", "speaker", "whip", "delegate",
    "ceo", "founder", "cofounder", "publisher", "producer", "designer",
    "engineer", "agent", "sheriff", "detective", "colonel", "col",
    "lieutenant", "lt", "sergeant", "sgt", "major", "admiral", "adm",
    "marshal", "pilot", "spokesperson", "representative", "staffer",
    "director-general", "secretary-general", "pope", "cardinal", "bishop",
    "archbishop", "rabbi", "imam", "cleric", "ayatollah", "monsignor",
    "council", "councillor", "councilor", "councilman", "councilwoman",
    "assemblyman", "assemblywoman", "congressman", "congresswoman",
    "commentator", "columnist", "anchor", "host", "historian", "curator",
}
# Offices of a place rather than of an organisation: "Illinois Gov. X",
# "U.S. Ambassador X" -> the person lives in (serves) that place.
GOVERNMENT_TITLES = {"president", "governor", "gov", "mayor", "senator", "sen",
                     "rep", "representative", "minister", "chancellor",
                     "premier", "king", "queen", "prime", "ambassador",
                     "congressman", "congresswoman", "lawmaker", "legislator",
                     "judge", "justice", "sheriff", "emir", "sultan", "prince",
                     "princess", "president-elect", "envoy", "diplomat",
                     "assemblyman", "assemblywoman", "councilman",
                     "councilwoman", "premier", "secretary", "commissioner",
                     "attorney", "prosecutor", "delegate", "leader"}
HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "sir", "dame", "lord", "lady",
              "mx", "messrs", "mme", "mister", "madam", "rev", "reverend",
              "fr", "father", "sister", "brother", "st", "former", "late",
              "then", "acting", "interim", "incoming", "outgoing", "retired",
              "ex", "chief", "senior", "top", "u.s.", "us"}
RESIDENT_NOUNS = {"native", "resident", "citizen", "inhabitant", "mayor",
                  "governor", "son", "daughter", "man", "woman", "boy", "girl",
                  "farmer", "homeowner", "townsman", "villager", "people"}
PLACE_NOUNS = {"city", "town", "village", "suburb", "province", "state",
               "county", "region", "district", "capital", "island", "port",
               "community", "area", "neighborhood", "neighbourhood", "hamlet",
               "municipality", "borough", "territory", "prefecture"}
_QUOTE_PAIRS = {"\u201c": "\u201d", '"': '"', "\u00ab": "\u00bb", "\u201e": "\u201c"}
_PRONOUNS = {"he", "she", "they", "i", "we"}
# Characters between two quotations for the second, unattributed one to be
# taken as the same speaker going on.
CONTINUATION_GAP = 120


# --- Text given to the model ----------------------------------------------------

def story_text(story: Story) -> str:
    """The title and body in one string: what offsets are computed against."""
    return f"{story.title}{SEPARATOR}{story.body}" if story.title else story.body


_SMALL_WORDS = {"a", "an", "the", "and", "or", "but", "nor", "of", "in", "on",
                "at", "to", "for", "by", "with", "from", "as", "into", "vs",
                "via", "per", "off", "up", "out", "over", "after", "under",
                "is", "are", "was", "be", "it", "its", "if", "so", "no", "not",
                "do", "my", "we", "he", "me", "us"}
_VOWELS = set("AEIOUY")
_WORD = re.compile(r"[^\W\d_][\w'\u2019.&-]*")


def _recase_word(word: str, first: bool, forms: dict[str, str]) -> str:
    letters = [c for c in word if c.isalpha()]
    if "." in word.strip(".") or not letters:
        return word  # "U.S.", "A.M."
    lower = word.lower()
    core = lower.rstrip(".")
    if core[-2:] in ("'s", "\u2019s"):
        core = core[:-2]
    seen = forms.get(core)
    if seen is not None and len(seen) == len(core):
        # the story itself says how the word is written
        seen = seen + word[len(core):]
        return seen[0].upper() + seen[1:] if first else seen
    if not first and len(forms) >= 40 and "-" not in word and len(letters) > 2:
        # a story of some length writes its names in the body: a headline
        # word it never writes there is an ordinary word
        return lower
    if len(letters) <= 2 and lower not in _SMALL_WORDS:
        return word  # "UN", "EU", "UK"
    if not (_VOWELS & set(word.upper())):
        return word  # "BBC", "NFL"
    if not first and lower in _SMALL_WORDS:
        return lower
    out, start = [], True
    for ch in word:
        out.append(ch.upper() if start else ch.lower())
        # Capital again after a hyphen, and in O'BRIEN / MCDONALD'S: after an
        # apostrophe that follows a single letter.
        start = ch == "-" or (ch in "'\u2019" and len(out) == 2)
    return "".join(out)


def _is_capitalised(line: str) -> bool:
    cased = [c for c in line if c.isalpha() and (c.isupper() or c.islower())]
    return len(cased) >= 6 and sum(c.isupper() for c in cased) >= 0.85 * len(cased)


def _word_forms(lines: list[str]) -> dict[str, str]:
    """How the story writes each word in its ordinary (not capitalised)
    lines, the first word of a sentence aside: lower case -> usual form."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for line in lines:
        if not line or _is_capitalised(line):
            continue
        previous_end = 0
        for match in _WORD.finditer(line):
            before = line[previous_end:match.start()]
            previous_end = match.end()
            if match.start() == 0 or any(c in before for c in ".!?:\"\u201c"):
                continue
            word = match.group(0).rstrip(".")
            if word[-2:] in ("'s", "\u2019s"):
                word = word[:-2]
            counts[word.lower()][word] += 1
    return {lower: forms.most_common(1)[0][0] for lower, forms in counts.items()}


def recase_line(line: str, forms: Optional[dict[str, str]] = None) -> str:
    """A line set in capitals, re-cased as the story writes its words (else
    in title case), the same length; other lines unchanged. Small models read
    "LEICESTERSHIRE TAKE OVER AT TOP" as noise."""
    if not _is_capitalised(line):
        return line
    forms = forms or {}
    parts, last, first = [], 0, True
    for match in _WORD.finditer(line):
        parts.append(line[last:match.start()])
        parts.append(_recase_word(match.group(0), first, forms))
        first, last = False, match.end()
    parts.append(line[last:])
    out = "".join(parts)
    return out if len(out) == len(line) else line


def model_text(story: Story) -> str:
    """story_text with capitalised lines re-cased: the same length, so every
    offset into it is an offset into story_text."""
    text = story_text(story)
    lines = text.split("\n")
    if not any(_is_capitalised(line) for line in lines):
        return text
    forms = _word_forms(lines)
    return "\n".join(recase_line(line, forms) for line in lines)


def _field_of(story: Story, start: int, end: int) -> Optional[tuple[str, int]]:
    """(field, offset of that field in the Doc text) for a span, or None if
    it straddles the title and body."""
    if not story.title:
        return "body", 0
    title_end = len(story.title)
    body_start = title_end + len(SEPARATOR)
    if end <= title_end:
        return "title", 0
    if start >= body_start:
        return "body", body_start
    return None


# --- Names and entity ids -------------------------------------------------------

def _fold(name: str) -> str:
    name = unicodedata.normalize("NFKD", name)
    return "".join(c for c in name if not unicodedata.combining(c))


def normalize_name(name: str) -> str:
    """The key form of a name: case, accents, dots, hyphens, possessives and
    'the' aside."""
    name = re.sub(r"['\u2019]s?$", "", name.strip())
    name = re.sub(r"^the\s+", "", name, flags=re.I)
    name = re.sub(r"[.\u00b7]", "", _fold(name))
    name = re.sub(r"[^\w&+' ]+", " ", name)
    return " ".join(name.casefold().split())


@lru_cache(maxsize=1)
def _gazetteer() -> dict[str, str]:
    """Normalised place name -> a stable key, from maintained gazetteers:
    ISO 3166 countries (pycountry: names, official and common names, alpha-2
    and alpha-3 codes) and US states (us: names, postal and AP abbreviations)."""
    keys: dict[str, str] = {}
    try:
        import pycountry
    except ImportError:  # pragma: no cover - a declared dependency
        pycountry = None
    if pycountry is not None:
        for country in pycountry.countries:
            key = f"iso3166:{country.alpha_2}"
            names = [country.name, getattr(country, "official_name", None),
                     getattr(country, "common_name", None), country.alpha_3]
            for name in names:
                if name:
                    keys.setdefault(normalize_name(name), key)
                    # "Korea, Republic of" -> also "Republic of Korea"
                    if ", " in name:
                        head, tail = name.split(", ", 1)
                        keys.setdefault(normalize_name(f"{tail} {head}"), key)
            # two-letter codes only where they are not English words
            if country.alpha_2 not in ("IN", "IS", "IT", "TO", "BE", "NO",
                                       "ME", "AM", "AT", "BY", "DO", "GO",
                                       "MY", "SO", "AS", "ID", "OR", "AN", "US"):
                keys.setdefault(normalize_name(country.alpha_2), key)
        keys.setdefault("us", "iso3166:US")
        keys.setdefault("usa", "iso3166:US")
    try:
        import us
    except ImportError:  # pragma: no cover - a declared dependency
        us = None
    if us is not None:
        for state in us.states.STATES_AND_TERRITORIES:
            key = f"us-state:{state.abbr}"
            for name in (state.name, state.ap_abbr):
                if name:
                    keys.setdefault(normalize_name(name), key)
    return keys


def place_key(name: str) -> Optional[str]:
    """The gazetteer key of a place name, or None."""
    return _gazetteer().get(normalize_name(name))


def entity_id(canonical: str, label: str) -> str:
    key = place_key(canonical) if label in PLACE_LABELS | {"ORG", "NORP"} else None
    if key:
        return stable_id("entity", "PLACE", key)
    return stable_id("entity", _label_class(label), normalize_name(canonical))


def _label_class(label: str) -> str:
    # GPE and LOC are both places; analysts want "Kenya" one entity whichever
    # of the two the model picked this time.
    return "PLACE" if label in PLACE_LABELS else label


# --- Mentions -------------------------------------------------------------------

@dataclass(eq=False)
class _Entity:
    """One entity mention in the Doc, before it becomes a table row."""

    start: int  # token index
    end: int
    text: str
    label: str
    start_char: int
    end_char: int
    canonical: str = ""
    canonical_label: str = ""
    key: str = ""
    # the label came from the context (a score after a team, an age after a
    # person), which outweighs the model's label on other mentions
    cued: bool = False

    @property
    def entity_id(self) -> str:
        return self.key


def _is_title_token(token) -> bool:
    word = token.lower_.rstrip(".")
    return word in TITLE_NOUNS or word in HONORIFICS or token.lower_ in HONORIFICS


def _trim(doc, start: int, end: int, label: str) -> Optional[tuple[int, int]]:
    """Token bounds of a mention without a leading article or title, a
    trailing "'s", punctuation, or a line break inside it."""
    while start < end and (doc[start].lower_ in ("the", "a", "an") or
                           doc[start].is_punct or doc[start].is_space):
        start += 1
    if label == "PERSON":
        while end - start > 1 and (_is_title_token(doc[start]) or
                                   doc[start].ent_type_ in ("NORP", "GPE") and
                                   doc[start + 1].lower_.rstrip(".") in TITLE_NOUNS):
            start += 1
    while end - start > 1 and not any(c.isalpha() for c in doc[end - 1].text):
        end -= 1  # "Surrey 429-7", "P. Johnson 84"
    while end > start and (doc[end - 1].tag_ == "POS" or doc[end - 1].is_punct
                           and doc[end - 1].text not in (".",) or doc[end - 1].is_space
                           or doc[end - 1].text == "." and end - start == 1):
        end -= 1
    for i in range(start, end):
        if "\n" in doc[i].text or "\n" in doc[i].whitespace_ and i < end - 1:
            # a span across lines: keep the part with the most letters
            left = sum(len(t.text) for t in doc[start:i + 1] if not t.is_space)
            right = sum(len(t.text) for t in doc[i + 1:end] if not t.is_space)
            if left >= right:
                end = i + 1 if not doc[i].is_space else i
            else:
                start = i + 1
            return _trim(doc, start, end, label) if start < end else None
    return (start, end) if start < end else None


_NAME_SUFFIXES = {"inc", "ltd", "llc", "plc", "co", "corp", "jr", "sr", "ag", "sa",
                  "nv", "bv", "gmbh", "lp", "llp", "ii", "iii", "iv", "spa", "ab"}
CONTEST_VERBS = {"beat", "defeat", "draw", "lose", "win", "play", "host", "face",
                 "tie", "edge", "thrash", "rout", "overcome", "trail", "visit",
                 "hammer", "crush", "outplay", "eliminate", "knock", "score"}


def _pieces(doc, start: int, end: int) -> list[tuple[int, int]]:
    """A span cut at its commas ("Grace Road, Leicestershire" is two
    places), unless what follows the comma is a suffix of the name
    ("Acme, Inc.", "Smith, Jr.")."""
    cuts = [i for i in range(start + 1, end - 1) if (
        doc[i].text == "," and doc[i + 1].lower_.rstrip(".") not in _NAME_SUFFIXES
        # "Cricket - Leicestershire", "Romania - Cosmin Contra": a spaced dash
        or doc[i].text in ("-", "\u2013", "\u2014", "--") and doc[i - 1].whitespace_
        # "Yorkshire at Headingley", "Kent v Surrey"
        or doc[i].text in ("at", "v", "vs", "vs.", "versus"))]
    if not cuts:
        return [(start, end)]
    bounds, last = [], start
    for cut in cuts:
        bounds.append((last, cut))
        last = cut + 1
    bounds.append((last, end))
    return [b for b in bounds if b[0] < b[1]]


def _as_team(doc, start: int, end: int, label: str) -> str:
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
    return label


_INITIAL = re.compile(r"^[A-Z]\.$")


def _initial_and_surname(doc, start: int, end: int) -> bool:
    """"M. McCague", "J. R. Smith": initials, then a capitalised name."""
    i = start
    while i < end - 1 and _INITIAL.match(doc[i].text):
        i += 1
    return i > start and i == end - 1 and doc[i].text[:1].isupper() and \
        doc[i].text[1:2].islower() and len(doc[i].text) > 2


def _initial_names(doc, text: str, taken: set) -> list[_Entity]:
    """People the model missed in lists and tables: an initial and a
    capitalised surname outside any entity ("W. Athey 34")."""
    found = []
    for i in range(len(doc) - 1):
        if i in taken or i + 1 in taken or not _INITIAL.match(doc[i].text):
            continue
        if i > 0 and _INITIAL.match(doc[i - 1].text):
            continue
        end = i + 1
        while end < len(doc) - 1 and _INITIAL.match(doc[end].text) and end not in taken:
            end += 1
        if end < len(doc) and end not in taken and _initial_and_surname(doc, i, end + 1) \
                and doc[end].pos_ in ("PROPN", "NOUN", "ADJ", "VERB"):
            sub = doc[i:end + 1]
            found.append(_Entity(i, end + 1, text[sub.start_char:sub.end_char], "PERSON",
                                 sub.start_char, sub.end_char))
            taken.update(range(i, end + 1))
    return found


_PERSON_HONORIFICS = {"mr", "mrs", "ms", "dr", "sir", "dame", "miss", "mx"}
_NOT_PERSON_OFFICES = {"board", "council", "head", "chair", "partner", "owner",
                       "member", "player", "worker", "employee", "agent"}


def _person_cues(doc, start: int, end: int) -> bool:
    """Signs that a name the model called an organisation or a place is a
    person's: an honorific before it ("Mrs. Higgins"), or an age or an
    office in apposition ("Harrington, a professor of ...", "X, 50, of")."""
    if start > 0 and doc[start - 1].lower_.rstrip(".") in _PERSON_HONORIFICS:
        return True
    head = doc[end - 1]
    for child in head.children:
        if child.dep_ != "appos" or child.i < end:
            continue
        if child.like_num and child.text.isdigit() and 1 <= int(child.text) <= 110 and \
                end < len(doc) and doc[end].text == ",":
            return True
        word = child.lower_.rstrip(".")
        if word in TITLE_NOUNS and word not in _NOT_PERSON_OFFICES and not child.ent_type_:
            return True
    return False


def _mentions(doc, text: str) -> list[_Entity]:
    found = []
    for span in doc.ents:
        if span.label_ not in NAMED_LABELS:
            continue
        for piece in _pieces(doc, span.start, span.end):
            bounds = _trim(doc, piece[0], piece[1], span.label_)
            if not bounds:
                continue
            start, end = bounds
            sub = doc[start:end]
            surface = text[sub.start_char:sub.end_char]
            if not any(ch.isalpha() for ch in surface):
                continue
            label = _as_team(doc, start, end, span.label_)
            if label in ("ORG", "GPE", "LOC", "NORP") and (
                    _initial_and_surname(doc, start, end) or _person_cues(doc, start, end)):
                label = "PERSON"  # "M. McCague", "Harrington, a professor"
            found.append(_Entity(start, end, surface, label, sub.start_char, sub.end_char,
                                 cued=label != span.label_))
    return found


def _recover(doc, text: str, mentions: list[_Entity]) -> list[_Entity]:
    """Names the story uses elsewhere that the model missed here.

    A capitalised token sequence equal to a mention's text, or to the
    surname of a PERSON named in full, and not inside any entity (dates and
    amounts included), is a mention of that name too.
    """
    taken = set()
    for ent in doc.ents:
        taken.update(range(ent.start, ent.end))
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
    added = _initial_names(doc, text, taken)
    if not keys:
        return added
    for first in keys:
        keys[first].sort(key=lambda k: -len(k[0]))
    i, n = 0, len(doc)
    while i < n:
        token = doc[i]
        options = keys.get(token.text) if i not in taken else None
        if options:
            for words, label in options:
                j = i + len(words)
                if j <= n and all(doc[i + k].text == words[k] and (i + k) not in taken
                                  for k in range(len(words))):
                    if len(words) == 1 and token.is_sent_start and token.pos_ != "PROPN":
                        break
                    sub = doc[i:j]
                    added.append(_Entity(i, j, text[sub.start_char:sub.end_char], label,
                                         sub.start_char, sub.end_char))
                    taken.update(range(i, j))
                    i = j - 1
                    break
        i += 1
    return added


def _initials(words: list[str]) -> str:
    return "".join(w[0] for w in words if w[:1].isupper() and
                   w.lower() not in ("of", "the", "and", "for", "de", "la"))


def resolve_canonical(mentions: list[_Entity]) -> None:
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
    parent = {id(m): m for m in ordered}

    def find(m):
        while parent[id(m)] is not m:
            parent[id(m)] = parent[id(parent[id(m)])]
            m = parent[id(m)]
        return m

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra is not rb:
            parent[id(rb)] = ra

    by_name: dict[str, _Entity] = {}
    by_place: dict[str, _Entity] = {}
    words_of = {id(m): normalize_name(m.text).split() for m in ordered}
    for m in ordered:
        norm = " ".join(words_of[id(m)])
        if not norm:
            continue
        if norm in by_name:
            union(by_name[norm], m)
        else:
            by_name[norm] = m
        key = place_key(m.text) if m.label in PLACE_LABELS | {"ORG", "NORP"} else None
        if key and m.label != "NORP":
            if key in by_place:
                union(by_place[key], m)
            else:
                by_place[key] = m
    people = [m for m in ordered if m.label == "PERSON" and len(words_of[id(m)]) >= 2]
    orgs = [m for m in ordered if m.label in ("ORG", "GPE", "LOC", "FAC", "EVENT", "LAW")
            and len(words_of[id(m)]) >= 2]
    for m in ordered:
        words = words_of[id(m)]
        if not words:
            continue
        if m.label in ("PERSON", "ORG", "GPE", "NORP", "PRODUCT") and len(words) <= 2:
            matches = [p for p in people if len(words_of[id(p)]) > len(words) and (
                words_of[id(p)][-len(words):] == words or words_of[id(p)][:len(words)] == words)]
            if matches:
                before = [p for p in matches if p.start_char < m.start_char]
                union((before[-1] if before else matches[0]), m)
                continue
        if m.label in ("ORG", "GPE", "LOC", "NORP") and len(words) == 1 and \
                m.text.isupper() and 2 <= len(m.text.replace(".", "")) <= 6:
            acronym = m.text.replace(".", "")
            for o in orgs:
                if _initials(o.text.split()) == acronym:
                    union(o, m)
                    break
            continue
        if m.label == "ORG":
            for o in orgs:
                ow = words_of[id(o)]
                if o.label == "ORG" and len(ow) > len(words) and ow[:len(words)] == words:
                    union(o, m)
                    break
    groups: dict[int, list[_Entity]] = defaultdict(list)
    for m in ordered:
        groups[id(find(m))].append(m)
    for members in groups.values():
        full = max(members, key=lambda m: (len(words_of[id(m)]), len(m.text), -m.start_char))
        cued = [m for m in members if m.cued]
        counts = Counter(m.label for m in (cued or members))
        top = max(counts.values())
        label = full.label if counts[full.label] == top else \
            next(m.label for m in (cued or members) if counts[m.label] == top)
        canonical = full.text
        if canonical.isupper() and len(canonical) > 4:
            # a name seen only in a capitalised headline
            cased = [m.text for m in members if not m.text.isupper()]
            canonical = max(cased, key=len) if cased else canonical
        key = entity_id(canonical, label)
        for m in members:
            m.canonical, m.canonical_label, m.key = canonical, label, key


# --- Relations ------------------------------------------------------------------

@dataclass(frozen=True)
class _RawRelation:
    subject: _Entity
    predicate: str
    obj: _Entity
    relation_type: Optional[str]


def _is_person(e: _Entity) -> bool:
    return e.canonical_label == "PERSON"


def _is_place(e: _Entity) -> bool:
    return e.canonical_label in PLACE_LABELS


def _is_org(e: _Entity) -> bool:
    return e.canonical_label == "ORG"


def _entity_of_token(token, by_token, depth: int = 0) -> Optional[_Entity]:
    """The entity a syntactic head token stands for, through compounds and
    appositions ("his aide, John Smith")."""
    entity = by_token.get(token.i)
    if entity:
        return entity
    for child in token.children:
        if child.dep_ in ("compound", "flat") and child.i in by_token:
            return by_token[child.i]
    if depth == 0:
        for child in token.children:
            if child.dep_ == "appos":
                found = _entity_of_token(child, by_token, 1)
                if found:
                    return found
    return None


def _relation_type(lemma: str, prep: str, subject: _Entity, obj: _Entity,
                   passive: bool) -> Optional[str]:
    if lemma in KILL_VERBS and _is_person(subject) and obj.canonical_label in ("PERSON", "NORP"):
        return "killed"
    if lemma in WORK_VERBS and _is_person(subject) and obj.canonical_label in ("ORG",) \
            and prep in ("", "for", "at", "with", "in", "on"):
        return "works_for"
    if lemma in LIVE_VERBS and _is_person(subject) and _is_place(obj) and \
            prep in ("in", "at", "to", "near", "outside", "from"):
        if lemma == "move" and prep != "to":
            return None
        return "lives_in"
    if lemma in BASE_VERBS and _is_place(obj) and prep in ("in", "at", "near", "outside", ""):
        if _is_org(subject):
            return "based_in"
        if _is_place(subject):
            return "located_in"
    if lemma == "be" and prep == "in" and _is_place(subject) and _is_place(obj):
        return "located_in"
    if lemma in VERB_TYPES and subject.canonical_label in AGENT_LABELS:
        return VERB_TYPES[lemma]
    return None


def _verb_subjects(verb):
    subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
    if not subjects and verb.dep_ in ("conj", "xcomp", "advcl") and verb.head.pos_ in ("VERB", "AUX"):
        subjects = [c for c in verb.head.children if c.dep_ in ("nsubj", "nsubjpass")]
    return subjects


def _verb_relations(doc, by_token) -> Iterable[_RawRelation]:
    """Subject-verb-object between two entities, typed when the verb says how."""
    for verb in doc:
        if verb.pos_ not in ("VERB", "AUX"):
            continue
        subjects = _verb_subjects(verb)
        agents = [g for c in verb.children if c.dep_ == "agent"
                  for g in c.children if g.dep_ == "pobj"]
        passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in verb.children)
        objects: list[tuple[str, object]] = [
            ("", c) for c in verb.children if c.dep_ in ("dobj", "attr", "dative", "oprd")]
        for p in verb.children:
            if p.dep_ == "prep" or (p.dep_ == "prt" and p.lower_ in ("in", "at")):
                for g in p.children:
                    if g.dep_ == "pobj":
                        objects.append((p.lower_, g))
                    elif g.dep_ == "prep":  # "in front of", "out of"
                        objects += [(f"{p.lower_} {g.lower_}", h) for h in g.children
                                    if h.dep_ == "pobj"]
        if passive and agents:
            # "X was killed by Y": Y is the doer.
            subjects, objects = agents, [("", s) for s in subjects] + [
                o for o in objects if o[1] not in agents]
        lemma = verb.lemma_.lower()
        if lemma in LIVE_VERBS and verb.dep_ == "relcl" and \
                any(c.lower_ == "where" for c in verb.children):
            place = _entity_of_token(verb.head, by_token)
            if place is not None and _is_place(place):
                objects.append(("in", verb.head))  # "Rolling Fork, where X was born"
        for subject_token in subjects:
            if subject_token.tag_ in ("WP", "WDT") and verb.dep_ == "relcl":
                # "Mary Brown, who lives in Boston": the subject is the noun
                # the relative clause hangs on.
                subject_token = verb.head
            subject = _entity_of_token(subject_token, by_token)
            if not subject:
                continue
            for prep, object_token in objects:
                obj = _entity_of_token(object_token, by_token)
                if not obj or obj.key == subject.key:
                    continue
                predicate = f"{lemma} {prep}".strip()
                kind = _relation_type(lemma, prep, subject, obj, passive and bool(agents))
                if kind is None and lemma in EMPLOY_VERBS and _is_org(subject) \
                        and _is_person(obj):
                    yield _RawRelation(obj, predicate, subject, "works_for")
                    continue
                if kind is None and passive and not agents and lemma in EMPLOY_VERBS \
                        and _is_person(subject) and _is_org(obj):
                    kind = "works_for"  # "X was appointed chairman of Y"
                yield _RawRelation(subject, predicate, obj, kind)
            # "X became chairman of Y", "X is a spokesman for Y"
            for attr in (c for c in verb.children if c.dep_ in ("attr", "oprd", "dobj")):
                if attr.lower_.rstrip(".") in TITLE_NOUNS | RESIDENT_NOUNS and \
                        not by_token.get(attr.i):
                    subject = _entity_of_token(subject_token, by_token)
                    if subject and _is_person(subject):
                        yield from _office_relations(subject, attr, by_token)


def _office_relations(person: _Entity, office, by_token) -> Iterable[_RawRelation]:
    """The organisation or place an office noun names: "chairman of Y",
    "a Y official", "Y's chief executive", "a native of Z"."""
    word = office.lemma_.lower().rstrip(".")
    for prep in (c for c in office.children if c.dep_ == "prep"):
        if prep.lower_ not in ("of", "for", "at", "with", "from", "in", "to"):
            continue
        for pobj in (g for g in prep.children if g.dep_ == "pobj"):
            target = _entity_of_token(pobj, by_token)
            if target is None:
                continue
            yield from _office_target(person, word, f"{word} {prep.lower_}", target)
    for child in office.children:
        if child.dep_ in ("compound", "poss", "nmod", "amod") and child.i < office.i:
            target = _entity_of_token(child, by_token)
            if target is not None and target is not person:
                yield from _office_target(person, word, f"{word} of", target)
            elif child.lower_.rstrip(".") in TITLE_NOUNS:
                # "former Air Force commander": the organisation hangs on the
                # first of two office words
                for grand in child.children:
                    target = _entity_of_token(grand, by_token) if grand.i < child.i else None
                    if target is not None and target is not person:
                        yield from _office_target(person, word, f"{word} of", target)


def _office_target(person: _Entity, word: str, predicate: str,
                   target: _Entity) -> Iterable[_RawRelation]:
    if _is_org(target):
        if word in RESIDENT_NOUNS and word not in TITLE_NOUNS:
            return
        kind = "member_of" if word == "member" else "works_for"
        yield _RawRelation(person, predicate, target, kind)
    elif _is_place(target) or target.canonical_label == "NORP" and \
            target.start < person.start and predicate.endswith(" of"):
        # "Illinois Gov. X", "Atlanta businessman X", "Soviet historian X",
        # "a native of Y", "X, one of the top strategists in Israel": the
        # person belongs to (lives in) that place.
        yield _RawRelation(person, predicate, target, "lives_in")


def _person_nouns(token) -> bool:
    """A common noun that can describe a person in apposition ("a professor
    at Y", "diver X", "the commander of Y")."""
    return token.pos_ in ("NOUN", "PROPN") and not token.ent_type_ and \
        token.lemma_.lower() not in PLACE_NOUNS


def _title_relations(doc, ents: list[_Entity], by_token) -> Iterable[_RawRelation]:
    """Offices and places named around a name rather than by a verb.

    "X, chairman of Y" / "Y chairman X" / "Y's chief executive X" / "German
    Chancellor X" -> works_for ("Illinois Gov. X" -> lives_in, as a state's
    office); "X of Chicago", "a Boston native" -> lives_in; "LYON, France",
    "X in Y" -> located_in; "a Nairobi-based charity", "Acme, based in
    Paris", "Hong Kong firm X" -> based_in.
    """
    for ent in ents:
        head = doc[ent.end - 1]
        if _is_person(ent):
            # "Y chief executive X", "Illinois Gov. X", "former Air Force
            # commander X": an office word in front of the name.
            offices = [c for c in head.children if c.i < ent.start and
                       c.dep_ in ("compound", "amod", "nmod", "poss", "appos")]
            for office in offices:
                if office.lower_.rstrip(".") in TITLE_NOUNS or _person_nouns(office) \
                        and office.dep_ == "compound":
                    yield from _office_relations(ent, office, by_token)
                    # "Illinois Gov. James Thompson": the state is a sibling
                    for sibling in offices:
                        target = by_token.get(sibling.i)
                        if target is not None and target is not ent and sibling.i < office.i:
                            yield from _office_target(ent, office.lower_.rstrip("."),
                                                      f"{office.lower_.rstrip('.')} of", target)
                else:
                    target = _entity_of_token(office, by_token)
                    if target is not None and target is not ent and office.dep_ == "poss":
                        # "Microsoft's Bill Gates", "Ohio's Richard Celeste"
                        yield from _office_target(ent, "member" if _is_org(target) else "native",
                                                  "of", target)
            # The name as apposition to an office: "the company's chairman, X",
            # "a spokesman for the theater, X"
            if head.dep_ == "appos" and (head.head.lower_.rstrip(".") in TITLE_NOUNS |
                                         RESIDENT_NOUNS or _person_nouns(head.head)):
                yield from _office_relations(ent, head.head, by_token)
            # "Illinois born X", "X, born in Fort Scott, Kan."
            for clause in (c for c in head.children if c.dep_ in ("acl", "relcl", "amod")
                           and c.lemma_.lower() in LIVE_VERBS):
                for target in _entities_under(clause, by_token, ent):
                    if _is_place(target):
                        yield _RawRelation(ent, f"{clause.lemma_.lower()} in", target, "lives_in")
            for appos in (c for c in head.children if c.dep_ == "appos"):
                if appos.i in by_token:
                    continue
                yield from _office_relations(ent, appos, by_token)
                for of in (c for c in appos.children if c.dep_ == "prep" and c.lower_ == "of"):
                    # "X, one of the top strategists in Israel"
                    for group in (g for g in of.children if g.dep_ == "pobj"):
                        yield from _office_relations(ent, group, by_token)
                for conj in (c for c in appos.children if c.dep_ == "conj"):
                    yield from _office_relations(ent, conj, by_token)
            for prep in (c for c in head.children if c.dep_ == "prep"):
                for pobj in (g for g in prep.children if g.dep_ == "pobj"):
                    target = _entity_of_token(pobj, by_token)
                    if target is None:
                        continue
                    if prep.lower_ in ("of", "from") and _is_place(target):
                        yield _RawRelation(ent, prep.lower_, target, "lives_in")
                    elif prep.lower_ in ("of", "at", "with", "from") and _is_org(target):
                        yield _RawRelation(ent, prep.lower_, target, "works_for")
        if _is_place(ent):
            # "LYON, France": a place, a comma, a larger place. Read off the
            # surface, since the parser often hangs the second on the verb.
            after = ent.end
            other = by_token.get(after + 1) if after + 1 < len(doc) else None
            if other and doc[after].text == "," and other.start == after + 1 and \
                    _is_place(other) and other.key != ent.key and \
                    not _in_list(doc, ent, by_token):
                yield _RawRelation(ent, "in", other, "located_in")
            for prep in (c for c in head.children if c.dep_ == "prep" and c.lower_ in ("in", "of")):
                for pobj in (g for g in prep.children if g.dep_ == "pobj"):
                    target = _entity_of_token(pobj, by_token)
                    if target is not None and _is_place(target) and target.key != ent.key:
                        yield _RawRelation(ent, prep.lower_, target, "located_in")
            for child in head.children:
                target = by_token.get(child.i)
                if child.dep_ == "poss" and target is not None and _is_place(target) \
                        and target.key != ent.key:
                    yield _RawRelation(ent, "of", target, "located_in")  # "Chicago's O'Hare"
            for appos in (c for c in head.children if c.dep_ == "appos" and c.i not in by_token):
                if appos.lemma_.lower() in PLACE_NOUNS:
                    for place in _places_in(appos, by_token, ent):
                        yield _RawRelation(ent, "in", place, "located_in")
        if _is_org(ent):
            for child in head.children:
                if child.lower_.endswith("based") or child.lemma_ in BASE_VERBS:
                    for place in _places_in(child, by_token, ent):
                        yield _RawRelation(ent, "base in", place, "based_in")
                elif child.dep_ in ("compound", "nmod", "poss") and child.i < ent.start:
                    target = _entity_of_token(child, by_token)
                    if target is not None and _is_place(target):
                        yield _RawRelation(ent, "of", target, "based_in")
                elif child.dep_ == "prep" and child.lower_ in ("in", "of", "at", "from"):
                    for pobj in (g for g in child.children if g.dep_ == "pobj"):
                        target = _entity_of_token(pobj, by_token)
                        if target is not None and _is_place(target):
                            yield _RawRelation(ent, child.lower_, target, "based_in")
                elif child.dep_ == "appos" and child.i not in by_token:
                    # "X, a Hong Kong construction firm", "a Nairobi-based charity"
                    for place in _places_in(child, by_token, ent, modifiers_only=True):
                        yield _RawRelation(ent, "base in", place, "based_in")
            for token in doc[max(ent.start - 3, 0):ent.start]:
                if token.text.lower().endswith("-based") or token.lower_ == "based":
                    place = by_token.get(token.i - 2) if token.lower_ == "based" else None
                    if place and _is_place(place):
                        yield _RawRelation(ent, "base in", place, "based_in")


def _entities_under(token, by_token, not_this: _Entity) -> Iterable[_Entity]:
    seen = set()
    for child in token.subtree:
        target = by_token.get(child.i)
        if target is not None and target is not not_this and id(target) not in seen:
            seen.add(id(target))
            yield target


def _credit_relations(doc, ents: list[_Entity]) -> Iterable[_RawRelation]:
    """A dateline left in the text: "DAYTON, Ohio (AP)", "Sofia, February 15
    (BTA) --": the credited service reports from (is based in) the places
    before it on that line."""
    for ent in ents:
        if not _is_org(ent) or ent.start == 0 or ent.end >= len(doc):
            continue
        if doc[ent.start - 1].text != "(" or doc[ent.end].text != ")":
            continue
        line_start = ent.start - 1
        while line_start > 0 and "\n" not in doc[line_start - 1].text and \
                "\n" not in doc[line_start - 1].whitespace_ and \
                doc[line_start - 1].text not in (".", "--", "-"):
            line_start -= 1
        if ent.start - line_start > 12:
            continue
        for other in ents:
            if line_start <= other.start < ent.start and _is_place(other):
                yield _RawRelation(ent, "report from", other, "based_in")


def _places_in(token, by_token, not_this: _Entity, modifiers_only: bool = False):
    seen = set()
    for child in token.subtree:
        if modifiers_only and child.i > token.i:
            continue
        place = by_token.get(child.i)
        if place and _is_place(place) and place is not not_this and id(place) not in seen:
            seen.add(id(place))
            yield place


def _in_list(doc, entity: _Entity, by_token) -> bool:
    """Whether a place is an item of an enumeration ("Sweden, Belgium and
    England"), where "X, Y" does not mean X lies in Y."""
    after = doc[entity.end] if entity.end < len(doc) else None
    if after is not None and (after.dep_ == "cc" or after.lower_ in ("and", "or")):
        return True
    if after is not None and after.text == "," and entity.end + 1 < len(doc):
        if doc[entity.end + 1].lower_ in ("and", "or"):  # "Syria, and Yemen"
            return True
        following = by_token.get(entity.end + 1)
        if following and following.start == entity.end + 1:
            return _in_list(doc, following, by_token) or \
                (following.end < len(doc) and doc[following.end].lower_ in ("and", "or"))
    return False


def _kill_relations(doc, ents: list[_Entity], found: list[_RawRelation]) -> Iterable[_RawRelation]:
    """Killings the parse does not link: a sentence with a killing word and
    people on both sides of it ("X, who was convicted of killing Y"; "Y's
    assassin, X"; "the assassination of Y by X")."""
    have = {(r.subject.start, r.obj.start) for r in found if r.relation_type == "killed"}
    by_sentence = defaultdict(list)
    for e in ents:
        if _is_person(e):
            by_sentence[doc[e.start].sent.start].append(e)
    for start, people in by_sentence.items():
        if len(people) < 2 or any((a.start, b.start) in have for a in people for b in people):
            continue
        sent = doc[start].sent
        for token in sent:
            lemma = token.lemma_.lower()
            if not (lemma in KILL_VERBS and token.pos_ == "VERB" or lemma in KILL_NOUNS):
                continue
            left = [p for p in people if p.end <= token.i]
            right = [p for p in people if p.start > token.i]
            if token.pos_ == "VERB" and left and right:
                passive = any(c.dep_ in ("auxpass", "agent") for c in token.children) or \
                    (token.i + 1 < len(doc) and doc[token.i + 1].lower_ == "by")
                a, b = left[-1], right[0]
                yield _RawRelation(b, lemma, a, "killed") if passive else \
                    _RawRelation(a, lemma, b, "killed")
                break
            if token.pos_ != "VERB":
                of = [p for p in right if doc[p.start - 1].lower_ == "of"]
                by = [p for p in right if doc[p.start - 1].lower_ == "by"]
                if of and by:  # "the assassination of Y by X"
                    yield _RawRelation(by[0], lemma, of[0], "killed")
                elif lemma in ("assassin", "killer", "murderer", "gunman") and left and right:
                    a, b = left[-1], right[0]
                    # "Y's assassin, X" vs "X, the assassin of Y"
                    if doc[a.end].tag_ == "POS":
                        yield _RawRelation(b, lemma, a, "killed")
                    else:
                        yield _RawRelation(a, lemma, b, "killed")
                elif of and left:  # "X was convicted of the murder of Y"
                    yield _RawRelation(left[-1], lemma, of[0], "killed")
                else:
                    continue
                break


def _closure(relations: list[_RawRelation]) -> list[_RawRelation]:
    """lives_in / based_in a place, and that place located_in a larger one:
    also lives_in / based_in the larger one ("of Bethany, Conn.")."""
    located = defaultdict(list)
    for r in relations:
        if r.relation_type == "located_in":
            located[id(r.subject)].append(r.obj)
    if not located:
        return []
    extra = []
    for r in relations:
        if r.relation_type in ("lives_in", "based_in"):
            for larger in located.get(id(r.obj), ()):
                if larger.key != r.obj.key:
                    extra.append(_RawRelation(r.subject, r.predicate, larger, r.relation_type))
    return extra


# --- Quotes ---------------------------------------------------------------------

def _subject_entity(subject, by_token) -> Optional[_Entity]:
    """The entity a reporting verb's subject names: itself, a name in
    apposition to an office ("Malaysia's Prime Minister, Najib Razak"), the
    organisation of an office ("a spokesman for Y"), or a possessor ("PC
    World's analysis")."""
    entity = _entity_of_token(subject, by_token)
    if entity is not None:
        return entity
    if subject.pos_ in ("NOUN", "PROPN"):
        # "American academic and professor Marc Lamont Hill commented"
        stack = [c for c in subject.children if c.dep_ in ("appos", "conj", "compound")]
        while stack:
            token = stack.pop(0)
            found = by_token.get(token.i)
            if found is not None and found.canonical_label == "PERSON":
                return found
            stack += [c for c in token.children if c.dep_ in ("appos", "conj", "compound")]
    for child in subject.children:
        if child.dep_ == "poss":
            entity = _entity_of_token(child, by_token)
        elif child.dep_ == "prep" and subject.lower_.rstrip(".") in TITLE_NOUNS:
            entity = next((e for g in child.children if g.dep_ == "pobj"
                           for e in [_entity_of_token(g, by_token)] if e), None)
        if entity is not None:
            return entity
    return None


def _speaker_in(sentences, span_start: int, span_end: int, by_token,
                person_before) -> tuple[Optional[_Entity], Optional[str]]:
    """The speaker of the reporting verb nearest the quotation in these
    sentences ("Straits Times noted X. Hill commented, "..."": Hill)."""
    candidates = []
    for sentence in sentences:
        for token in sentence:
            if token.lemma_.lower() not in REPORTING_VERBS or token.pos_ not in ("VERB", "AUX") \
                    or span_start <= token.idx < span_end:
                continue
            distance = span_start - token.idx if token.idx < span_start else token.idx - span_end
            for subject in (c for c in token.children if c.dep_ in ("nsubj", "nsubjpass")):
                entity = _subject_entity(subject, by_token)
                # a name that is the subject itself beats one found through it
                direct = 0 if _entity_of_token(subject, by_token) is entity else 1
                if entity is None and subject.lower_ in _PRONOUNS:
                    entity = person_before(span_start)
                if entity and entity.canonical_label in ("PERSON", "ORG", "GPE", "NORP"):
                    candidates.append((distance, direct, entity, token.lemma_.lower()))
        for token in sentence:
            if token.lower_ == "according" and token.i + 1 < len(token.doc) and \
                    token.nbor(1).lower_ == "to":
                for t in token.nbor(1).children:
                    entity = _entity_of_token(t, by_token)
                    if entity:
                        distance = abs(token.idx - span_start)
                        candidates.append((distance, 0, entity, "according to"))
    if not candidates:
        return None, None
    _, _, entity, verb = min(candidates, key=lambda c: c[:2])
    return entity, verb


def _speaker_for(doc, span_start: int, span_end: int, by_token, person_before,
                 continuing=None) -> tuple[Optional[_Entity], Optional[str]]:
    """Who said the quote between these character offsets, and the verb.

    The sentences the quotation lies in (and the one its closing mark ends)
    first; then, for a quotation that names nobody, the speaker of the quote
    just before it going on; then the sentence before it ("X said:").
    """
    inside = doc.char_span(span_start, span_end, alignment_mode="expand")
    if inside is None or not len(inside):
        return None, None
    own = {inside.sent.start: inside.sent}
    for token in (inside[-1], doc[min(inside.end, len(doc) - 1)]):
        own.setdefault(token.sent.start, token.sent)
    found = _speaker_in(sorted(own.values(), key=lambda s: s.start), span_start, span_end,
                        by_token, person_before)
    if found[0] is not None:
        return found
    if continuing is not None:
        return continuing
    first = inside.sent.start
    if first > 0:
        return _speaker_in([doc[first - 1].sent], span_start, span_end, by_token, person_before)
    return None, None


def _quote_spans(text: str, start: int) -> Iterable[tuple[int, int]]:
    """(start, end) of each quotation's inner text, paragraph by paragraph.

    A quotation left open at the end of a paragraph goes on in the next one
    when that opens with a quotation mark (the wire's multi-paragraph quote);
    a mark never pairs with one across a paragraph break otherwise.
    """
    pos = start
    n = len(text)
    while pos < n:
        open_at = -1
        for i in range(pos, n):
            if text[i] in _QUOTE_PAIRS:
                open_at = i
                break
        if open_at < 0:
            return
        closer = _QUOTE_PAIRS[text[open_at]]
        para_end = text.find("\n\n", open_at)
        para_end = n if para_end < 0 else para_end
        close_at = text.find(closer, open_at + 1, para_end)
        if close_at < 0 and closer == "\u201d":
            close_at = text.find('"', open_at + 1, para_end)
        if close_at >= 0:
            yield open_at + 1, close_at
            pos = close_at + 1
            continue
        following = text[para_end:para_end + 3].lstrip("\n")
        if following[:1] in _QUOTE_PAIRS and text[open_at] != '"' or \
                following[:1] == '"' and text[open_at] == '"' and \
                text.count('"', open_at, para_end) == 1:
            yield open_at + 1, para_end  # goes on in the next paragraph
            pos = para_end
            continue
        pos = para_end if para_end > open_at else open_at + 1


def _quotes(story: Story, doc, text: str, mentions, by_token) -> Iterable[Quote]:
    if not story.body:
        return
    body_start = len(story.title) + len(SEPARATOR) if story.title else 0
    people = sorted((m for m in mentions if m.canonical_label == "PERSON"),
                    key=lambda m: m.start_char)
    subjects = [p for p in people if doc[p.end - 1].dep_ in ("nsubj", "nsubjpass")]

    def person_before(char: int) -> Optional[_Entity]:
        # a pronoun speaker: the last person who was the subject of a
        # sentence before the quote, else the last person named
        for pool in (subjects, people):
            earlier = [p for p in pool if p.end_char <= char]
            if earlier:
                return earlier[-1]
        return None

    previous = None  # (end offset, speaker, verb) of the last quote
    for start, end in _quote_spans(text, body_start):
        raw = text[start:end]
        stripped = raw.strip()
        if len(stripped.split()) < 4:
            continue
        start += len(raw) - len(raw.lstrip())
        end = start + len(stripped)
        continuing = None
        if previous and previous[1] is not None and _continues(text[previous[0]:start - 1]):
            # An unattributed quotation right after an attributed one
            # ("...," Cook told reporters. "...") goes on with the same speaker.
            continuing = (previous[1], previous[2])
        speaker, verb = _speaker_for(doc, start - 1, end + 1, by_token, person_before,
                                     continuing)
        previous = (end + 1, speaker, verb)
        yield Quote(
            story_id=story.story_id,
            speaker=speaker.canonical if speaker else None,
            speaker_entity_id=speaker.entity_id if speaker else None,
            quote=text[start:end], verb=verb,
            start_char=start - body_start, end_char=end - body_start)


def _continues(gap: str) -> bool:
    """Whether a quotation after `gap` goes on from the one before it: the
    gap is at most the earlier quote's attribution, and the new quotation
    starts a sentence."""
    enders = sum(gap.count(mark) for mark in ".!?")
    tail = gap.rstrip(" ")
    return len(gap) <= CONTINUATION_GAP and enders <= 1 and (
        not tail or tail[-1] in ".!?:\n")


# --- The whole story ------------------------------------------------------------

def extract(story: Story, doc) -> Extraction:
    """Entities, relations and quotes of one canonical story's Doc."""
    text = story_text(story)
    if len(text) != len(doc.text):  # not the text of this story: read what was parsed
        text = doc.text
    mentions = _mentions(doc, text)
    mentions += _recover(doc, text, mentions)
    resolve_canonical(mentions)
    mentions.sort(key=lambda m: m.start)
    by_token = {i: m for m in mentions for i in range(m.start, m.end)}

    entities = []
    for m in mentions:
        placed = _field_of(story, m.start_char, m.end_char)
        if placed is None:
            continue
        field, base = placed
        entities.append(EntityMention(
            story_id=story.story_id, field=field, start_char=m.start_char - base,
            end_char=m.end_char - base, text=m.text, label=m.canonical_label,
            canonical=m.canonical, entity_id=m.entity_id))

    found = list(_verb_relations(doc, by_token)) + list(_title_relations(doc, mentions, by_token))
    found += list(_kill_relations(doc, mentions, found))
    found += list(_credit_relations(doc, mentions))
    found += _closure(found)
    relations = {}
    for raw in found:
        if raw.subject.key == raw.obj.key:
            continue
        start = min(raw.subject.start_char, raw.obj.start_char)
        end = max(raw.subject.end_char, raw.obj.end_char)
        placed = _field_of(story, start, end)
        if placed is None:
            continue
        field, base = placed
        relation = Relation(
            story_id=story.story_id, subject=raw.subject.canonical,
            subject_label=raw.subject.canonical_label,
            subject_entity_id=raw.subject.entity_id, predicate=raw.predicate,
            object=raw.obj.canonical, object_label=raw.obj.canonical_label,
            object_entity_id=raw.obj.entity_id, relation_type=raw.relation_type,
            field=field, start_char=start - base, end_char=end - base)
        key = (field, relation.subject_entity_id, relation.object_entity_id,
               relation.relation_type or relation.predicate, relation.start_char)
        if raw.relation_type is not None:
            # a typed reading replaces an open one of the same pair and span
            relations.pop((field, relation.subject_entity_id, relation.object_entity_id,
                           relation.predicate, relation.start_char), None)
        elif any(k[:3] == key[:3] and k[4] == key[4] and r.relation_type
                 for k, r in relations.items()):
            continue
        relations.setdefault(key, relation)

    return Extraction(story_id=story.story_id, entities=tuple(entities),
                      relations=tuple(relations.values()),
                      quotes=tuple(_quotes(story, doc, text, mentions, by_token)))
