"""Relations between the entities of one Doc.

Typed ones from dependency patterns, appositions and titles (works_for,
located_in, based_in, lives_in, killed, member_of, meets, ...), plus open
subject-verb-object relations with a lemma predicate and relation_type None.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Optional

from transforms.nlp.lexicon import (
    AGENT_LABELS, BASE_VERBS, CONTACT_NOUNS, CONTACT_VERBS, DISEASE_NAMES, EMPLOY_VERBS,
    GROUP_NORP_WORDS, KILL_NOUNS, KILL_VERBS, KILLER_NOUNS, LEAD_OFFICES, LIVE_VERBS,
    NATIVE_NOUNS, OFFICE_BODY_NOUNS, ORG_HEAD_NOUNS, PARTY_SHORT_NAMES, PERSON_HONORIFICS,
    PLACE_LABELS, PLACE_NOUNS, REPORTING_VERBS, RESIDENT_NOUNS, TITLE_NOUNS, TRAVEL_VERBS,
    VERB_TYPES, WORK_VERBS)
from schemas.records import Relation, Story
from transforms.nlp.mention import Mention
from transforms.nlp.names import children, doc_tokens, field_of, place_key
from transforms.nlp.wire_layout import is_known_place


@dataclass(frozen=True)
class _RawRelation:
    subject: Mention
    predicate: str
    obj: Mention
    relation_type: Optional[str]


def _is_person(e: Mention) -> bool:
    return e.canonical_label == "PERSON"


def _is_place(e: Mention) -> bool:
    return e.canonical_label in PLACE_LABELS


def _is_org(e: Mention) -> bool:
    return e.canonical_label == "ORG"


def mention_of_token(token, by_token, depth: int = 0) -> Optional[Mention]:
    """The mention a syntactic head token stands for, through compounds and
    appositions ("his aide, John Smith")."""
    entity = by_token.get(token.i)
    if entity:
        return entity
    if token.lemma_.lower() in _VENUE_NOUNS:
        return None  # "at Buenos Aires' City Council hall": a hall, not the council
    for child in children(token):
        if child.dep_ in ("compound", "flat") and child.i in by_token:
            return by_token[child.i]
    if depth == 0:
        for child in children(token):
            if child.dep_ == "appos":
                found = mention_of_token(child, by_token, 1)
                if found:
                    return found
    return None


def _relation_type(lemma: str, prep: str, subject: Mention, obj: Mention) -> Optional[str]:
    if lemma in KILL_VERBS and _is_person(subject) and obj.canonical_label in ("PERSON", "NORP"):
        return "killed"
    if lemma in WORK_VERBS and _is_person(subject) and obj.canonical_label in ("ORG",) \
            and prep in ("", "for", "at", "with", "in", "on"):
        return "member_of" if lemma == "join" and _is_party(obj) else "works_for"
    if lemma in LIVE_VERBS and _is_person(subject) and _is_place(obj) and \
            prep in ("in", "at", "to", "near", "outside", "from"):
        if lemma == "move" and prep != "to":
            return None
        return "lives_in"
    if lemma in TRAVEL_VERBS and _is_person(subject) and _is_place(obj) and \
            prep in TRAVEL_VERBS[lemma]:
        return "visits"
    if lemma in BASE_VERBS and _is_place(obj) and prep in ("in", "at", "near", "outside", ""):
        if _is_org(subject):
            return "based_in"
        if _is_place(subject):
            return "located_in"
    if lemma == "be" and prep == "in" and _is_place(subject) and _is_place(obj):
        return "located_in"
    if lemma in VERB_TYPES and subject.canonical_label in AGENT_LABELS:
        if VERB_TYPES[lemma] == "acquires" and prep:
            return None  # "bought fuel from Y": Y sold, it was not bought
        return VERB_TYPES[lemma]
    return None


def _verb_subjects(verb):
    """A verb's subjects, or those of the verb it is coordinated with or
    depends on ("X met Y and praised Z", "X agreed to buy Y")."""
    subjects = [c for c in children(verb) if c.dep_ in ("nsubj", "nsubjpass")]
    if not subjects and verb.dep_ in ("conj", "xcomp", "advcl") and \
            verb.head.pos_ in ("VERB", "AUX"):
        subjects = [c for c in children(verb.head) if c.dep_ in ("nsubj", "nsubjpass")]
    return subjects


def _with_conjuncts(token) -> list:
    """A noun and the nouns coordinated with it ("Harvard and Yale")."""
    return [token] + [c for c in token.conjuncts if c.pos_ in ("PROPN", "NOUN")]


def _verb_relations(doc, by_token) -> Iterable[_RawRelation]:
    """Subject-verb-object between two mentions, typed when the verb says how."""
    tokens = doc_tokens(doc)
    for verb in tokens:
        if verb.pos_ not in ("VERB", "AUX"):
            continue
        lemma = verb.lemma_.lower()
        subjects, objects, passive_without_agent = _verb_arguments(verb, by_token)
        for subject_token in subjects:
            subject = mention_of_token(subject_token, by_token)
            if not subject:
                continue
            for prep, object_token in objects:
                obj = mention_of_token(object_token, by_token)
                if obj and obj.key != subject.key:
                    raw = _verb_relation(lemma, prep, subject, obj, passive_without_agent)
                    if raw.relation_type in _VERB_TYPE_NAMES and (
                            _names_a_thing_of(object_token, by_token)
                            or raw.relation_type in _EVENT_TYPES and _not_done(verb)
                            or raw.relation_type == "visits" and _came_to_stay(verb)):
                        # "met IMF requirements", "bought Getty shares": the
                        # verb is done to the thing, not to its owner; "will
                        # visit Y", "planned to meet Y": not (yet) done
                        raw = _RawRelation(raw.subject, raw.predicate, raw.obj, None)
                    yield raw
            if _is_person(subject):
                yield from _office_taken(verb, subject, by_token)


_VERB_TYPE_NAMES = frozenset(VERB_TYPES.values())
# Relations that are events: a planned or denied one is not stated.
_EVENT_TYPES = frozenset({"meets", "visits", "acquires"})
# What a party, leader or country that names it stands for: "the BJP
# government", "the Trump administration", "the Assad regime".
_RULE_NOUNS = {"government", "administration", "regime"}


def _came_to_stay(verb) -> bool:
    """An arrival that is a move, not a visit: "arrived in Canada in 1990
    as a refugee" (a year, or the role the person came in)."""
    if verb.lemma_.lower() not in TRAVEL_VERBS:
        return False
    for prep in (c for c in children(verb) if c.dep_ == "prep"):
        if prep.lower_ == "as":
            return True
        if prep.lower_ == "in" and any(
                g.like_num and len(g.text) == 4 and g.text.isdigit() for g in children(prep)):
            return True
    return False


def _names_a_thing_of(token, by_token) -> bool:
    """A common noun that a name only modifies ("IMF requirements", "the
    Getty shares"), as opposed to the name itself or a noun the name stands
    in apposition to ("his wife Nancy")."""
    if token.i in by_token or token.pos_ != "NOUN" or token.lower_ in _RULE_NOUNS:
        return False  # "slammed the BJP government": done to the BJP
    return not any(c.dep_ == "appos" and c.i in by_token for c in children(token))


def _contact_relations(doc, by_token) -> Iterable[_RawRelation]:
    """Two people in contact: "X spoke with Y", "X spoke by phone with Y",
    "X held talks with Y", "X had a phone call with Y", and "X said he had
    spoken with Y" (the pronoun is the reporting verb's subject): meets."""
    tokens = doc_tokens(doc)
    for verb in tokens:
        if verb.pos_ not in ("VERB", "AUX"):
            continue
        lemma = verb.lemma_.lower()
        heads = []  # (predicate, token whose "with" names the other person)
        if lemma in CONTACT_VERBS and lemma != "meet":
            heads.append((f"{lemma} with", verb))
        elif lemma in ("hold", "have", "conduct"):
            for noun in (c for c in children(verb) if c.dep_ == "dobj"):
                if noun.lower_ not in CONTACT_NOUNS:
                    continue
                phone = any(c.lower_ in ("phone", "telephone", "video") for c in children(noun)
                            if c.dep_ in ("compound", "amod"))
                name = f"{'phone ' if phone else ''}{noun.lower_}" if noun.lower_ != "phone" \
                    else "phone call"
                predicate = f"{name} with" if phone or name == "phone call" else \
                    f"{lemma} {name} with"
                heads += [(predicate, noun), (predicate, verb)]
        # "During a news conference with Y, X said": the contact is the
        # doer's, named in a phrase of the verb rather than as its object
        heads += [(f"{noun.lower_} with", noun) for prep in children(verb)
                  if prep.dep_ == "prep" and prep.lower_ in _CONTACT_TIME_PREPS
                  for noun in children(prep)
                  if noun.dep_ == "pobj" and noun.lower_ in CONTACT_NOUNS]
        if lemma in _RECIPROCAL_VERBS and _took_place(verb):
            yield from _met_each_other(verb, lemma, by_token)
        if not heads:
            continue
        subjects = [_pronoun_speaker(s, by_token) if s.lower_ in ("he", "she") else
                    mention_of_token(s, by_token) for s in _verb_subjects(verb)
                    if s.dep_ == "nsubj"]
        subjects = [s for s in subjects if s is not None and _is_person(s)]
        if not subjects:
            continue
        seen = set()
        for predicate, head in heads:
            for prep in (c for c in children(head) if c.dep_ == "prep" and
                         c.lower_ in (("with", "to") if head is verb and lemma in CONTACT_VERBS
                                      else ("with",))):
                for pobj in (g for g in children(prep) if g.dep_ == "pobj"):
                    for token in _with_conjuncts(pobj):
                        other = mention_of_token(token, by_token)
                        if other is None or not _is_person(other) or other.key in seen:
                            continue
                        seen.add(other.key)
                        for subject in subjects:
                            if subject.key != other.key:
                                yield _RawRelation(subject, predicate, other, "meets")


# Verbs whose coordinated subjects did it with each other: "X and Y met".
_RECIPROCAL_VERBS = {"meet", "talk", "confer", "consult"}
_NOT_YET = {"will", "would", "shall", "may", "might", "could", "should", "can", "must"}


