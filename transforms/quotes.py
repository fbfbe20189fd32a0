"""Direct quotations of one story, split and multi-paragraph ones included,
attributed to the speaker's entity where the text says who."""

from __future__ import annotations

from typing import Iterable, Optional

from schemas.records import Quote, Story
from transforms.lexicon import (
    CONTINUATION_GAP, REPORTING_VERBS, SEPARATOR, TITLE_NOUNS, PRONOUNS, QUOTE_PAIRS)
from transforms.entities import Entity
from transforms.relations import entity_of_token


def _subject_entity(subject, by_token) -> Optional[Entity]:
    """The entity a reporting verb's subject names: itself, a name in
    apposition to an office ("Malaysia's Prime Minister, Najib Razak"), the
    organisation of an office ("a spokesman for Y"), or a possessor ("PC
    World's analysis")."""
    entity = entity_of_token(subject, by_token)
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
            entity = entity_of_token(child, by_token)
        elif child.dep_ == "prep" and subject.lower_.rstrip(".") in TITLE_NOUNS:
            entity = next((e for g in child.children if g.dep_ == "pobj"
                           for e in [entity_of_token(g, by_token)] if e), None)
        if entity is not None:
            return entity
    return None


def _speaker_in(sentences, span_start: int, span_end: int, by_token,
                person_before) -> tuple[Optional[Entity], Optional[str]]:
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
                direct = 0 if entity_of_token(subject, by_token) is entity else 1
                if entity is None and subject.lower_ in PRONOUNS:
                    entity = person_before(span_start)
                if entity and entity.canonical_label in ("PERSON", "ORG", "GPE", "NORP"):
                    candidates.append((distance, direct, entity, token.lemma_.lower()))
        for token in sentence:
            if token.lower_ == "according" and token.i + 1 < len(token.doc) and \
                    token.nbor(1).lower_ == "to":
                for t in token.nbor(1).children:
                    entity = entity_of_token(t, by_token)
                    if entity:
                        distance = abs(token.idx - span_start)
                        candidates.append((distance, 0, entity, "according to"))
    if not candidates:
        return None, None
    _, _, entity, verb = min(candidates, key=lambda c: c[:2])
    return entity, verb


def _speaker_for(doc, span_start: int, span_end: int, by_token, person_before,
                 continuing=None) -> tuple[Optional[Entity], Optional[str]]:
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
            if text[i] in QUOTE_PAIRS:
                open_at = i
                break
        if open_at < 0:
            return
        closer = QUOTE_PAIRS[text[open_at]]
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
        if following[:1] in QUOTE_PAIRS and text[open_at] != '"' or \
                following[:1] == '"' and text[open_at] == '"' and \
                text.count('"', open_at, para_end) == 1:
            yield open_at + 1, para_end  # goes on in the next paragraph
            pos = para_end
            continue
        pos = para_end if para_end > open_at else open_at + 1


def find_quotes(story: Story, doc, text: str, mentions, by_token) -> Iterable[Quote]:
    if not story.body:
        return
    body_start = len(story.title) + len(SEPARATOR) if story.title else 0
    people = sorted((m for m in mentions if m.canonical_label == "PERSON"),
                    key=lambda m: m.start_char)
    subjects = [p for p in people if doc[p.end - 1].dep_ in ("nsubj", "nsubjpass")]

    def person_before(char: int) -> Optional[Entity]:
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
