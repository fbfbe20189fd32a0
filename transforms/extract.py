"""From a parsed spaCy Doc to entity mentions, relations and quotes.

Plain Python over the Doc, no Beam and no model loading, so every rule is
unit-tested on real parses. The text given to spaCy is the title, a blank
line, then the body (`story_text`); offsets are mapped back into whichever of
the two fields a span lies in.

This is the first, deliberately simple rule set; each rule names the
construction it reads so a later rule set can be compared against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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
                   "acknowledge", "stress", "urge", "promise", "recall"}
KILL_VERBS = {"kill", "murder", "assassinate", "shoot", "slay", "execute",
              "stab", "behead"}
WORK_VERBS = {"work", "join", "head", "lead", "run", "chair", "direct",
              "manage", "found", "serve", "represent", "employ"}
LIVE_VERBS = {"live", "reside", "settle", "grow"}
# Nouns of office: "X, chairman of Y", "Y chief executive X".
TITLE_NOUNS = {
    "president", "chairman", "chairwoman", "chair", "director", "executive",
    "chief", "minister", "secretary", "spokesman", "spokeswoman",
    "spokesperson", "head", "leader", "member", "official", "officer",
    "founder", "co-founder", "ceo", "cfo", "coo", "governor", "senator",
    "ambassador", "manager", "editor", "professor", "analyst", "economist",
    "general", "commander", "chancellor", "premier", "mayor", "king", "queen",
    "prime", "treasurer", "vice", "deputy", "envoy", "representative",
    "lawmaker", "legislator", "employee", "worker", "partner", "owner",
    "coach", "captain", "player", "researcher", "scientist", "lawyer",
    "attorney", "advisor", "adviser", "aide", "correspondent", "reporter",
    "board", "trustee", "boss", "inspector", "judge", "prosecutor",
}
_QUOTE = re.compile(r"\u201c(?P<a>[^\u201c\u201d]{3,}?)\u201d|\"(?P<b>[^\"]{3,}?)\"")
_PRONOUNS = {"he", "she", "they"}
# Characters between two quotations for the second, unattributed one to be
# taken as the same speaker going on.
CONTINUATION_GAP = 120


def story_text(story: Story) -> str:
    """The text the model reads: title and body, in one Doc."""
    return f"{story.title}{SEPARATOR}{story.body}" if story.title else story.body


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


def normalize_name(name: str) -> str:
    """The key form of a name: case, dots, possessives and 'the' aside."""
    name = re.sub(r"['\u2019]s$", "", name.strip())
    name = re.sub(r"^the\s+", "", name, flags=re.I)
    name = re.sub(r"[.\u00b7]", "", name)
    name = re.sub(r"[^\w&+\-' ]+", " ", name)
    return " ".join(name.casefold().split())


def entity_id(canonical: str, label: str) -> str:
    return stable_id("entity", _label_class(label), normalize_name(canonical))


def _label_class(label: str) -> str:
    # GPE and LOC are both places; analysts want "Kenya" one entity whichever
    # of the two the model picked this time.
    return "PLACE" if label in PLACE_LABELS else label


def _clean_mention(span) -> Optional[tuple[int, int]]:
    """Token bounds of a mention without a leading 'the' or trailing "'s"."""
    start, end = span.start, span.end
    doc = span.doc
    while start < end and doc[start].lower_ in ("the", "a", "an"):
        start += 1
    while end > start and doc[end - 1].tag_ == "POS" or \
            (end > start and doc[end - 1].is_punct):
        end -= 1
    return (start, end) if start < end else None


@dataclass
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

    @property
    def entity_id(self) -> str:
        return entity_id(self.canonical, self.canonical_label)


def _mentions(doc) -> list[_Entity]:
    found = []
    for span in doc.ents:
        if span.label_ not in NAMED_LABELS:
            continue
        bounds = _clean_mention(span)
        if not bounds:
            continue
        start, end = bounds
        sub = doc[start:end]
        if not any(ch.isalpha() for ch in sub.text):
            continue
        found.append(_Entity(start, end, sub.text, span.label_,
                             sub.start_char, sub.end_char))
    return found


def resolve_canonical(mentions: list[_Entity]) -> None:
    """Give each mention the full name the story uses for it.

    A mention whose words end (or begin) a longer PERSON name in the same
    story is that person ("Merkel" -> "Angela Merkel"), whatever label the
    small model gave the short form; otherwise a mention is its own name.
    """
    people = [m for m in mentions if m.label == "PERSON" and " " in m.text]
    for mention in mentions:
        words = mention.text.split()
        best = None
        for person in people:
            full = person.text.split()
            if len(full) > len(words) and (full[-len(words):] == words
                                           or full[:len(words)] == words):
                if best is None or len(person.text) > len(best.text):
                    best = person
        if best is not None and mention.label in AGENT_LABELS | {"PERSON"}:
            mention.canonical, mention.canonical_label = best.text, "PERSON"
        else:
            mention.canonical, mention.canonical_label = mention.text, mention.label


def _entity_of_token(token, by_token) -> Optional[_Entity]:
    """The entity a syntactic head token stands for, through compounds."""
    entity = by_token.get(token.i)
    if entity:
        return entity
    for child in token.children:
        if child.dep_ in ("compound", "flat") and child.i in by_token:
            return by_token[child.i]
    return None


@dataclass(frozen=True)
class _RawRelation:
    subject: _Entity
    predicate: str
    obj: _Entity
    relation_type: Optional[str]


def _relation_type(predicate_lemma: str, prep: str, subject: _Entity,
                   obj: _Entity) -> Optional[str]:
    s, o = subject.canonical_label, obj.canonical_label
    if predicate_lemma in KILL_VERBS and s == "PERSON" and o == "PERSON":
        return "killed"
    if predicate_lemma in WORK_VERBS and s == "PERSON" and o == "ORG":
        return "works_for"
    if predicate_lemma in LIVE_VERBS and s == "PERSON" and o in PLACE_LABELS \
            and prep in ("in", "at"):
        return "lives_in"
    if predicate_lemma == "base" and s == "ORG" and o in PLACE_LABELS:
        return "based_in"
    return None


def _verb_relations(doc, by_token) -> Iterable[_RawRelation]:
    """Subject-verb-object between two entities, typed when the verb says how."""
    for verb in doc:
        if verb.pos_ not in ("VERB", "AUX"):
            continue
        subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
        agents = [g for c in verb.children if c.dep_ == "agent"
                  for g in c.children if g.dep_ == "pobj"]
        passive = any(c.dep_ == "nsubjpass" for c in subjects)
        objects: list[tuple[str, object]] = [
            ("", c) for c in verb.children if c.dep_ in ("dobj", "attr", "dative")]
        objects += [(p.lower_, g) for p in verb.children if p.dep_ == "prep"
                    for g in p.children if g.dep_ == "pobj"]
        if passive and agents:
            # "X was killed by Y": Y is the doer.
            subjects, objects = agents, [("", s) for s in subjects] + [
                o for o in objects if o[1] not in agents]
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
                if not obj or obj.canonical == subject.canonical:
                    continue
                lemma = verb.lemma_.lower()
                predicate = f"{lemma} {prep}".strip()
                yield _RawRelation(subject, predicate, obj,
                                   _relation_type(lemma, prep, subject, obj))


def _title_relations(doc, by_token) -> Iterable[_RawRelation]:
    """Offices and places named around a name rather than by a verb.

    "X, chairman of Y" / "Y chairman X" / "Y's chief executive X" ->
    works_for; "LYON, France" -> located_in; "a Nairobi-based charity" and
    "Acme, based in Paris" -> based_in; "John Smith of Chicago" -> lives_in.
    """
    for person in {e.start: e for e in by_token.values()}.values():
        head = doc[person.end - 1]
        if person.canonical_label == "PERSON":
            # "Y chief executive X" and "German Chancellor X": the office and
            # its organisation are compounds in front of the name.
            for child in head.children:
                if child.dep_ in ("compound", "amod", "poss", "nmod") and \
                        child.i < person.start and child.lower_ in TITLE_NOUNS | {"'s"}:
                    org = _org_modifier(child, by_token)
                    if org:
                        yield _RawRelation(person, f"{child.lemma_.lower()} of",
                                           org, "works_for")
                org = by_token.get(child.i)
                if org and org is not person and child.i < person.start and \
                        org.canonical_label == "ORG" and child.dep_ in (
                            "compound", "poss", "nmod") and _has_title(head, person):
                    yield _RawRelation(person, f"{_title_word(head, person)} of",
                                       org, "works_for")
            for appos in (c for c in head.children if c.dep_ == "appos"):
                if appos.lower_ in TITLE_NOUNS:
                    for prep in (c for c in appos.children if c.dep_ == "prep"):
                        for pobj in (g for g in prep.children if g.dep_ == "pobj"):
                            org = _entity_of_token(pobj, by_token)
                            if org and org.canonical_label in ("ORG", "GPE"):
                                yield _RawRelation(person, f"{appos.lemma_.lower()} {prep.lower_}",
                                                   org, "works_for")
                    for poss in (c for c in appos.children if c.dep_ == "poss"):
                        org = _entity_of_token(poss, by_token)
                        if org and org.canonical_label == "ORG":
                            yield _RawRelation(person, f"{appos.lemma_.lower()} of",
                                               org, "works_for")
            for prep in (c for c in head.children if c.dep_ == "prep" and c.lower_ == "of"):
                for pobj in (g for g in prep.children if g.dep_ == "pobj"):
                    place = _entity_of_token(pobj, by_token)
                    if place and place.canonical_label in PLACE_LABELS:
                        yield _RawRelation(person, "of", place, "lives_in")
        if person.canonical_label in PLACE_LABELS:
            # "LYON, France": a place, a comma, a larger place. Read off the
            # surface, since the parser often hangs the second on the verb.
            after = person.end
            other = by_token.get(after + 1) if after + 1 < len(doc) else None
            if other and doc[after].text == "," and other.start == after + 1 and \
                    other.canonical_label in PLACE_LABELS and \
                    not _in_list(doc, person, by_token):
                yield _RawRelation(person, "in", other, "located_in")
        if person.canonical_label == "ORG":
            for child in head.children:
                if child.lower_.endswith("based") or child.lemma_ == "base":
                    for place in _based_places(child, by_token):
                        yield _RawRelation(person, "base in", place, "based_in")
            for token in doc[max(person.start - 3, 0):person.start]:
                if token.text.lower().endswith("-based") or token.lower_ == "based":
                    place = by_token.get(token.i - 2) if token.lower_ == "based" \
                        else None
                    if place and place.canonical_label in PLACE_LABELS:
                        yield _RawRelation(person, "base in", place, "based_in")


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


def _has_title(head, person: _Entity) -> bool:
    return any(c.lower_ in TITLE_NOUNS for c in head.children
               if c.i < person.start)


def _title_word(head, person: _Entity) -> str:
    for child in head.children:
        if child.i < person.start and child.lower_ in TITLE_NOUNS:
            return child.lemma_.lower()
    return "member"


def _org_modifier(title_token, by_token) -> Optional[_Entity]:
    for child in title_token.children:
        if child.dep_ in ("compound", "poss", "nmod", "amod"):
            org = _entity_of_token(child, by_token)
            if org and org.canonical_label in ("ORG", "GPE", "NORP"):
                return org
    return None


def _based_places(token, by_token) -> Iterable[_Entity]:
    for child in token.subtree:
        place = by_token.get(child.i)
        if place and place.canonical_label in PLACE_LABELS:
            yield place


def _speaker_for(doc, span_start: int, span_end: int,
                 by_token, people_before) -> tuple[Optional[_Entity], Optional[str]]:
    """Who said the quote between these character offsets, and the verb."""
    sentences = {doc.char_span(span_start, span_end, alignment_mode="expand").sent}
    for offset in (span_start - 1, span_end + 1):
        if 0 <= offset < len(doc.text):
            token = doc.char_span(offset, min(offset + 1, len(doc.text)),
                                  alignment_mode="expand")
            if token is not None and len(token):
                sentences.add(token.sent)
    for sentence in sorted(sentences, key=lambda s: s.start):
        for token in sentence:
            if token.lemma_.lower() not in REPORTING_VERBS or \
                    span_start <= token.idx < span_end:
                continue
            for subject in (c for c in token.children if c.dep_ == "nsubj"):
                entity = _entity_of_token(subject, by_token)
                if entity and entity.canonical_label in ("PERSON", "ORG"):
                    return entity, token.lemma_.lower()
                if subject.lower_ in _PRONOUNS and people_before(span_start):
                    return people_before(span_start), token.lemma_.lower()
        for token in sentence:
            if token.lower_ == "according" and token.nbor(1).lower_ == "to":
                for t in token.nbor(1).children:
                    entity = _entity_of_token(t, by_token)
                    if entity:
                        return entity, "according to"
    return None, None


def extract(story: Story, doc) -> Extraction:
    """Entities, relations and quotes of one canonical story's Doc."""
    mentions = _mentions(doc)
    resolve_canonical(mentions)
    by_token = {i: m for m in mentions for i in range(m.start, m.end)}

    entities = []
    for m in mentions:
        placed = _field_of(story, m.start_char, m.end_char)
        if placed is None:
            continue
        field, base = placed
        entities.append(EntityMention(
            story_id=story.story_id, field=field, start_char=m.start_char - base,
            end_char=m.end_char - base, text=m.text, label=m.label,
            canonical=m.canonical, entity_id=m.entity_id))

    relations = {}
    for raw in list(_verb_relations(doc, by_token)) + list(_title_relations(doc, by_token)):
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
               relation.predicate, relation.start_char)
        # Two rules finding the same pair: keep the typed reading.
        if key not in relations or relations[key].relation_type is None:
            relations[key] = relation

    return Extraction(story_id=story.story_id, entities=tuple(entities),
                      relations=tuple(relations.values()),
                      quotes=tuple(_quotes(story, doc, mentions, by_token)))