def _took_place(verb) -> bool:
    """Not a meeting planned, wished or denied: "will meet", "plan to
    meet", "did not meet"."""
    return verb.dep_ != "xcomp" and not any(
        c.dep_ == "neg" or c.dep_ == "aux" and c.lower_ in _NOT_YET or c.lower_ == "to"
        for c in children(verb))


# Verbs and words whose "to" clause is still to come: "plans to visit",
# "agreed to buy", "is due to meet", "a contract to buy".
_INTENT_WORDS = {"plan", "intend", "want", "hope", "expect", "agree", "seek", "aim", "try",
                 "prepare", "schedule", "set", "due", "wish", "propose", "offer", "decide",
                 "threaten", "vow", "promise", "like", "need", "invite", "ask", "urge",
                 "likely", "able", "ready", "willing", "eager", "scheduled", "expected"}


def _not_done(verb) -> bool:
    """An event not (yet) done: "will visit", "would meet", "did not buy",
    "planned to meet", "is due to visit", "a contract to buy". A purpose
    clause of something done was done: "left the White House to visit his
    wife"."""
    if any(c.dep_ == "neg" or c.dep_ == "aux" and c.lower_ in _NOT_YET for c in children(verb)):
        return True
    if not any(c.lower_ == "to" for c in children(verb)):
        return False
    head = verb.head
    return verb.dep_ == "acl" or verb.dep_ in ("xcomp", "ccomp") and (
        head.lemma_.lower() in _INTENT_WORDS or head.lower_ in _INTENT_WORDS or
        any(c.dep_ == "aux" and c.lower_ in _NOT_YET for c in children(head)))


def _met_each_other(verb, lemma: str, by_token) -> Iterable[_RawRelation]:
    """"Weizman and Netanyahu met at the president's residence": meets,
    between every two of the people named as the subjects, when they met
    no one else ("X and Y met little Z", "X and Y met with Z")."""
    if any(c.dep_ == "dobj" or c.dep_ == "prep" and c.lower_ == "with" for c in children(verb)):
        return
    people = []
    for subject in (c for c in children(verb) if c.dep_ == "nsubj"):
        for token in _with_conjuncts(subject):
            mention = mention_of_token(token, by_token)
            if mention is not None and _is_person(mention) and \
                    all(p.key != mention.key for p in people):
                people.append(mention)
    for i, first in enumerate(people):
        for second in people[i + 1:]:
            yield _RawRelation(first, lemma, second, "meets")


# Prepositions that place a verb in a contact that took place ("during",
# "after"), not one still to come ("before", "ahead of").
_CONTACT_TIME_PREPS = {"during", "after", "at", "following", "in"}


# A result named by a noun, not a verb: "a 1-0 win over Y", "X's 3-0
# defeat of Y", "Y's defeat by X".
_WIN_NOUNS = {"win", "victory", "triumph"}
_DEFEAT_NOUNS = {"defeat", "demolition", "thrashing", "rout", "drubbing", "hammering"}
# Verbs whose subject earns the result they take as object ("X recorded a
# win over Y"); a result after "with" or "to" is the doer's or the helped one's.
_RESULT_VERBS = {"earn", "claim", "record", "secure", "gain", "achieve", "post", "register",
                 "clinch", "notch", "seal", "grab", "snatch", "score", "celebrate"}


def _result_relations(doc, by_token) -> Iterable[_RawRelation]:
    """Who beat whom by a result noun: "Karlsruhe's 4-0 demolition of St
    Pauli", "Ajax, with a 1-0 win over AZ", "helped Bayern to a 4-2 win over
    Leverkusen", "PSV's 3-1 win at Volendam" (away, so only with a score):
    defeats."""
    for noun in doc_tokens(doc):
        lemma = noun.lemma_.lower()
        if noun.pos_ != "NOUN" or lemma not in _WIN_NOUNS | _DEFEAT_NOUNS:
            continue
        preps = {p.lower_: [g for g in children(p) if g.dep_ == "pobj"]
                 for p in children(noun) if p.dep_ == "prep"}
        owner = next((mention_of_token(c, by_token) for c in children(noun) if c.dep_ == "poss"),
                     None)
        if lemma in _DEFEAT_NOUNS and preps.get("by"):
            winners, losers, word = preps["by"], [owner] if owner else [], "by"
            winners = [mention_of_token(t, by_token) for w in winners for t in _with_conjuncts(w)]
        else:
            words = ("of",) if lemma in _DEFEAT_NOUNS else \
                ("over", "against", "at") if _has_score(noun) else ("over", "against")
            word = next((w for w in words if preps.get(w)), None)
            if word is None:
                continue
            # the beaten side by name, not "the Rhineside club" a place qualifies
            losers = [mention_of_token(t, by_token) for g in preps[word] for t in _with_conjuncts(g)
                      if t.i in by_token or t.pos_ == "PROPN"]
            winners = [owner] if owner else _result_earner(noun, by_token)
        for winner in winners:
            for loser in losers:
                if winner is not None and loser is not None and winner.key != loser.key and \
                        winner.canonical_label in AGENT_LABELS and \
                        loser.canonical_label in AGENT_LABELS:
                    yield _RawRelation(winner, f"{lemma} {word}", loser, "defeats")


def _has_score(noun) -> bool:
    """"a 3-1 win": a score, which makes "at Y" the beaten side's ground."""
    return any(c.dep_ == "nummod" and c.like_num for c in children(noun))


def _result_earner(noun, by_token) -> list:
    """The side a result noun belongs to through its verb: the subject of
    "X stayed top with a win", "X recorded a win"; the object of "helped X
    to a win"."""
    if noun.dep_ == "pobj" and noun.head.lower_ in ("with", "to"):
        verb = noun.head.head
        if noun.head.lower_ == "to":
            sides = [c for c in children(verb) if c.dep_ == "dobj"]
        else:
            sides = [c for c in children(verb) if c.dep_ == "nsubj"]
    elif noun.dep_ == "dobj" and noun.head.lemma_.lower() in _RESULT_VERBS:
        sides = [c for c in children(noun.head) if c.dep_ == "nsubj"]
    else:
        return []
    # (through an apposition: "PSV's main rivals, Ajax, celebrated ...")
    return [mention_of_token(side, by_token) for side in sides]


def _visit_relations(doc, by_token) -> Iterable[_RawRelation]:
    """"X made a state visit to Y", "X paid a visit to Y", "X began a trip
    to Y": the visit is a noun the verb takes, and the place or person it
    is "to" is visited."""
    tokens = doc_tokens(doc)
    for noun in tokens:
        if noun.lemma_.lower() not in _VISIT_NOUNS or noun.dep_ != "dobj" or \
                noun.head.lemma_.lower() not in _VISIT_MAKING_VERBS:
            continue
        verb = noun.head
        subjects = [mention_of_token(s, by_token) for s in _verb_subjects(verb)
                    if s.dep_ == "nsubj"]
        for subject in (s for s in subjects if s is not None and _is_person(s)):
            for prep in (c for c in children(noun) if c.dep_ == "prep" and c.lower_ == "to"):
                for pobj in (g for g in children(prep) if g.dep_ == "pobj"):
                    for token in _with_conjuncts(pobj):
                        visited = mention_of_token(token, by_token)
                        if visited is not None and visited.key != subject.key and \
                                (_is_place(visited) or _is_person(visited)):
                            yield _RawRelation(subject, f"{noun.lemma_.lower()} to",
                                               visited, "visits")


_VISIT_NOUNS = {"visit", "trip", "tour", "pilgrimage"}
# Verbs that make the visit happen; "planned a visit", "cancelled a trip"
# did not.
_VISIT_MAKING_VERBS = {"make", "pay", "begin", "start", "end", "conclude", "complete", "wrap"}


def _pronoun_speaker(pronoun, by_token) -> Optional[Mention]:
    """"X said he had spoken with Y": he is X, the subject of the reporting
    verb the clause hangs on."""
    clause = pronoun.head
    while clause.dep_ in ("conj", "xcomp") and clause.head.i != clause.i:
        clause = clause.head
    reporting = clause.head
    if clause.dep_ != "ccomp" or reporting.lemma_.lower() not in REPORTING_VERBS:
        return None
    for subject in (c for c in children(reporting) if c.dep_ == "nsubj"):
        found = mention_of_token(subject, by_token)
        if found is not None and _is_person(found):
            return found
    return None


def _verb_arguments(verb, by_token) -> tuple[list, list[tuple[str, object]], bool]:
    """The verb's doers, its (preposition, object) pairs, and whether it is
    a passive that names no doer. Each coordinated noun takes part on its
    own; the doer of a passive with an agent is the agent."""
    subjects = _relative_antecedents(verb, _verb_subjects(verb), by_token)
    agents = [g for c in children(verb) if c.dep_ == "agent"
              for g in children(c) if g.dep_ == "pobj"]
    passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in children(verb))
    objects = _verb_objects(verb)
    # "X and Y met Z", "taught at A and B": each conjunct takes part; not
    # those after a relative clause, which is the last name's ("Jack Ruby,
    # who killed Oswald, and Jim and Tammy Bakker")
    subjects = [c for s in subjects for c in _with_conjuncts(s)
                if not (verb.dep_ == "relcl" and c.i > verb.i and s.i < verb.i)]
    agents = [c for a in agents for c in _with_conjuncts(a)]
    objects = [(prep, c) for prep, o in objects for c in _with_conjuncts(o)]
    if passive and agents:
        # "X was killed by Y": Y is the doer.
        subjects, objects = agents, [("", s) for s in subjects] + [
            o for o in objects if o[1] not in agents]
    objects += _where_clause_place(verb, by_token)
    return subjects, objects, passive and not agents


def _verb_objects(verb) -> list[tuple[str, object]]:
    """(preposition, object) of each object of a verb: "" for a direct one,
    "at" for "works at Y", "in front of" through two prepositions."""
    objects = [("", c) for c in children(verb) if c.dep_ in ("dobj", "attr", "dative", "oprd")]
    for p in children(verb):
        if p.dep_ == "prep" or (p.dep_ == "prt" and p.lower_ in ("in", "at")):
            for g in children(p):
                if g.dep_ == "pobj":
                    objects.append((p.lower_, g))
                elif g.dep_ == "prep":  # "in front of", "out of"
                    objects += [(f"{p.lower_} {g.lower_}", h) for h in children(g)
                                if h.dep_ == "pobj"]
    return objects


