"""Extraction rules on real parses by the real spaCy model."""

from datetime import datetime, timezone

import pytest

from transforms.extract import entity_id, extract, normalize_name, story_text
from transforms.stories import build_story


def make_story(body: str, title: str = ""):
    return build_story(story_id="s1", source="test", feed_url=None, url=None, title=title,
                       body_markup=body, summary_markup=None, published_at=None,
                       fetched_at=datetime(2026, 11, 25, tzinfo=timezone.utc),
                       language="en", authors=[], run_id="run")


@pytest.fixture
def run(nlp):
    def go(body, title=""):
        story = make_story(body, title)
        return story, extract(story, nlp(story_text(story)))
    return go


def test_offsets_point_into_the_field_they_name(run):
    story, found = run("Angela Merkel met Emmanuel Macron in Berlin.", title="Merkel in Berlin")
    assert {e.field for e in found.entities} == {"title", "body"}
    for e in found.entities:
        text = story.title if e.field == "title" else story.body
        assert text[e.start_char:e.end_char] == e.text


def test_surnames_resolve_to_the_full_name_and_share_its_entity_id(run):
    _, found = run("German Chancellor Angela Merkel spoke on Monday. Merkel said the talks went well.")
    merkel = [e for e in found.entities if "Merkel" in e.text]
    assert [(e.text, e.canonical) for e in merkel] == [("Angela Merkel", "Angela Merkel"),
                                                       ("Merkel", "Angela Merkel")]
    assert len({e.entity_id for e in merkel}) == 1
    assert "Chancellor" not in merkel[0].text


def test_entity_ids_are_stable_across_stories_and_spellings():
    assert entity_id("U.S.", "GPE") == entity_id("US", "GPE") == entity_id("the US", "LOC")
    assert entity_id("Apple", "ORG") != entity_id("Apple", "PERSON")
    assert normalize_name("The Pentagon's") == "pentagon"


@pytest.mark.parametrize("body, expected", [
    ("Tim Cook, chief executive of Apple, said sales rose.",
     ("Tim Cook", "works_for", "Apple")),
    ("Microsoft chief executive Satya Nadella spoke on Monday.",
     ("Satya Nadella", "works_for", "Microsoft")),
    ("Mary Brown, who lives in Boston, spoke on Monday.",
     ("Mary Brown", "lives_in", "Boston")),
    ("John Smith was killed by Peter Jones in 1990.",
     ("Peter Jones", "killed", "John Smith")),
    ("Acme Corp, based in Paris, hired Bob Lee.",
     ("Acme Corp", "based_in", "Paris")),
    ("Satya Nadella spoke in LYON, France on Monday.",
     ("LYON", "located_in", "France")),
])
def test_typed_relations(run, body, expected):
    _, found = run(body)
    typed = {(r.subject, r.relation_type, r.object) for r in found.relations if r.relation_type}
    assert expected in typed


def test_open_relations_have_a_lemma_predicate_and_entity_ids(run):
    story, found = run("Angela Merkel met Emmanuel Macron in Berlin.")
    (meet,) = [r for r in found.relations if r.predicate == "meet"]
    assert (meet.subject, meet.object, meet.relation_type) == ("Angela Merkel", "Emmanuel Macron", None)
    assert meet.subject_entity_id == entity_id("Angela Merkel", "PERSON")
    assert story.body[meet.start_char:meet.end_char] == "Angela Merkel met Emmanuel Macron"


def test_lists_of_places_are_not_located_in(run):
    _, found = run("Tim Cook visited Sweden, Belgium and England last week.")
    assert not [r for r in found.relations if r.relation_type == "located_in"]


def test_quotes_get_their_speaker_also_when_split(run):
    story, found = run("Tim Cook, chief executive of Apple, spoke on Monday. "
                       "\u201cWe are very excited about this investment,\u201d Cook told reporters. "
                       "\u201cIt matters a great deal to all of us.\u201d")
    assert [(q.speaker, q.verb) for q in found.quotes] == [("Tim Cook", "tell"), ("Tim Cook", "tell")]
    for q in found.quotes:
        assert story.body[q.start_char:q.end_char] == q.quote
        assert q.speaker_entity_id == entity_id("Tim Cook", "PERSON")


def test_pronoun_speakers_and_unattributed_quotes(run):
    _, found = run('Opposition leader Jane Doe spoke first. "We will not accept this budget," she said. '
                   'Later on, the crowd chanted for an hour. A sign read "No more cuts for the poor".')
    assert [(q.speaker, q.verb) for q in found.quotes] == [("Jane Doe", "say"), (None, None)]
    assert all(len(q.quote.split()) >= 4 for q in found.quotes)


def test_numbers_and_dates_are_not_entities(run):
    _, found = run("Reuters reported 300 deaths on Monday, March 3, 2024.")
    assert {e.label for e in found.entities} <= {"ORG"}