def _continues(gap: str) -> bool:
    """Whether a quotation after `gap` goes on from the one before it: the
    gap is at most the earlier quote's attribution, and the new quotation
    starts a sentence."""
    enders = sum(gap.count(mark) for mark in ".!?")
    tail = gap.rstrip(" ")
    return len(gap) <= CONTINUATION_GAP and enders <= 1 and (
        not tail or tail[-1] in ".!?:\n")


def _quotes(story: Story, doc, mentions, by_token) -> Iterable[Quote]:
    if not story.body:
        return
    _, body_start = _field_of(story, len(doc.text) - 1, len(doc.text)) or ("", 0)
    people = sorted((m for m in mentions if m.canonical_label == "PERSON"),
                    key=lambda m: m.start_char)

    def person_before(char: int) -> Optional[_Entity]:
        earlier = [p for p in people if p.end_char <= char]
        return earlier[-1] if earlier else None

    previous = None  # (end offset, speaker, verb) of the last quote
    for match in _QUOTE.finditer(doc.text, body_start):
        group = "a" if match.group("a") is not None else "b"
        text = match.group(group).strip()
        if len(text.split()) < 4:
            continue
        start, end = match.start(group), match.end(group)
        speaker, verb = _speaker_for(doc, match.start(), match.end(), by_token,
                                     person_before)
        if speaker is None and previous and previous[1] is not None and \
                _continues(doc.text[previous[0]:match.start()]):
            # An unattributed quotation right after an attributed one
            # ("...," Cook told reporters. "...") goes on with the same speaker.
            speaker, verb = previous[1], previous[2]
        previous = (match.end(), speaker, verb)
        yield Quote(
            story_id=story.story_id,
            speaker=speaker.canonical if speaker else None,
            speaker_entity_id=speaker.entity_id if speaker else None,
            quote=doc.text[start:end], verb=verb,
            start_char=start - body_start, end_char=end - body_start)