def _relative_antecedents(verb, subjects: list, by_token) -> list:
    """"Mary Brown, who lives in Boston", "X, who was shot by Y", "X, who is
    a major and works at Y": in a relative clause, the pronoun stands for
    the noun the clause hangs on."""
    clause = verb if verb.dep_ == "relcl" else \
        verb.head if verb.dep_ == "conj" and verb.head.dep_ == "relcl" else None
    if clause is None:
        return subjects
    antecedent = clause.head
    if antecedent.dep_ == "appos" and (by_token.get(antecedent.i) is not None and
                                       by_token[antecedent.i].canonical_label == "NORP"):
        # "Derwinski, a Republican from Chicago who served in Congress": the
        # clause is the person's, not the party's
        person = by_token.get(antecedent.head.i)
        if person is not None and _is_person(person):
            antecedent = antecedent.head
    return [antecedent if s.tag_ in ("WP", "WDT") and antecedent.i in by_token else s
            for s in subjects]


def _where_clause_place(verb, by_token) -> list[tuple[str, object]]:
    """"Rolling Fork, where X was born": the place the clause hangs on, as
    an object "in" it."""
    if verb.lemma_.lower() in LIVE_VERBS and verb.dep_ == "relcl" and \
            any(c.lower_ == "where" for c in children(verb)):
        place = mention_of_token(verb.head, by_token)
        if place is not None and _is_place(place):
            return [("in", verb.head)]
    return []


def _verb_relation(lemma: str, prep: str, subject: Mention, obj: Mention,
                   passive_without_agent: bool) -> _RawRelation:
    """The relation of one subject and object of a verb: typed by the verb,
    or by an employing verb whichever side the employer stands on."""
    predicate = f"{lemma} {prep}".strip()
    kind = _relation_type(lemma, prep, subject, obj)
    if kind is None and lemma in EMPLOY_VERBS:
        if _is_org(subject) and _is_person(obj):
            # "Acme hired X": the one hired works for the one hiring
            return _RawRelation(obj, predicate, subject, "works_for")
        if passive_without_agent and _is_person(subject) and _is_org(obj):
            kind = "works_for"  # "X was appointed chairman of Y"
    if kind is None and lemma == "lose" and prep == "to" and \
            subject.canonical_label in AGENT_LABELS and obj.canonical_label in AGENT_LABELS:
        # "Tunisia lost 1-2 to England": the winner defeats the loser
        return _RawRelation(obj, predicate, subject, "defeats")
    return _RawRelation(subject, predicate, obj, kind)


def _office_taken(verb, person: Mention, by_token) -> Iterable[_RawRelation]:
    """"X became chairman of Y", "X is a spokesman for Y", "X was acting
    comptroller at Y", "X declined to serve another term as chairman of Y":
    an office as the verb's complement."""
    # an office as a direct object only of a verb of holding it ("X heads
    # the board of Y"), not "scrapping Chicago's school board"
    holds = verb.lemma_.lower() in WORK_VERBS | {"become", "remain", "assume"}
    offices = [c for c in children(verb) if c.dep_ in ("attr", "oprd") or
               c.dep_ == "dobj" and holds]
    offices += [g for p in children(verb) if p.dep_ == "prep" and p.lower_ == "as"
                for g in children(p) if g.dep_ == "pobj" and g.lower_.rstrip(".") in TITLE_NOUNS]
    for attr in offices:
        if by_token.get(attr.i):
            continue
        if attr.lower_.rstrip(".") in TITLE_NOUNS | RESIDENT_NOUNS or attr.dep_ == "attr" \
                and _can_describe_person(attr) and _serves_an_org(attr, by_token):
            yield from _office_relations(person, attr, by_token)


# "first lady", "second secretary", "first deputy": low ordinals are also titles.
_ORDINAL_WORDS = {"third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
                  "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
                  "seventeenth", "eighteenth", "nineteenth", "twentieth"}


def _numbered_office(office) -> bool:
    """An office counted in a sequence of holders: "the 23rd president of
    Y", "the seventh king of Y". It places the holder in a history, not where
    they live."""
    return any(c.dep_ == "amod" and (c.lower_ in _ORDINAL_WORDS or c.lower_[:-2].isdigit()
                                     and c.lower_[-2:] in ("st", "nd", "rd", "th"))
               for c in children(office))


# Kin: "Paris's father, Albert Jaquier" says whose father he is, not where
# he lives or works.
_KIN_NOUNS = {"father", "mother", "parent", "wife", "husband", "brother", "sister", "uncle",
              "aunt", "cousin", "nephew", "niece", "grandfather", "grandmother", "grandson",
              "granddaughter", "fiance", "fiancee", "fiancé", "fiancée", "girlfriend",
              "boyfriend", "widow", "widower", "stepfather", "stepmother", "stepson",
              "stepdaughter", "ex-wife", "ex-husband", "in-law", "sibling", "spouse"}
# A team's roles: "Panama coach X", "Tunisia's goalkeeper X" play for a
# national side, which says nothing of where they live.
_TEAM_ROLES = {"coach", "goalkeeper", "keeper", "goalie", "captain", "striker", "defender",
               "midfielder", "forward", "winger", "player", "skipper", "manager",
               "quarterback", "pitcher", "batsman", "bowler", "teammate"}


# Titles won, not offices held: "Olympic champion X", "Australian Open
# champion X", "UEFA Cup hopefuls X", "Euro '96 hero X" name a contest,
# which is neither an employer nor a place; only a nationality adjective
# right before the noun says something ("Swedish champion X").
_ACHIEVEMENT_NOUNS = {"champion", "champ", "titleholder", "winner", "finalist", "semifinalist",
                      "semi-finalist", "quarterfinalist", "runner-up", "medallist",
                      "medalist", "hopeful", "hero", "laureate"}
# (callers pass the word as written, so plurals too: "UEFA Cup hopefuls")
_ACHIEVEMENT_NOUNS |= {w + "s" for w in _ACHIEVEMENT_NOUNS} | {"heroes", "runners-up"}


# What one is to an organisation without working for it: "a City Council
# member and CAP supporter", "the victim of an FBI conspiracy".
_NO_OFFICE_NOUNS = {"supporter", "fan", "critic", "opponent", "friend", "ally", "admirer",
                    "customer", "client", "victim", "shareholder", "investor", "rival",
                    "enemy", "foe", "guest", "visitor", "target", "hostage", "prisoner",
                    # studying at a university is not working for it
                    "student", "pupil", "graduate", "alumnus", "alumna", "undergraduate"}


def _victims_of(killer: Mention, noun, by_token) -> Iterable[_RawRelation]:
    """"Booth, assassin of Lincoln": the one "of" a killer noun is the
    victim (a person, though the model may call a lone surname an
    organisation)."""
    for prep in (c for c in children(noun) if c.dep_ == "prep" and c.lower_ == "of"):
        for pobj in (g for g in children(prep) if g.dep_ == "pobj"):
            victim = mention_of_token(pobj, by_token)
            if victim is not None and victim is not killer and \
                    victim.canonical_label in ("PERSON", "ORG"):
                yield _RawRelation(killer, noun.lemma_.lower(), victim, "killed")


# What a name may be the name of without being a body anyone works for.
_UNDERTAKING_NOUNS = {"study", "survey", "project", "programme", "program", "scheme",
                      "campaign", "initiative", "trial", "report", "census", "inquiry"}


def _office_relations(person: Mention, office, by_token) -> Iterable[_RawRelation]:
    """The organisation or place an office noun names: "chairman of Y",
    "a Y official", "Y's chief executive", "a native of Z"."""
    word = office.lemma_.lower().rstrip(".")
    if word in _NO_OFFICE_NOUNS or office.tag_.startswith("VB") or \
            _word_of_a_missed_name(office, by_token):
        return  # "Russia Is Helping X's Campaign"; "X, the group Human Rights in China"
    if word in KILLER_NOUNS:
        yield from _victims_of(person, office, by_token)
        return
    if _numbered_office(office) and word not in NATIVE_NOUNS:
        # "the 23rd president of the United States": keep works_for (an
        # organisation's office), not lives_in (a place's)
        by_token = {i: e for i, e in by_token.items() if not _is_place(e)}
    for prep in (c for c in children(office) if c.dep_ == "prep"):
        if prep.lower_ not in ("of", "for", "at", "with", "from", "in", "to") or \
                word in _KIN_NOUNS and prep.lower_ != "from":
            continue  # "his wife, X, from Sydney" lives there; "Y's father" is Y's
        for pobj in (g for g in children(prep) if g.dep_ == "pobj"):
            target = mention_of_token(pobj, by_token)
            if target is person:
                # "CEO of the Refugee Council Enver Solomon": the parse folds
                # the organisation into the name it is followed by
                target = next((by_token[c.i] for c in children(pobj) if c.dep_ == "compound"
                               and c.i < person.start and c.i in by_token
                               and by_token[c.i] is not person), None)
            if target is None or _is_place(target) and pobj.i not in by_token \
                    and pobj.pos_ == "NOUN":
                # "head of Sydney brokerage house": the place is the house's
                continue
            if pobj.i not in by_token and pobj.lemma_.lower() in _UNDERTAKING_NOUNS:
                continue  # "Director of the National X study": a study, no body
            if pobj.i not in by_token and pobj.lemma_.lower() in _QUALIFIED_NOUNS:
                # "President X at Buenos Aires City Council hall", "an
                # official in al-Qatn district": a place a name qualifies
                continue
            # "a member of the Bundesbank board": a seat on a body, an office
            seat = word == "member" and pobj.i not in by_token and \
                pobj.lemma_.lower() in OFFICE_BODY_NOUNS
            yield from _office_target(person, "board member" if seat else word,
                                      f"{word} {prep.lower_}", target, office)
    for child in children(office):
        if word in _KIN_NOUNS:
            break
        if child.dep_ in ("compound", "poss", "nmod", "amod") and child.i < office.i:
            target = mention_of_token(child, by_token)
            if target is not None and target is by_token.get(office.i):
                continue  # a word of the name itself ("United" of "the United States")
            if target is not None and target is not person:
                yield from _office_target(person, word, f"{word} of", target, office)
            elif child.lower_.rstrip(".") in TITLE_NOUNS:
                # "former Air Force commander": the organisation hangs on the
                # first of two office words
                for grand in children(child):
                    target = mention_of_token(grand, by_token) if grand.i < child.i else None
                    if target is not None and target is not person:
                        yield from _office_target(person, word, f"{word} of", target, child)


