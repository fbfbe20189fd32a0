"""Language detection: the English fast path never says English where
py3langid, as wirestream asks it, would say another language, and it
spares the model most wire copy."""

import csv

import pytest

from benchmarks.corpora import iter_reuters
from tests.conftest import shared_data
from transforms.text import language
from transforms.text.language import detect_language, plainly_english


def model_language(text):
    """detect_language as it was before the fast path: py3langid alone."""
    sample = text[:2000]
    letters = sum(ch.isalpha() for ch in sample)
    if letters < language.MIN_LANGUAGE_LETTERS:
        return None
    code, probability = language._identifier().classify(sample)
    sure = (letters >= language.CONFIDENT_LETTERS and probability >= language.CONFIDENCE or
            letters >= language.SHORT_LETTERS and probability >= language.SHORT_CONFIDENCE)
    return code if code == "en" or sure else None


def semeval_texts():
    path = shared_data("semeval2022-sample", "training_set.csv")
    csv.field_size_limit(1 << 30)
    with open(path, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield row["lang1"], row["text1"]
            yield row["lang2"], row["text2"]


def test_never_english_where_the_model_says_otherwise_in_ten_languages():
    texts = list(semeval_texts())
    other = [(lang, text) for lang, text in texts if lang != "en"]
    assert len({lang for lang, _ in other}) >= 8 and len(other) > 1500
    for lang, text in texts:
        if plainly_english(text[:2000]):
            # None: the model unsure, an unknown language the English model reads too
            assert model_language(text) in ("en", None), (lang, text[:200])
    # Nor on their opening words, where a short text has few words to go by.
    for lang, text in other:
        assert not plainly_english(" ".join(text.split()[:45])), (lang, text[:200])


def test_spares_the_model_most_wire_copy_and_agrees_with_it():
    shared_data("reuters21578", "sgm-data")
    prose = fast = 0
    for record in iter_reuters(2000):
        text = f"{record['title']}\n{record['body']}"
        if len(language._WORD.findall(text[:2000])) < language.PLAINLY_ENGLISH_WORDS:
            continue
        prose += 1
        if plainly_english(text[:2000]):
            fast += 1
            assert model_language(text) in ("en", None), text[:200]
    assert prose > 1000 and fast / prose > 0.8


@pytest.mark.parametrize("text", [
    # Dutch, German and Danish use "is", "of", "was", "will", "by" and "for".
    "De minister van Financiën zei dat het tekort kleiner is dan verwacht, of "
    "dat het in ieder geval niet groter wordt. Het kabinet wil de lasten voor "
    "gezinnen verlagen en de bedrijven meer ruimte geven om te investeren in "
    "nieuwe banen, zo is te lezen in de brief aan de Tweede Kamer van dinsdag.",
    "Was die Regierung jetzt plant, will der Minister am Montag vorstellen. Die "
    "Opposition kritisiert den Entwurf scharf und fordert mehr Geld für die "
    "Kommunen, die seit Jahren über zu knappe Mittel klagen. Der Haushalt soll "
    "noch vor der Sommerpause im Bundestag beschlossen werden, heißt es.",
    "Regeringen vil i dag fremlægge et forslag til en ny skattereform for by og "
    "land, som skal give flere penge til de kommuner, der har haft svært ved at "
    "finde midler til ældreplejen. Forslaget bliver behandlet i Folketinget i "
    "næste uge, og oppositionen har allerede meldt, at den vil stemme imod det.",
])
def test_other_languages_that_share_short_words_go_to_the_model(text):
    assert not plainly_english(text)
    assert detect_language(text) != "en"


def test_short_english_still_asks_the_model():
    headline = "Shares in the company rose after the results were published"
    assert not plainly_english(headline)
    assert detect_language(headline) == model_language(headline)
