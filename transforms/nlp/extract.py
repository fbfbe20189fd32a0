"""From a parsed spaCy Doc to entity mentions, relations and quotes.

Plain Python over the Doc, no Beam and no model loading, so every rule is
unit-tested on real parses. The text given to spaCy is the title, a blank
line, then the body (`names.story_text`), with lines set in capitals (wire
headlines) re-cased for the model by `names.model_text`, which keeps every
character offset; offsets are mapped back into whichever of the two fields a
span lies in, and every string written comes from the stored fields.

The rules live in `entities` (mentions, canonical names, ids), `relations`
and `quotes`; the word lists they share in `lexicon`.
"""

from __future__ import annotations

from schemas.records import EntityMention, Extraction, Story
from transforms.nlp.entities import dateline_entities, find_entities
from transforms.nlp.names import (
    doc_text,
    entity_id,
    forget_tokens,
    field_of,
    model_text,
    normalize_name,
    story_text,
)
from transforms.nlp.quotes import find_quotes
from transforms.nlp.relations import find_relations

__all__ = ["extract", "entity_id", "model_text", "normalize_name", "story_text"]


def extract(story: Story, doc) -> Extraction:
    """Entities, relations and quotes of one canonical story's Doc."""
    try:
        return _extract(story, doc)
    finally:
        forget_tokens(doc)


def _extract(story: Story, doc) -> Extraction:
    text, parsed = story_text(story), doc_text(doc)
    if len(text) != len(parsed):  # not the text of this story: read what was parsed
        text = parsed
    mentions = find_entities(doc, text)
    by_token = {i: m for m in mentions for i in range(m.start, m.end)}

    entities = []
    for m in mentions:
        placed = field_of(story, m.start_char, m.end_char)
        if placed is None:
            continue
        field, base = placed
        entities.append(EntityMention(
            story_id=story.story_id, field=field, start_char=m.start_char - base,
            end_char=m.end_char - base, text=m.text, label=m.canonical_label,
            canonical=m.canonical, entity_id=m.entity_id))

    entities += dateline_entities(story, mentions)
    return Extraction(story_id=story.story_id, entities=tuple(entities),
                      relations=tuple(find_relations(story, doc, mentions, by_token)),
                      quotes=tuple(find_quotes(story, doc, text, mentions, by_token)))