# Offices of a state, not of the party named with them ("SPD Chancellor X").
_STATE_OFFICES = {"chancellor", "president", "premier", "governor", "gov", "mayor", "senator",
                  "sen", "minister", "congressman", "congresswoman", "rep", "representative",
                  "lawmaker", "mp", "legislator", "deputy"}


# Places and occasions a name only qualifies ("the City Council hall", "the
# Labour Party conference"): where someone is, not whom they work for.
_VENUE_NOUNS = {"hall", "building", "stadium", "arena", "auditorium", "conference", "summit",
                "ceremony", "reception", "rally", "forum", "event", "meeting", "dinner",
                "luncheon", "convention", "congress"}
# What a name only qualifies, so no employer: a venue or a place's noun
# ("an official in al-Qatn district").
_QUALIFIED_NOUNS = frozenset(_VENUE_NOUNS | PLACE_NOUNS)
# Words that are an office or a person's role, never part of a missed name.
_OFFICE_WORDS = frozenset(TITLE_NOUNS | LEAD_OFFICES | RESIDENT_NOUNS)


def _word_of_a_missed_name(office, by_token) -> bool:
    """A capitalised word that is no office word, after another capitalised
    word no name holds: part of a name the model did not tag ("the pressure
    group Human Rights in China"), not a title ("American Businesswoman X")
    or an abbreviated one ("MP")."""
    doc = office.doc
    before = doc[office.i - 1] if office.i > 0 else None
    return office.pos_ == "PROPN" and office.text[:1].isupper() and not office.text.isupper() \
        and before is not None and before.pos_ == "PROPN" and before.text[:1].isupper() \
        and before.i not in by_token and not before.is_sent_start \
        and office.lemma_.lower().rstrip(".") not in _OFFICE_WORDS


def _is_group_name(target: Mention) -> bool:
    """A NORP that names a party, a faith or a movement ("Democratic",
    "Sunni", "Christian Democrat") rather than a nationality."""
    words = target.canonical.lower().replace("-", " ").split()
    return any(w in GROUP_NORP_WORDS for w in words)


def _is_party(target: Mention) -> bool:
    """An organisation named as a party ("the Civic Party", "Labour Party",
    "the SPD")."""
    name = target.canonical.lower()
    words = name.split()
    return bool(words) and (words[-1] in ("party", "parties") or
                            name.removeprefix("the ") in PARTY_SHORT_NAMES)


def _named_as_a_place(org: Mention) -> bool:
    """An organisation to the model that a city or country names ("X of
    Oxford", "Rochester's X"): the place, or a club, college or district
    named after it; a person "of" it says nothing sure."""
    return is_known_place(org.canonical)


def _group_relation(person: Mention, group: Mention) -> _RawRelation:
    """A person of a NORP: member_of a party, faith or movement, else of
    that nationality."""
    return _RawRelation(person, "be", group,
                        "member_of" if _is_group_name(group) else "nationality")


# Endings of nationality and group adjectives: Kenyan, Chinese, Polish,
# Israeli, Nordic, Dutch, Swiss, Uzbek, Thai, Cypriot, Slovak, Filipino.
_ADJECTIVE_ENDINGS = ("an", "ese", "ish", "i", "ic", "ch", "ss", "ek", "ot", "ak", "ino", "ine",
                      "ite", "ist", "al", "at")


def _adjective_shaped(target: Mention) -> bool:
    """A NORP written as an adjective of a people or a group, not a town
    the model took for one ("Memphis native")."""
    word = target.canonical.split()[-1].lower() if target.canonical.split() else ""
    return word.endswith(_ADJECTIVE_ENDINGS) or _is_group_name(target)


def _office_target(person: Mention, word: str, predicate: str,
                   target: Mention, office=None) -> Iterable[_RawRelation]:
    if office is not None and _across_dateline(office.doc, target, person):
        return  # "Nairobi, Kenya - President X": the dateline is not the office's
    if word in _ACHIEVEMENT_NOUNS and not (
            target.canonical_label == "NORP" and office is not None and target.end <= office.i
            and _adjective_shaped(target)
            and all(t.pos_ == "NOUN" for t in office.doc[target.end:office.i])):
        return  # ("American aviation hero X" still is American)
    if target.canonical_label == "NORP" and not (word in NATIVE_NOUNS and
                                                 not _adjective_shaped(target)):
        before_office = office is not None and target.end <= office.i
        # "American's chairman X": a company's short name, no people
        possessed = office is not None and target.end < len(office.doc) and \
            office.doc[target.end].tag_ == "POS"
        if (target.start < person.start or before_office) and predicate.endswith(" of") \
                and not possessed:
            # "Kenyan President X" (a nationality), "Democratic Senator X",
            # "Sunni cleric X" (a party, a faith): a group adjective is
            # never a place
            kind = "member_of" if _is_group_name(target) else "nationality"
            yield _RawRelation(person, predicate, target, kind)
        return
    if word in _TEAM_ROLES and not _is_org(target):
        return
    if target.canonical.lower().rstrip(".") in TITLE_NOUNS:
        return  # "Magistrate Judge X": the model took the first title for a body
    if _is_org(target):
        if word in RESIDENT_NOUNS and word not in TITLE_NOUNS or _shadow_office(target):
            return
        kind = "works_for"
        if word == "member" and target.canonical.split()[-1].lower() not in OFFICE_BODY_NOUNS:
            kind = "member_of"  # of a party, alliance or club, not an office
        elif _is_party(target) and (word not in TITLE_NOUNS or word in _STATE_OFFICES):
            # "a politician from the Free Democratic Party"; "SPD Chancellor
            # X" holds the country's office, and belongs to the party
            kind = "member_of"
        yield _RawRelation(person, predicate, target, kind)
    elif _is_place(target) or target.canonical_label == "NORP":
        # (a NORP here is a town the model took for a people: "a Memphis native")
        if word in _COMPANY_NOUNS:
            # "Helsinki bank X", "Spain's power company X": the model took the
            # company for a person; it is based there
            yield _RawRelation(person, predicate, target, "based_in")
            return
        if word in LEAD_OFFICES and office is not None and _heads(office):
            # "Kenya's President X", "Illinois Gov. X": heads that country
            # or state (and, as its office holder, lives there)
            yield _RawRelation(person, predicate, target, "leads")
        # "Illinois Gov. X", "Atlanta businessman X", "a native of Y", "X,
        # one of the top strategists in Israel": the person belongs to
        # (lives in) that place.
        yield _RawRelation(person, predicate, target, "lives_in")


# Nouns that say the name after them is a company's, whatever the model
# labelled it.
_COMPANY_NOUNS = {"company", "firm", "bank", "corporation", "airline", "utility", "maker",
                  "producer", "retailer", "brokerage", "insurer", "conglomerate", "carrier",
                  "lender", "manufacturer", "concern", "subsidiary", "unit"}


def _shadow_office(target: Mention) -> bool:
    """"Shadow Home Secretary X": an opposition spokesman's portfolio, no
    body the holder works for (their party is named apart, if at all)."""
    return target.canonical.split()[:1] == ["Shadow"]


def _heads(office) -> bool:
    """An office noun that heads what it is of: not a vice-, deputy or
    former holder's, and "prime" only with "minister"."""
    doc = office.doc
    before = {doc[i].lower_.rstrip(".") for i in range(max(office.i - 2, 0), office.i)}
    if before & {"vice", "deputy", "former", "ex", "acting", "interim", "late", "then"}:
        return False
    word = office.lower_.rstrip(".")
    if word == "minister":
        return office.i > 0 and doc[office.i - 1].lower_ == "prime"
    return word != "prime"


def _across_dateline(doc, target: Mention, person: Mention) -> bool:
    """Whether a place before a name is on a dateline ("Nairobi, Kenya -
    President X", "LONDON (Reuters) - Mayor X"): a spaced dash or a line
    break between them."""
    if target.start >= person.start:
        return False
    between = doc[target.end:person.start]
    # a spaced dash ("Kenya - President X", "(Reuters) -- Mayor X"), not a
    # hyphen inside a word ("Secretary-General", "reform-minded")
    return any(t.text in ("-", "--", "\u2013", "\u2014") and t.i > 0 and
               doc[t.i - 1].whitespace_ or "\n" in t.text or "\n" in t.whitespace_
               for t in between) or "\n" in doc[target.end - 1].whitespace_


_COMPASS = {"north", "south", "east", "west", "central", "northern", "southern", "eastern",
            "western", "northeast", "northwest", "southeast", "southwest", "northeastern",
            "northwestern", "southeastern", "southwestern", "north-east", "north-west",
            "south-east", "south-west", "north-eastern", "north-western", "south-eastern",
            "south-western", "upper", "lower", "coastal", "rural"}
_PART_NOUNS = {"part", "region", "area", "corner", "tip", "edge", "outskirts", "province"}


def _container_after(doc, ent: Mention, by_token) -> Optional[Mention]:
    """A larger place named right after a place with a compass word: "Kassala
    in eastern Sudan", "Mohammadia, south-east Algeria", "Bugesera in the
    southeastern part of Rwanda"."""
    i = ent.end
    if i < len(doc) and doc[i].text in (",", "in"):
        i += 1
    if i < len(doc) and doc[i].lower_ == "the":
        i += 1
    compass = i < len(doc) and doc[i].lower_ in _COMPASS
    if not compass:
        return None
    i += 1
    if i + 1 < len(doc) and doc[i].lower_ in _PART_NOUNS and doc[i + 1].lower_ == "of":
        i += 2
    other = by_token.get(i) if i < len(doc) else None
    if other is not None and other.start == i and _is_place(other) and other.key != ent.key:
        return other
    return None


