"""The language of a story's text, when the feed does not say.

Plain functions, no Beam. py3langid's model ships inside the package; it is
loaded once per process, on first use.
"""

from __future__ import annotations

import functools
from typing import Optional

MIN_LANGUAGE_LETTERS = 25
# Below this many letters, or this confidence, a non-English guess is not
# taken: league tables, lists of names and one-line items fool character
# n-gram models, and an unknown language still reaches the English model.
CONFIDENT_LETTERS = 200
CONFIDENCE = 0.9
SHORT_LETTERS = 40
SHORT_CONFIDENCE = 0.99


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
    letters = sum(ch.isalpha() for ch in sample)
    if letters < MIN_LANGUAGE_LETTERS:
        return None
    code, probability = _identifier().classify(sample)
    sure = (letters >= CONFIDENT_LETTERS and probability >= CONFIDENCE or
            letters >= SHORT_LETTERS and probability >= SHORT_CONFIDENCE)
    if code != "en" and not sure:
        return None
    return code
