"""The language of a story's text, when the feed does not say.

Plain functions, no Beam. py3langid's model ships inside the package; it is
loaded once per process, on first use. Most wire copy is plainly English,
and for that the model is not asked (loading it costs 0.6 s a process,
asking it 0.3 ms a story): a text written mostly in English function words
that no other language of the wire shares is English.
"""

from __future__ import annotations

import functools
import re
from typing import Optional

MIN_LANGUAGE_LETTERS = 25
# Below this many letters, or this confidence, a non-English guess is not
# taken: league tables, lists of names and one-line items fool character
# n-gram models, and an unknown language still reaches the English model.
CONFIDENT_LETTERS = 200
CONFIDENCE = 0.9
SHORT_LETTERS = 40
SHORT_CONFIDENCE = 0.99


# Frequent English function words that are not words of the other languages
# news comes in ("was", "will" and "also" are German, "of" and "is" Dutch,
# "for" and "by" Scandinavian, "a", "in", "on" and "die" several).
ENGLISH_WORDS = frozenset(
    "the and that with from said which would this not but their they been "
    "has have were its after who about could than when there".split())
PLAINLY_ENGLISH_WORDS = 40
PLAINLY_ENGLISH_SHARE = 0.08
_WORD = re.compile(r"[^\W\d_]+")


def plainly_english(sample: str) -> bool:
    """Forty words or more, at least 8% of them ENGLISH_WORDS in lower
    case, "the" among them, and hardly a letter outside ASCII. Agrees with
    py3langid on every text of the corpora here that it accepts
    (tests/test_language.py)."""
    words = _WORD.findall(sample)
    if len(words) < PLAINLY_ENGLISH_WORDS:
        return False
    # As written: "The" of "The Irish Post" in Italian copy is a name.
    if "the" not in words:
        return False
    english = sum(map(ENGLISH_WORDS.__contains__, words))
    if english < PLAINLY_ENGLISH_SHARE * len(words):
        return False
    joined = "".join(words)
    foreign = len(joined) - len(joined.encode("ascii", "ignore"))
    return foreign * 50 < len(joined)


_ASCII_NON_LETTERS = bytes(b for b in range(128) if not chr(b).isalpha())
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def letter_count(text: str) -> int:
    """How many characters of `text` are letters (str.isalpha), counted
    without a Python step per character: ASCII in C, the rest one by one."""
    ascii_letters = len(text.encode("ascii", "ignore").translate(None, _ASCII_NON_LETTERS))
    return ascii_letters + sum(ch.isalpha() for ch in _NON_ASCII.findall(text))


@functools.lru_cache(maxsize=1)
def _identifier():
    """py3langid's identifier, loaded once per process (a worker's DoFns share it).

    Sharing is safe: the model is only read, and a classification is a pure
    function of the text, so which call loaded it does not matter.
    """
    from py3langid.langid import MODEL_FILE, LanguageIdentifier
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> Optional[str]:
    """ISO 639-1 code of the text's language (py3langid, whose model ships
    with the package), or None when too short or too unsure to tell."""
    sample = text[:2000]
    letters = letter_count(sample)
    if letters < MIN_LANGUAGE_LETTERS:
        return None
    if plainly_english(sample):
        return "en"
    code, probability = _identifier().classify(sample)
    sure = (letters >= CONFIDENT_LETTERS and probability >= CONFIDENCE or
            letters >= SHORT_LETTERS and probability >= SHORT_CONFIDENCE)
    if code != "en" and not sure:
        return None
    return code