_HOME_NOUNS = {"home", "hometown", "homeland", "birthplace", "residence", "house"}


def _serves_an_org(noun, by_token) -> bool:
    """"(was) acting comptroller at the American University of Beirut": a
    role noun with an organisation after at / of / for / with."""
    return any(p.dep_ == "prep" and p.lower_ in ("at", "of", "for", "with") and
               any(_is_org(e) for e in (by_token.get(g.i) for g in children(p)
                                        if g.dep_ == "pobj") if e is not None)
               for p in children(noun))


def _can_describe_person(token) -> bool:
    """A common noun that can describe a person in apposition ("a professor
    at Y", "diver X", "the commander of Y")."""
    return token.pos_ in ("NOUN", "PROPN") and not token.ent_type_ and \
        token.lemma_.lower() not in PLACE_NOUNS


def _title_relations(doc, mentions: list[Mention], by_token) -> Iterable[_RawRelation]:
    """Offices and places named around a name rather than by a verb.

    "X, chairman of Y" / "Y chairman X" / "Y's chief executive X" / "German
    Chancellor X" -> works_for ("Illinois Gov. X" -> lives_in, as a state's
    office); "X of Chicago", "a Boston native" -> lives_in; "LYON, France",
    "X in Y" -> located_in; "a Nairobi-based charity", "Acme, based in
    Paris", "Hong Kong firm X" -> based_in.
    """
    for mention in mentions:
        if _is_person(mention):
            yield from _person_relations(doc, mention, by_token)
        elif _is_place(mention):
            yield from _place_relations(doc, mention, by_token)
        elif _is_org(mention):
            yield from _org_relations(doc, mention, by_token)


# --- Around a person's name ---------------------------------------------------------

def _person_relations(doc, person: Mention, by_token) -> Iterable[_RawRelation]:
    """Employers, offices, homes and victims named around a person."""
    head = doc[person.end - 1]
    yield from _words_before_name(person, head, by_token)
    yield from _title_of_place_then_name(person, head, by_token)
    yield from _apposed_to_office(person, head, by_token)
    yield from _office_after_bracketed_acronym(person, head, by_token)
    yield from _born_in(person, head, by_token)
    yield from _person_appositions(person, head, by_token)
    yield from _home_of(person, head, by_token)
    yield from _person_of(person, head, by_token)
    yield from _one_of_the_others(person, head, by_token)
    yield from _named_members_of_group(person, head, by_token)
    yield from _time_with_org(person, head, by_token)


# Nouns for the time someone spent working for an organisation: "Stern's
# tenure with the NBA", "Lopez's stint at Ford".
_SERVICE_NOUNS = {"tenure", "stint", "spell", "career"}


def _time_with_org(person: Mention, head, by_token) -> Iterable[_RawRelation]:
    """"X's tenure with Y", "X's stint at Y": X worked for Y."""
    noun = head.head
    if head.dep_ != "poss" or noun.lemma_.lower() not in _SERVICE_NOUNS:
        return
    for prep in (c for c in children(noun) if c.dep_ == "prep" and c.lower_ in ("with", "at")):
        for pobj in (g for g in children(prep) if g.dep_ == "pobj"):
            target = mention_of_token(pobj, by_token)
            if target is not None and _is_org(target):
                yield _RawRelation(person, f"{noun.lemma_.lower()} {prep.lower_}", target,
                                   "works_for")


def _one_of_the_others(person: Mention, head, by_token) -> Iterable[_RawRelation]:
    """"Gregoire and other Democrats", "X and other Kenyans": the person is
    one of the party or people named after "and other"."""
    for conj in (c for c in children(head) if c.dep_ == "conj"):
        group = by_token.get(conj.i)
        if group is not None and group.canonical_label == "NORP" and \
                any(c.dep_ == "amod" and c.lower_ == "other" for c in children(conj)):
            yield _group_relation(person, group)


def _words_before_name(person: Mention, head, by_token) -> Iterable[_RawRelation]:
    """What the words in front of a name say: "Y chief executive X",
    "Illinois Gov. X", "former Air Force commander X" (an office),
    "Microsoft's Bill Gates" (a possessor), "Kennedy assassin X" (a killer)."""
    # the parse may hang them on an inner word of the name: "Deputy U.S.
    # Ambassador Herbert S. Okun" puts the office under "S."
    front = [c for t in head.doc[person.start:person.end] for c in children(t)
             if c.i < person.start and c.dep_ in ("compound", "amod", "nmod", "poss", "appos")]
    for word in front:
        group = by_token.get(word.i)
        if group is not None and group is not person and group.canonical_label == "NORP" \
                and group.end == person.start and word.dep_ in ("compound", "amod", "nmod"):
            # "Scientologist Tom Cruise", "Rohingya Muhammad Amin"
            yield _group_relation(person, group)
        if word.lower_.rstrip(".") in PERSON_HONORIFICS:
            continue  # "National Security Advisor Dr. Rice": "Dr." is no office
        if word.lemma_.lower() in KILLER_NOUNS:
            yield from _victims_before(person, word, front, by_token)
        elif word.lower_.rstrip(".") in TITLE_NOUNS or _can_describe_person(word) \
                and word.dep_ == "compound":
            yield from _office_before_name(person, word, front, by_token)
        elif word.dep_ == "poss":
            yield from _possessor_of_name(person, word, by_token)


def _title_of_place_then_name(person: Mention, head, by_token) -> Iterable[_RawRelation]:
    """"Governor of Washington Chris Gregoire", which the parse reads as
    the governor of "Washington Chris Gregoire": the place it folds into
    the name is the office's."""
    of = head.head
    if head.dep_ != "pobj" or of.lower_ != "of" or \
            of.head.lower_.rstrip(".") not in TITLE_NOUNS:
        return
    for word in (c for t in head.doc[person.start:person.end] for c in children(t)
                 if c.i < person.start):
        place = by_token.get(word.i)
        if place is not None and place is not person and _is_place(place):
            yield from _office_target(person, of.head.lower_.rstrip("."),
                                      f"{of.head.lower_.rstrip('.')} of", place, of.head)


def _victims_before(killer: Mention, noun, front: list, by_token) -> Iterable[_RawRelation]:
    """"Kennedy assassin Lee Harvey Oswald", "the Kennedy assassin's lawyer":
    the person named before the killer noun is the victim."""
    for word in front + [c for c in children(noun) if c.i < noun.i]:
        target = by_token.get(word.i)
        if target is not None and target is not killer and _is_person(target) \
                and word.i < noun.i:
            yield _RawRelation(killer, noun.lemma_.lower(), target, "killed")


def _office_before_name(person: Mention, office, front: list,
                        by_token) -> Iterable[_RawRelation]:
    """"Y chief executive X", and "Illinois Gov. James Thompson", where the
    parse hangs the state beside the office word rather than under it."""
    yield from _office_relations(person, office, by_token)
    word = office.lower_.rstrip(".")
    for sibling in front:
        target = by_token.get(sibling.i)
        if target is not None and target is not person and sibling.i < office.i:
            yield from _office_target(person, word, f"{word} of", target, office)


def _possessor_of_name(person: Mention, possessor, by_token) -> Iterable[_RawRelation]:
    """"Microsoft's Bill Gates", "The BBC's Rachel Harvey" (works for it),
    "the Civic Party's X", and in a sentence about an election "FTU's X"
    (a member of the party or list), "Ohio's Richard Celeste" (lives
    there)."""
    target = mention_of_token(possessor, by_token)
    if target is not None and target is not person:
        word = "native"
        if _is_org(target):
            # "Harvard's John F. Kennedy School" is no person
            if _named_as_a_place(target) or any(
                    w.lower() in _NOT_PERSON_WORDS for w in person.canonical.split()):
                return
            word = "member" if _is_party(target) or _about_an_election(possessor) \
                else "employee"
        yield from _office_target(person, word, "of", target, possessor)


# Words that make a "person" an institution: "John F. Kennedy School".
_NOT_PERSON_WORDS = ORG_HEAD_NOUNS | {"school"}
# Words of a sentence that reports who was elected or voted for, where an
# organisation's X is its candidate ("since his election" is not one).
_ELECTION_LEMMAS = {"elect", "re-elect", "reelect", "candidate", "vote", "ballot",
                    "constituency"}


def _about_an_election(token) -> bool:
    return any(t.lemma_.lower() in _ELECTION_LEMMAS and t.pos_ != "PROPN" for t in token.sent)


def _apposed_to_office(person: Mention, head, by_token) -> Iterable[_RawRelation]:
    """The name in apposition to an office: "the company's chairman, X", "a
    spokesman for the theater, X"."""
    office = head.head
    if head.dep_ == "appos" and (office.lower_.rstrip(".") in TITLE_NOUNS | RESIDENT_NOUNS
                                 or _can_describe_person(office)):
        yield from _office_relations(person, office, by_token)


def _office_after_bracketed_acronym(person: Mention, head,
                                    by_token) -> Iterable[_RawRelation]:
    """"American Association of Retired Persons (AARP) Policy Director John
    Rother", "the United Nations (UN) relief coordinator Jan Egeland": the
    acronym in brackets cuts the office off the organisation, and the parse
    hangs the name on the organisation as an apposition."""
    if head.dep_ != "appos":
        return
    org = by_token.get(head.head.i)
    if org is None or org is person or not _is_org(org):
        return
    doc = head.doc
    between = list(doc[org.end:person.start])
    if len(between) < 4 or between[0].text != "(" or between[2].text != ")":
        return
    office = between[3:]
    if all(t.pos_ in ("NOUN", "PROPN", "ADJ") and t.i not in by_token and t.text.isalpha()
           for t in office) and (office[-1].lower_ in TITLE_NOUNS or
                                 _can_describe_person(office[-1])):
        yield from _office_target(person, office[-1].lower_, f"{office[-1].lower_} of",
                                  org, office[-1])


