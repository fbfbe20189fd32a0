"""The component that replaces spaCy's attribute_ruler and lemmatizer
(transforms/nlp/attributes.py) gives every token what they give it: the
same tag, POS, morphology, lemma, dependency, head and entity, on real news
and on the ruler's own odd cases; and where it cannot promise that, the
stock components stay."""

from __future__ import annotations

import json

import pytest
import spacy

from tests.conftest import SAMPLE, shared_data
from transforms.nlp.attributes import Unsupported, build
from transforms.nlp.model import ATTRIBUTES, SpacyModelHandler, resolve_model

# Text for each kind of pattern the small English model's ruler has: two-token
# rules (gonna, gotta, y'all, let's, ain't, expletive "there is"), lemma
# exceptions (gets/got), determiners and pronouns by word, whitespace tokens
# (their tag, POS and dependency), an all-capitals headline.
ODD_CASES = [
    "He ain't gonna wait, y'all. Let's go: we gotta leave now.",
    "There is a problem and there were two more.\n\nShe gets it; he got it.",
    "Somebody said that nothing was wrong, but everyone knew.",
    "  Leading   spaces,\ttabs\tand\n\n\nblank lines  ",
    "OFFICIALS SAY TALKS IN GENEVA WILL RESUME",
    "U.S. gov't officials won't say; they'd've known. c'mon",
    "",
]


def annotations(doc) -> list[tuple]:
    return [(t.text, t.tag_, t.pos_, str(t.morph), t.lemma_, t.dep_, t.head.i,
             t.ent_type_, t.ent_iob_, t.is_sent_start) for t in doc]


@pytest.fixture(scope="module")
def pipelines():
    """The stock model (with wirestream's sentence cap, which runs before
    the parser in both) and the model as wirestream's handler loads it."""
    handler = SpacyModelHandler("en_core_web_sm")
    ours = handler._load_spacy()
    stock = spacy.load(resolve_model("en_core_web_sm"))
    stock.add_pipe("wirestream_sentence_cap", before="parser")
    return stock, ours


def sample_texts() -> list[str]:
    texts = []
    for line in (SAMPLE / "archive.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        texts.append(f"{record.get('title') or ''}\n\n{record.get('body') or ''}")
    return texts


def assert_same(stock, ours, texts):
    differing = [text[:60] for text, a, b in zip(texts, stock.pipe(texts), ours.pipe(texts))
                 if annotations(a) != annotations(b)]
    assert not differing, f"{len(differing)} of {len(texts)} texts annotated differently"


def test_wirestream_loads_the_component_in_place_of_the_ruler_and_lemmatizer(pipelines):
    _, ours = pipelines
    assert ATTRIBUTES in ours.pipe_names
    assert "attribute_ruler" not in ours.pipe_names and "lemmatizer" not in ours.pipe_names
    assert ours.pipe_names.index(ATTRIBUTES) < ours.pipe_names.index("ner")


def test_every_token_of_the_odd_cases_is_annotated_as_the_stock_pipeline_does(pipelines):
    stock, ours = pipelines
    assert_same(stock, ours, ODD_CASES)
    doc = ours("He ain't gonna go. Let's see.\n\nShe got it.")
    lemmas = {t.text: t.lemma_ for t in doc}
    assert (lemmas["gon"], lemmas["na"], lemmas["'s"], lemmas["got"]) == ("go", "to", "us", "get")
    space = next(t for t in doc if t.is_space)
    assert (space.tag_, space.pos_) == ("_SP", "SPACE")


def test_the_bundled_sample_is_annotated_as_the_stock_pipeline_does(pipelines):
    stock, ours = pipelines
    assert_same(stock, ours, sample_texts())


def test_real_wire_stories_are_annotated_as_the_stock_pipeline_does(pipelines):
    from benchmarks.corpora import iter_reuters

    shared_data("reuters21578")
    stock, ours = pipelines
    texts = [f"{r.get('title') or ''}\n\n{r.get('body') or ''}" for r in iter_reuters(400)]
    # Twice through: the second pass reads the caches the first one filled.
    assert_same(stock, ours, texts)
    assert_same(stock, ours, texts[:100])


def test_a_pattern_it_cannot_reproduce_keeps_the_stock_components():
    nlp = spacy.load(resolve_model("en_core_web_sm"))
    nlp.get_pipe("attribute_ruler").add([[{"SHAPE": "Xxxx"}]], {"POS": "PROPN"})
    with pytest.raises(Unsupported):
        build(nlp)
    from transforms.nlp.model import _replace_ruler_and_lemmatizer

    _replace_ruler_and_lemmatizer(nlp)
    assert ATTRIBUTES not in nlp.pipe_names
    assert {"attribute_ruler", "lemmatizer"} <= set(nlp.pipe_names)


def test_a_pipeline_without_a_lemmatizer_keeps_what_it_has():
    nlp = spacy.load(resolve_model("en_core_web_sm"), exclude=["lemmatizer"])
    with pytest.raises(Unsupported):
        build(nlp)