def _born_in(person: Mention, head, by_token) -> Iterable[_RawRelation]:
    """"Illinois born X", "X, born in Fort Scott, Kan."."""
    for clause in (c for c in children(head) if c.dep_ in ("acl", "relcl", "amod")
                   and c.lemma_.lower() in LIVE_VERBS):
        for target in _mentions_under(clause, by_token, person):
            if _is_place(target):
                yield _RawRelation(person, f"{clause.lemma_.lower()} in", target, "lives_in")


def _person_appositions(person: Mention, head, by_token) -> Iterable[_RawRelation]:
    """What an apposition says a person is: "X, a farmer from Iowa", "X,
    chairman of Y", "X, one of the top strategists in Israel", "X, a lawyer
    and partner at Y"."""
    for appos in _appositions_of(head):
        for prep in (c for c in children(appos) if c.dep_ == "prep" and c.lower_ == "from"):
            for place in (by_token.get(g.i) for g in children(prep) if g.dep_ == "pobj"):
                if place is not None and _is_place(place):
                    yield _RawRelation(person, "from", place, "lives_in")
        group = by_token.get(appos.i)
        if group is not None and group.canonical_label == "NORP" and group is not person \
                and (any(c.lower_ in ("a", "an") for c in children(appos)) or
                     _is_group_name(group)):
            # "X, a Republican, ...", "X, a Kurd, ...", "X, Republican from
            # Texas": a party or a people
            yield _group_relation(person, group)
            for place in (by_token.get(c.i) for c in children(appos)
                          if c.dep_ in ("compound", "nmod", "amod") and c.i < group.start):
                if place is not None and _is_place(place):
                    # "Senator X, an Oklahoma Republican": of that state
                    yield _RawRelation(person, "be", place, "lives_in")
        if appos.lemma_.lower() in _ONE_OF_A_PEOPLE:
            # "X, an Australian woman", "X, a Kurdish farmer's son": the
            # people or group the noun is of
            for word in (c for c in children(appos) if c.dep_ in ("amod", "compound")):
                group = by_token.get(word.i)
                if group is not None and group is not person and \
                        group.canonical_label == "NORP":
                    yield _group_relation(person, group)
        if appos.i in by_token:
            continue  # another name, not an office
        yield from _office_relations(person, appos, by_token)
        # "X, wife of the Russian president": the office is the president's
        kin = appos.lemma_.lower() in _KIN_NOUNS
        for of in (c for c in children(appos) if c.dep_ == "prep" and c.lower_ == "of"
                   and not kin):
            # "X, one of the top strategists in Israel": a group of people,
            # not "X, head of Sydney brokerage house Y"
            for group in (g for g in children(of) if g.dep_ == "pobj" and g.i not in by_token
                          and (g.tag_ == "NNS" or g.lower_ in TITLE_NOUNS | RESIDENT_NOUNS
                               or g.lemma_.lower() in _UNIT_NOUNS)):
                yield from _office_relations(person, group, by_token)
        for conj in (c for c in children(appos) if c.dep_ == "conj"):
            yield from _office_relations(person, conj, by_token)


def _appositions_of(head) -> list:
    """The appositions that describe this name: in "Mr Kurz and Werner
    Kogler, the Green Party leader" the parse hangs the apposition on the
    first name, but it is the last one's, which it follows."""
    def after_a_conjunct(appos, first) -> bool:
        return any(first.i < c.i < appos.i for c in children(first) if c.dep_ == "conj")

    own = [c for c in children(head) if c.dep_ == "appos" and not after_a_conjunct(c, head)]
    first = head
    while first.dep_ == "conj" and first.head.i < first.i:
        first = first.head
    if first is not head and not any(c.dep_ == "conj" and c.i > head.i for c in children(head)):
        own += [c for c in children(first) if c.dep_ == "appos" and c.i > head.i
                and not any(head.i < c2.i < c.i for c2 in children(first) if c2.dep_ == "conj")]
    return own


# Nouns for one person of a people ("an Australian woman", "a Kurdish man").
_ONE_OF_A_PEOPLE = {"man", "woman", "citizen", "national", "girl", "boy", "teenager",
                    "resident", "native", "businessman", "businesswoman"}


def _named_members_of_group(person: Mention, head, by_token) -> Iterable[_RawRelation]:
    """"Two House Republicans, Representatives X of Idaho and Y of Texas":
    names in apposition to a party or a people are its members."""
    node = head.head if head.dep_ == "conj" and head.head.dep_ == "appos" else head
    if node.dep_ != "appos":
        return
    group = by_token.get(node.head.i)
    if group is not None and group is not person and group.canonical_label == "NORP" \
            and node.head.tag_ in ("NNPS", "NNS"):
        yield _group_relation(person, group)


def _home_of(person: Mention, head, by_token) -> Iterable[_RawRelation]:
    """"Sohn's New Jersey home", "Jesse Jackson's home state is South
    Carolina": the place of a person's home."""
    home = head.head
    if head.dep_ != "poss" or home.lemma_.lower() not in _HOME_NOUNS and not any(
            c.dep_ == "compound" and c.lower_ == "home" for c in children(home)):
        return  # "X's home", "X's hometown", "X's home state"
    places = [by_token.get(c.i) for c in children(home) if c.dep_ in ("compound", "nmod")]
    if home.head.lemma_.lower() == "be" or home.dep_ in ("attr", "appos"):
        places += [by_token.get(c.i) for c in children(home.head)
                   if c.dep_ in ("nsubj", "attr") and c.i != home.i]
    for place in places:
        if place is not None and _is_place(place):
            yield _RawRelation(person, "home in", place, "lives_in")


def _person_of(person: Mention, head, by_token) -> Iterable[_RawRelation]:
    """"X of Chicago" lives there; "X of Acme", "X at Acme" works there."""
    for prep in (c for c in children(head) if c.dep_ == "prep"):
        for pobj in (g for g in children(prep) if g.dep_ == "pobj"):
            target = mention_of_token(pobj, by_token) or _owner_of_unit(pobj, by_token)
            if target is None:
                continue
            if prep.lower_ in ("of", "from") and _is_place(target):
                yield _RawRelation(person, prep.lower_, target, "lives_in")
            elif prep.lower_ in ("at", "with", "for") and _is_org(target):
                # "Lydia Buchtmann for Food Standards Australia New Zealand"
                yield _RawRelation(person, prep.lower_, target, "works_for")
            elif prep.lower_ in ("of", "from") and _is_org(target) and \
                    not _named_as_a_place(target):
                # "X of the Civic Party" is one of its members, not its staff
                yield _RawRelation(person, prep.lower_, target,
                                   "member_of" if _is_party(target) else "works_for")


_UNIT_NOUNS = {"school", "department", "division", "faculty", "unit", "office", "bureau",
               "branch", "desk", "lab", "laboratory", "institute", "centre", "center"}


def _owner_of_unit(noun, by_token) -> Optional[Mention]:
    """"Mu Li, of the University of NSW's school of public health": the
    organisation owning the unit a person is of."""
    if noun.lemma_.lower() not in _UNIT_NOUNS:
        return None
    for owner in (c for c in children(noun) if c.dep_ in ("poss", "compound")):
        found = mention_of_token(owner, by_token)
        if found is not None and _is_org(found):
            return found
    return None


# --- Around a place's name ----------------------------------------------------------

def _place_relations(doc, place: Mention, by_token) -> Iterable[_RawRelation]:
    """Larger places a place is named in: located_in."""
    head = doc[place.end - 1]
    yield from _comma_place(doc, place, by_token)
    yield from _comma_in_place(doc, place, by_token)
    container = _container_after(doc, place, by_token)
    if container is not None:
        yield _RawRelation(place, "in", container, "located_in")
    yield from _place_in_place(place, head, by_token)
    yield from _possessor_place(place, head, by_token)
    yield from _owner_of_place_noun(place, head, by_token)
    yield from _apposed_place_noun(place, head, by_token)


def _comma_place(doc, place: Mention, by_token) -> Iterable[_RawRelation]:
    """"LYON, France": a place, a comma, a larger place. Read off the
    surface, since the parser often hangs the second on the verb."""
    after = place.end
    other = by_token.get(after + 1) if after + 1 < len(doc) else None
    if other and doc[after].text == "," and other.start == after + 1 and \
            _is_place(other) and other.key != place.key and \
            other.text.replace(".", "") != "DC" and \
            not _in_list(doc, place, by_token) and not _long_list(doc, place.end) and \
            not _starts_clause(doc, place, other) and \
            not (other.end < len(doc) and doc[other.end].lower_ == "in" and
                 _place_after(doc, other.end + 1, by_token)):
        yield _RawRelation(place, "in", other, "located_in")


def _starts_clause(doc, place: Mention, other: Mention) -> bool:
    """"According to BetOnline, Georgia is the favourite": the name after
    the comma is the subject of a verb that follows it, not a larger place.
    After "in" or "at" the parse is not trusted that far ("The Museum of
    Flight in Seattle, Washington was proposed")."""
    head, first = doc[other.end - 1], doc[place.end - 1]
    locative = first.dep_ == "pobj" and first.head.lower_ in ("in", "at", "near", "from")
    return not locative and head.dep_ in ("nsubj", "nsubjpass") and head.head.i >= other.end


def _comma_in_place(doc, named: Mention, by_token) -> Iterable[_RawRelation]:
    """"performed at the Palace of Fine Arts, in San Francisco": a comma,
    "in" and a place right after a site's or an organisation's name, which
    the parse hangs on the verb."""
    i = named.end
    if i + 2 >= len(doc) or doc[i].text != "," or doc[i + 1].lower_ != "in":
        return
    other = by_token.get(i + 2)
    if other is None or other.start != i + 2 or not _is_place(other) or other.key == named.key:
        return
    if _is_org(named):
        yield _RawRelation(named, "in", other, "based_in")
    elif _is_place(named):
        yield _RawRelation(named, "in", other, "located_in")


def _place_in_place(place: Mention, head, by_token) -> Iterable[_RawRelation]:
    """"X in Y", "X of Y": a larger place the parse hangs on the name, or
    on the place noun the name qualifies ("the Toco Hills neighborhood of
    DeKalb County")."""
    holders = [head]
    if head.dep_ == "compound" and head.head.lemma_.lower() in PLACE_NOUNS \
            and head.head.i not in by_token:
        holders.append(head.head)
    for prep in (c for holder in holders for c in children(holder)
                 if c.dep_ == "prep" and c.lower_ in ("in", "of")):
        for pobj in (g for g in children(prep) if g.dep_ == "pobj"):
            target = mention_of_token(pobj, by_token)
            if target is not None and _is_place(target) and target.key != place.key:
                yield _RawRelation(place, prep.lower_, target, "located_in")


def _possessor_place(place: Mention, head, by_token) -> Iterable[_RawRelation]:
    """"Chicago's O'Hare"."""
    for child in children(head):
        target = by_token.get(child.i)
        if child.dep_ == "poss" and target is not None and _is_place(target) \
                and target.key != place.key:
            yield _RawRelation(place, "of", target, "located_in")


def _owner_of_place_noun(place: Mention, head, by_token) -> Iterable[_RawRelation]:
    """"Bosnia's capital, Sarajevo": the possessor of the place noun the
    name is in apposition to."""
    noun = head.head
    if head.dep_ != "appos" or noun.lemma_.lower() not in PLACE_NOUNS:
        return
    for owner in (c for c in children(noun) if c.dep_ == "poss"):
        target = by_token.get(owner.i)
        if target is not None and _is_place(target) and target.key != place.key:
            yield _RawRelation(place, f"{noun.lemma_.lower()} of", target, "located_in")


def _apposed_place_noun(place: Mention, head, by_token) -> Iterable[_RawRelation]:
    """"X, a town in Y", "X, a Y province"."""
    for appos in (c for c in children(head) if c.dep_ == "appos" and c.i not in by_token):
        if appos.lemma_.lower() in PLACE_NOUNS:
            for larger in _places_in(appos, by_token, place):
                yield _RawRelation(place, "in", larger, "located_in")


# --- Around an organisation's name --------------------------------------------------

def _org_relations(doc, org: Mention, by_token) -> Iterable[_RawRelation]:
    """Where an organisation is based."""
    for head in _heads_of(doc, org):
        for child in children(head):
            if not org.start <= child.i < org.end or child.i < org.start:
                yield from _base_under_name(org, child, by_token)
        yield from _owner_of_org_noun(org, head, by_token)
    yield from _based_before(doc, org, by_token)
    yield from _comma_in_place(doc, org, by_token)


def _heads_of(doc, mention: Mention) -> list:
    """The name's last word and, for "the Museum of Flight", the word the
    parse heads it with, which takes "in Seattle"."""
    last = doc[mention.end - 1]
    root = doc[mention.start:mention.end].root
    return [last] if root.i == last.i else [last, root]


def _owner_of_org_noun(org: Mention, head, by_token) -> Iterable[_RawRelation]:
    """"North Korea's main news agency Korean Central News Agency",
    "Britain's biggest bank, Barclays": the place owning the noun the name
    is in apposition to."""
    noun = head.head
    if head.dep_ != "appos" or noun.i in by_token or noun.pos_ != "NOUN":
        return
    for owner in (c for c in children(noun) if c.dep_ == "poss"):
        target = mention_of_token(owner, by_token)
        if target is not None and _is_place(target):
            yield _RawRelation(org, f"{noun.lemma_.lower()} of", target, "based_in")


def _base_under_name(org: Mention, child, by_token) -> Iterable[_RawRelation]:
    """A place in a word the parse hangs on the name: "Acme, based in
    Paris", "Hong Kong firm X", "Acme of Paris", "X, a Hong Kong construction
    firm", "X, a Nairobi-based charity"."""
    if child.lower_.endswith("based") or child.lemma_ in BASE_VERBS:
        for place in _places_in(child, by_token, org):
            yield _RawRelation(org, "base in", place, "based_in")
    elif child.dep_ in ("compound", "nmod", "poss") and child.i < org.start:
        target = mention_of_token(child, by_token)
        if target is not None and _is_place(target):
            yield _RawRelation(org, "of", target, "based_in")
    elif child.dep_ == "prep" and child.lower_ in ("in", "of", "at", "from"):
        if child.lower_ == "at" and child.i == org.end and _campus_name(org):
            return  # "the University of Colorado at Boulder": the place is the name's
        for pobj in (g for g in children(child) if g.dep_ == "pobj"):
            target = mention_of_token(pobj, by_token)
            if target is not None and _is_place(target):
                yield _RawRelation(org, child.lower_, target, "based_in")
    elif child.dep_ == "appos" and child.i not in by_token:
        for place in _places_in(child, by_token, org, modifiers_only=True):
            yield _RawRelation(org, "base in", place, "based_in")


def _campus_name(org: Mention) -> bool:
    """A university's name, which a campus completes with "at" and its
    place ("University of North Carolina at Greensboro")."""
    return any(w in ("university", "college") for w in org.canonical.lower().split())


def _based_before(doc, org: Mention, by_token) -> Iterable[_RawRelation]:
    """"a Nairobi-based charity", which the tokenizer cuts into "Nairobi",
    "-", "based": the place is two tokens before "based"."""
    for token in doc[max(org.start - 3, 0):org.start]:
        if token.lower_ == "based":
            place = by_token.get(token.i - 2)
            if place and _is_place(place):
                yield _RawRelation(org, "base in", place, "based_in")


def _mentions_under(token, by_token, not_this: Mention) -> Iterable[Mention]:
    seen = set()
    for child in token.subtree:
        target = by_token.get(child.i)
        if target is not None and target is not not_this and id(target) not in seen:
            seen.add(id(target))
            yield target


def _credit_relations(doc, ents: list[Mention]) -> Iterable[_RawRelation]:
    """A dateline left in the text: "DAYTON, Ohio (AP)", "Sofia, February 15
    (BTA) --": the credited service reports from (is based in) the places
    before it on that line."""
    for ent in ents:
        if not _is_org(ent) or ent.start == 0 or ent.end >= len(doc):
            continue
        if doc[ent.start - 1].text != "(" or doc[ent.end].text != ")":
            continue
        if ent.start >= 2 and any(_is_org(m) and m.start <= ent.start - 2 < m.end
                                  for m in ents):
            continue  # "Japan Airlines (JAL)": an acronym of the name, no credit
        line_start = ent.start - 1
        while line_start > 0 and "\n" not in doc[line_start - 1].text and \
                "\n" not in doc[line_start - 1].whitespace_ and \
                doc[line_start - 1].text not in (".", "--", "-"):
            line_start -= 1
        if ent.start - line_start > 12 or not _dateline_words(doc, line_start, ent.start - 1, ents):
            continue
        for other in ents:
            if line_start <= other.start < ent.start and _is_place(other):
                yield _RawRelation(ent, "report from", other, "based_in")


_MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct",
           "nov", "dec", "january", "february", "march", "april", "june", "july", "august",
           "september", "october", "november", "december"}


def _dateline_words(doc, start: int, end: int, ents: list[Mention]) -> bool:
    """Whether doc[start:end] reads as a dateline: places, a date, commas
    ("Sofia, February 15"), not a name that holds a place ("the Rally for
    ... Democracy in Rwanda (RDR)", "Alternative for Germany (AfD)")."""
    in_place = {i for m in ents if _is_place(m) for i in range(m.start, m.end)}
    return any(i in in_place for i in range(start, end)) and all(
        i in in_place or doc[i].is_punct or doc[i].like_num or doc[i].is_space
        or doc[i].lower_.rstrip(".") in _MONTHS for i in range(start, end))


def _places_in(token, by_token, not_this: Mention, modifiers_only: bool = False):
    """The places under a word, but not those another organisation's name
    holds ("Duke University, located in Durham, North Carolina, and the
    University of North Carolina at Chapel Hill")."""
    seen = set()
    for child in token.subtree:
        if modifiers_only and child.i > token.i:
            continue
        place = by_token.get(child.i)
        if place and _is_place(place) and place is not not_this and id(place) not in seen \
                and not _under_other_org(child, token, by_token, not_this):
            seen.add(id(place))
            yield place


def _under_other_org(child, top, by_token, owner: Mention) -> bool:
    """Whether another organisation's name lies on the parse path from the
    place up to the word, or in the text between them (the parse often
    hangs "at Chapel Hill" on "located")."""
    node = child
    while node.i != top.i and node.head.i != node.i:
        node = node.head
        found = by_token.get(node.i)
        if found is not None and found is not owner and _is_org(found):
            return True
    between = range(min(top.i, child.i) + 1, max(top.i, child.i))
    return any(by_token.get(i) is not None and by_token[i] is not owner and
               _is_org(by_token[i]) for i in between)


def _in_list(doc, entity: Mention, by_token) -> bool:
    """Whether a place is an item of an enumeration ("Sweden, Belgium and
    England"), where "X, Y" does not mean X lies in Y. The "and" must lead
    to another place: in "Durham, North Carolina, and the University of
    North Carolina" it joins two institutions, not two places. Names listed
    before it count ("Sagarmatha, Pokhara, Chitwan and Lumbini")."""
    return _listed(doc, entity, by_token, _items_before(doc, entity, by_token))


def _items_before(doc, entity: Mention, by_token) -> int:
    """How many names, each followed by a comma, run up to this one."""
    count, start = 0, entity.start
    while start >= 2 and doc[start - 1].text == ",":
        before = by_token.get(start - 2)
        if before is None or before.end != start - 1:
            break
        count, start = count + 1, before.start
    return count


def _listed(doc, entity: Mention, by_token, items_after: int) -> bool:
    # from the third item on, any "and" closes a list ("Orion, Piedmont,
    # Southwest, United and US Air"); before, only one that leads to a place
    after = doc[entity.end] if entity.end < len(doc) else None
    if after is not None and (after.dep_ == "cc" or after.lower_ in ("and", "or")):
        # ("Piedmont, Apulia and Friuli-Venezia Giulia": a name the model
        # missed closes the list as well)
        return items_after >= 2 or _place_after(doc, entity.end + 1, by_token) or \
            items_after == 1 and _name_after(doc, entity.end + 1)
    if after is not None and after.text == "," and entity.end + 1 < len(doc):
        if doc[entity.end + 1].lower_ in ("and", "or"):  # "Syria, and Yemen"
            return items_after >= 2 or _place_after(doc, entity.end + 2, by_token)
        following = by_token.get(entity.end + 1)
        if following and following.start == entity.end + 1:
            return _listed(doc, following, by_token, items_after + 1)
    return False


def _long_list(doc, i: int) -> bool:
    """Whether the words from token i run on as a list: two or more
    capitalised names after commas, then "and" ("Adana, Antalya, Aydin,
    ..., Van and Zonguldak", whether the model knew every name or not), as
    a chain of larger places ("Evansville, Indiana, United States") does not."""
    items = 0
    while i + 1 < len(doc) and doc[i].text == "," and _name_after(doc, i + 1):
        i += 1
        while i < len(doc) and (_name_after(doc, i) or doc[i].text == "-"):
            i += 1
        items += 1
    return items >= 2 and i < len(doc) and doc[i].lower_ in ("and", "or")


def _name_after(doc, i: int) -> bool:
    """Whether a capitalised name, known to the model or not, starts at token i."""
    return i < len(doc) and doc[i].pos_ == "PROPN" and doc[i].text[:1].isupper()


def _place_after(doc, i: int, by_token) -> bool:
    """Whether a place's name starts at token i (after a "the")."""
    if i < len(doc) and doc[i].lower_ == "the":
        i += 1
    found = by_token.get(i) if i < len(doc) else None
    return found is not None and found.start == i and _is_place(found)


def _kill_relations(doc, ents: list[Mention], found: list[_RawRelation]) -> Iterable[_RawRelation]:
    """Killings the parse does not link: a sentence with a killing word and
    people on both sides of it ("X, who was convicted of killing Y"; "Y's
    assassin, X"; "the assassination of Y by X")."""
    have = {(r.subject.start, r.obj.start) for r in found if r.relation_type == "killed"}
    by_sentence = defaultdict(list)
    for e in ents:
        if _is_person(e):
            by_sentence[doc[e.start].sent.start].append(e)
    for start, people in by_sentence.items():
        if len(people) < 2:
            continue
        # the parse already links a killing here: only a killer noun may add
        # another pair ("Y's assassin, X, who was shot by Z")
        explained = any((a.start, b.start) in have for a in people for b in people)
        sent = doc[start].sent
        for token in sent:
            lemma = token.lemma_.lower()
            if not (lemma in KILL_VERBS and token.pos_ == "VERB" or lemma in KILL_NOUNS):
                continue
            left = [p for p in people if p.end <= token.i]
            right = [p for p in people if p.start > token.i]
            if explained and not (lemma in KILLER_NOUNS and token.pos_ != "VERB" and left and
                                  (doc[left[-1].end].tag_ == "POS" or left[-1].end == token.i)):
                continue
            if token.pos_ == "VERB" and left and right:
                passive = any(c.dep_ in ("auxpass", "agent") for c in children(token)) or \
                    (token.i + 1 < len(doc) and doc[token.i + 1].lower_ == "by")
                a, b = left[-1], right[0]
                if _killer_is_a_noun(token, a):
                    break  # "X wed the man convicted of killing Y": the man did
                yield _RawRelation(b, lemma, a, "killed") if passive else \
                    _RawRelation(a, lemma, b, "killed")
                break
            if token.pos_ != "VERB":
                of = [p for p in right if doc[p.start - 1].lower_ == "of"]
                by = [p for p in right if doc[p.start - 1].lower_ == "by"]
                if of and by:  # "the assassination of Y by X"
                    yield _RawRelation(by[0], lemma, of[0], "killed")
                elif lemma in KILLER_NOUNS and left and right:
                    a, b = left[-1], right[0]
                    # "Y's assassin, X" and "Y assassin X" vs "X, the assassin of Y"
                    killer, victim = (b, a) if doc[a.end].tag_ == "POS" or a.end == token.i \
                        else (a, b)
                    if (killer.start, victim.start) in have or (victim.start, killer.start) in have:
                        break
                    yield _RawRelation(killer, lemma, victim, "killed")
                elif of and left:  # "X was convicted of the murder of Y"
                    yield _RawRelation(left[-1], lemma, of[0], "killed")
                elif len(left) >= 2 and doc[left[-1].end].tag_ == "POS" and \
                        left[-1].end + 1 == token.i and lemma not in KILLER_NOUNS:
                    # "X was convicted of Y's killing"
                    yield _RawRelation(left[-2], lemma, left[-1], "killed")
                else:
                    continue
                break


def _killer_is_a_noun(verb, person: Mention) -> bool:
    """Whether the parse hangs a killing verb on a common noun before it
    reaches the person to its left: "Anna Ray, who wed the man convicted of
    killing King" names the man, not Anna Ray, as the killer."""
    node = verb
    while node.head.i != node.i and not person.start <= node.head.i < person.end:
        node = node.head
        if node.pos_ == "NOUN" and node.i > person.end - 1 and \
                node.lemma_.lower() in _PEOPLE_NOUNS | TITLE_NOUNS | RESIDENT_NOUNS:
            return True  # not "X fired the shots that killed Y"
    return False


_PEOPLE_NOUNS = {"man", "woman", "person", "people", "youth", "teenager", "suspect",
                 "soldier", "gunman", "attacker", "assailant", "killer", "stranger", "mob",
                 "gang", "husband", "wife", "son", "daughter", "father", "mother", "brother"}


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
        # a site is in the town's state too ("the Savannah River Plant, in
        # Aiken, S.C."); a town's chain of larger places is not repeated
        site = r.relation_type == "located_in" and r.subject.canonical_label in ("FAC", "LOC")
        if r.relation_type in ("lives_in", "based_in") or site:
            for larger in located.get(id(r.obj), ()):
                if larger.key != r.obj.key:
                    extra.append(_RawRelation(r.subject, r.predicate, larger, r.relation_type))
    return extra


# What each side of a verb-typed relation must be named as: a meeting is
# between people ("met the faithful on New Year's Eve in St. Peter's Square"
# names a time and a place, not the people met).
_PARTIES = {"meets": (("PERSON",), ("PERSON",)),
            # "Coface, the French export credit agency": an agency has no nationality
            "nationality": (("PERSON",), None)}


# A type said of the wrong kind of subject, and the type it means: an
# organisation is based where a person lives or a place lies ("the Korea
# Fund in New York").
_ORG_TYPES = {"lives_in": "based_in", "located_in": "based_in"}


def _retyped(raw: _RawRelation) -> _RawRelation:
    if raw.relation_type in _ORG_TYPES and raw.subject.canonical_label == "ORG":
        return _RawRelation(raw.subject, raw.predicate, raw.obj, _ORG_TYPES[raw.relation_type])
    return raw


# A body's common noun written alone, capitalised as the story's own
# shorthand: it does not name which one ("Committee Chairman X").
_BARE_BODY_WORDS = {"party", "committee", "council", "bank", "administration", "ministry",
                    "department", "government", "court", "commission", "board", "agency",
                    "bureau", "company", "group", "fund", "institute", "association", "union",
                    "federation", "league", "club", "team", "corporation", "authority"}


def _country(mention: Mention) -> bool:
    return (place_key(mention.canonical) or "").startswith("iso3166:")


def _fits_type(raw: _RawRelation) -> bool:
    """Whether a typed relation's sides are what its type relates; a social
    media handle ("@ChelseaFC") is an account, a disease ("Coronavirus")
    an illness, never a side."""
    if raw.subject.canonical.startswith("@") or raw.obj.canonical.startswith("@"):
        return False
    if raw.subject.canonical.lower() in DISEASE_NAMES or raw.obj.canonical.lower() in DISEASE_NAMES:
        return False
    if raw.subject.canonical.lower() in _BARE_BODY_WORDS or \
            raw.obj.canonical.lower() in _BARE_BODY_WORDS:
        return False  # "Party leader X", "the Council elected X": which party?
    if raw.relation_type == "located_in" and _country(raw.subject) and _country(raw.obj):
        return False  # "aid to Serbia, Italy": a list; no country lies in another
    subjects, objects = _PARTIES.get(raw.relation_type, (None, None))
    return (subjects is None or raw.subject.canonical_label in subjects) and \
        (objects is None or raw.obj.canonical_label in objects)


def _cased(doc) -> bool:
    """Whether the story writes names with capitals (some wires send all
    small letters)."""
    tokens = doc_tokens(doc)
    words = [t for t in tokens if t.is_alpha]
    return sum(t.text[:1].isupper() for t in words) >= 0.05 * max(len(words), 1)


def _common_phrase(mention: Mention, cased: bool) -> bool:
    words = mention.canonical.split()
    return bool(words) and mention.canonical.islower() and (
        words[0] in _COMPASS or cased and len(words) >= 2)


def find_relations(story: Story, doc, mentions: list[Mention], by_token) -> list[Relation]:
    """The story's relations, one per pair, type and place; a typed reading
    replaces an open one of the same pair and span."""
    found = list(_verb_relations(doc, by_token)) + list(_title_relations(doc, mentions, by_token))
    found += list(_contact_relations(doc, by_token)) + list(_visit_relations(doc, by_token))
    found += list(_result_relations(doc, by_token))
    found += list(_kill_relations(doc, mentions, found))
    found += list(_credit_relations(doc, mentions))
    found += _closure(found)
    relations = {}
    cased = _cased(doc)
    for raw in map(_retyped, found):
        if raw.subject.key == raw.obj.key:
            continue
        if raw.relation_type and (_common_phrase(raw.subject, cased) or
                                  _common_phrase(raw.obj, cased) or not _fits_type(raw)):
            # "off the south coast of Newfoundland", "disco club owner X": a
            # phrase in small letters in a story written in capitals is no
            # name; nor is a side the type cannot relate (_fits_type)
            raw = _RawRelation(raw.subject, raw.predicate, raw.obj, None)
        start = min(raw.subject.start_char, raw.obj.start_char)
        end = max(raw.subject.end_char, raw.obj.end_char)
        placed = field_of(story, start, end)
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

    return list(relations.values())
