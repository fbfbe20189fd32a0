"""Direct quotations of one story, split and multi-paragraph ones included,
attributed to the speaker's entity where the text says who."""

from __future__ import annotations

from typing import Iterable, NamedTuple, Optional

from schemas.records import Quote, Story
from transforms.nlp.lexicon import (
    AGENT_LABELS, CONTINUATION_GAP, ORG_STANDIN_NOUNS, PRONOUNS, QUOTE_PAIRS, REPORTING_VERBS,
    SEPARATOR, TITLE_NOUNS)
from transforms.nlp.mention import Mention
from transforms.nlp.names import children, doc_text
from transforms.nlp.relations import mention_of_token


def _subject_mention(subject, by_token) -> Optional[Mention]:
    """The entity a reporting verb's subject names: itself, a name in
    apposition to an office ("Malaysia's Prime Minister, Najib Razak"), the
    organisation of an office ("a spokesman for Y"), or a possessor ("PC
    World's analysis")."""
    entity = mention_of_token(subject, by_token)
    if entity is not None:
        return entity
    if subject.pos_ in ("NOUN", "PROPN"):
        # "American academic and professor Marc Lamont Hill commented"
        stack = [c for c in children(subject) if c.dep_ in ("appos", "conj", "compound")]
        while stack:
            token = stack.pop(0)
            found = by_token.get(token.i)
            if found is not None and found.canonical_label == "PERSON":
                return found
            stack += [c for c in children(token) if c.dep_ in ("appos", "conj", "compound")]
    for child in children(subject):
        if child.dep_ == "poss":
            entity = mention_of_token(child, by_token)
        elif child.dep_ == "prep" and subject.lower_.rstrip(".") in TITLE_NOUNS:
            entity = next((e for g in children(child) if g.dep_ == "pobj"
                           for e in [mention_of_token(g, by_token)] if e), None)
        if entity is not None:
            return entity
    return None


BLOCKED = "\0blocked"  # a reporting verb whose subject names no one


def _past_paragraph(token, span_end: int) -> bool:
    """Whether a token lies after the quotation and past a paragraph break
    (the closing mark of a quote that ends a paragraph is often parsed into
    the next paragraph's first sentence, whose verb is someone else's)."""
    return token.idx >= span_end and "\n\n" in doc_text(token.doc)[span_end - 1:token.idx]


class _Candidate(NamedTuple):
    """A speaker the text offers for a quotation; the nearest wins, and at
    the same distance the lowest rank: -1 for "quoted X as saying", 0 for a
    name that is the speaking word's own (or that a pronoun or "the company"
    points back to), 1 for a name found through it ("a spokesman for Y")."""

    distance: int
    rank: int
    speaker: Mention
    verb: str


def _speaker_in(sentences, span_start: int, span_end: int, by_token,
                person_before) -> tuple[Optional[Mention], Optional[str]]:
    """The speaker of the reporting verb nearest the quotation in these
    sentences ("Straits Times noted X. Hill commented, "..."": Hill)."""
    candidates: list[_Candidate] = []
    blocked: list[int] = []  # distances of reporting verbs whose subject names no one
    for sentence in sentences:
        for token in sentence:
            if token.lemma_.lower() == "quote":
                candidates += _quoted_as(token, span_start, span_end, by_token)
            elif _reporting_verb_outside(token, span_start, span_end):
                found, nameless = _reporting_verb_speakers(token, span_start, span_end,
                                                           by_token, person_before)
                candidates += found
                blocked += nameless
        candidates += _according_to(sentence, span_start, span_end, by_token)
    return _nearest(candidates, blocked)


def _distance(token, span_start: int, span_end: int) -> int:
    """Characters between a token before or after the quotation and it."""
    return span_start - token.idx if token.idx < span_start else token.idx - span_end


def _quoted_as(token, span_start: int, span_end: int, by_token) -> list[_Candidate]:
    """"the source quoted Baker as saying, "..."": Baker said it."""
    if span_start <= token.idx < span_end or _past_paragraph(token, span_end) or not any(
            c.dep_ == "prep" and c.lower_ == "as" for c in children(token)):
        return []
    distance = _distance(token, span_start, span_end)
    speakers = (mention_of_token(c, by_token) for c in children(token) if c.dep_ == "dobj")
    return [_Candidate(distance, -1, speaker, "say") for speaker in speakers
            if speaker and speaker.canonical_label in AGENT_LABELS]


def _reporting_verb_outside(token, span_start: int, span_end: int) -> bool:
    """A reporting verb outside the quotation, and not in the next paragraph."""
    return token.lemma_.lower() in REPORTING_VERBS and token.pos_ in ("VERB", "AUX") and \
        not span_start <= token.idx < span_end and not _past_paragraph(token, span_end)


def _reporting_verb_speakers(verb, span_start: int, span_end: int, by_token,
                             person_before) -> tuple[list[_Candidate], list[int]]:
    """The speakers a reporting verb names, through its subjects or, after
    the quotation, its object; and its distance once per subject that is a
    noun naming no one."""
    distance = _distance(verb, span_start, span_end)
    lemma = verb.lemma_.lower()
    found, nameless = [], []
    for subject in (c for c in children(verb) if c.dep_ in ("nsubj", "nsubjpass")):
        speaker, rank, names_no_one = _subject_speaker(verb, subject, span_start, by_token,
                                                       person_before)
        if names_no_one:
            nameless.append(distance)
        if speaker and speaker.canonical_label in AGENT_LABELS:
            found.append(_Candidate(distance, rank, speaker, lemma))
    if verb.idx >= span_end and not any(c.dep_ in ("nsubj", "nsubjpass") for c in children(verb)):
        # '"...", added KCNA': the speaker parsed as the verb's object
        for obj in (c for c in children(verb) if c.dep_ in ("dobj", "attr") and c.i == verb.i + 1):
            speaker = mention_of_token(obj, by_token)
            if speaker and speaker.canonical_label in AGENT_LABELS:
                found.append(_Candidate(distance, 0, speaker, lemma))
    return found, nameless


def _subject_speaker(verb, subject, span_start: int, by_token,
                     person_before) -> tuple[Optional[Mention], int, bool]:
    """Who a reporting verb's subject stands for, its rank (`_Candidate`),
    and whether it is a noun that names no one."""
    speaker = _subject_mention(subject, by_token)
    rank = 0 if mention_of_token(subject, by_token) is speaker else 1
    if speaker is None and subject.lower_ in ("who", "that") and verb.dep_ == "relcl":
        speaker = _subject_mention(verb.head, by_token)  # "Chen Shibiao, who said that "...""
    if speaker is not None:
        return speaker, rank, False
    if _speaker_pronoun(subject):
        return person_before(span_start, subject.lower_ in ("it", "its")), rank, False
    if subject.lower_ in ORG_STANDIN_NOUNS and any(c.lower_ == "the" for c in children(subject)):
        return person_before(span_start, True), rank, False
    # "the spokesman said", "one banker said": the text says who spoke, without
    # a name; no guess from other sentences
    return None, rank, subject.pos_ in ("NOUN", "PROPN")


def _according_to(sentence, span_start: int, span_end: int, by_token) -> list[_Candidate]:
    """"..., according to X"."""
    found = []
    for token in sentence:
        if token.lower_ == "according" and token.i + 1 < len(token.doc) and \
                token.nbor(1).lower_ == "to" and not _past_paragraph(token, span_end):
            for t in children(token.nbor(1)):
                speaker = mention_of_token(t, by_token)
                if speaker:
                    found.append(_Candidate(abs(token.idx - span_start), 0, speaker,
                                            "according to"))
    return found


def _nearest(candidates: list[_Candidate],
             blocked: list[int]) -> tuple[Optional[Mention], Optional[str]]:
    if not candidates:
        return (None, BLOCKED) if blocked else (None, None)
    best = min(candidates, key=lambda c: (c.distance, c.rank))
    if blocked and min(blocked) < best.distance:
        return None, BLOCKED  # the nearest reporting verb's subject is no name
    return best.speaker, best.verb


def _speaker_pronoun(token) -> bool:
    """A pronoun subject that stands for a speaker named before: he, she,
    they, it; "I"/"we" only capitalised as a person's ("the i reported" is a
    newspaper)."""
    word = token.lower_
    if word == "i":
        return token.text == "I"
    return word in PRONOUNS or word == "it"


def _speaker_for(doc, span_start: int, span_end: int, by_token, person_before,
                 continuing=None) -> tuple[Optional[Mention], Optional[str]]:
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
    if found[1] is BLOCKED:
        return None, None
    partial = _sentence_subject(inside, span_start, by_token)
    if partial[0] is not None:
        return partial
    if continuing is not None:
        return continuing
    first = inside.sent.start
    if first > 0:
        entity, verb = _speaker_in([doc[first - 1].sent], span_start, span_end, by_token,
                                   person_before)
        return entity, (verb if entity is not None else None)
    return None, None


def _sentence_subject(inside, span_start: int, by_token) -> tuple[Optional[Mention], Optional[str]]:
    """A quotation inside a sentence that has no reporting verb ("Eggar
    dismissed the claims as "wild and fanciful allegations"", "X defended
    the record: "...""): the named subject of the verb it hangs from."""
    sentence = inside.sent
    if sentence.start_char >= span_start - 1 or not len(inside):
        return None, None
    verb = inside[0].head if inside[0].i + 1 >= len(inside.doc) else inside[min(1, len(inside) - 1)]
    while verb.pos_ not in ("VERB", "AUX") and verb.head.i != verb.i:
        verb = verb.head
    while verb.dep_ in ("ccomp", "xcomp", "advcl", "conj") and verb.idx >= span_start - 1 \
            and verb.head.i != verb.i:
        verb = verb.head
    if verb.idx >= span_start:
        return None, None
    for subject in (c for c in children(verb) if c.dep_ == "nsubj"):
        entity = mention_of_token(subject, by_token)
        if entity is not None and entity.canonical_label in ("PERSON", "ORG"):
            return entity, verb.lemma_.lower()
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
    spans = list(_quote_spans(text, body_start))

    def quoted(m) -> bool:
        return any(a <= m.start_char < b for a, b in spans)

    # names inside quotations are not who speaks ("(Lawson) will respond")
    outside = sorted((m for m in mentions if not quoted(m)), key=lambda m: m.start_char)
    people = [m for m in outside if m.canonical_label == "PERSON"]
    subjects = [p for p in people if doc[p.end - 1].dep_ in ("nsubj", "nsubjpass")]
    bodies = [m for m in outside if m.canonical_label == "ORG" and _in_subject(doc[m.end - 1])]

    def person_before(char: int, thing: bool = False) -> Optional[Mention]:
        # a pronoun speaker: the last person who was the subject of a
        # sentence before the quote, else the last person named; for "it",
        # the last organisation that was a subject
        for pool in ((bodies,) if thing else (subjects, people)):
            earlier = [p for p in pool if p.end_char <= char]
            if earlier:
                return earlier[-1]
        return None

    previous = None  # (end offset, speaker, verb) of the last quote
    for start, end in spans:
        raw = text[start:end]
        stripped = raw.strip()
        short = len(stripped.split()) < 4
        if short and (len(stripped.split()) < 2 or _name_shaped(stripped.rstrip(","))):
            continue  # a scare quote, a term or a name
        start += len(raw) - len(raw.lstrip())
        end = start + len(stripped)
        continuing = None
        if previous and previous[1] is not None and _continues(text[previous[0]:start - 1]):
            # An unattributed quotation right after an attributed one
            # ("...," Cook told reporters. "...") goes on with the same speaker.
            continuing = (previous[1], previous[2])
        speaker, verb = _speaker_for(doc, start - 1, end + 1, by_token, person_before,
                                     continuing)
        if _scare_quoted(doc, text, start, end, speaker) or short and (
                speaker is None or verb not in REPORTING_VERBS or
                not _short_partial(doc, text, start, end)):
            continue
        previous = (end + 1, speaker, verb)
        yield Quote(
            story_id=story.story_id,
            speaker=speaker.canonical if speaker else None,
            speaker_entity_id=speaker.entity_id if speaker else None,
            quote=text[start:end], verb=verb,
            start_char=start - body_start, end_char=end - body_start)


# Words a name keeps in lower case ("the Clan of the Gulf", "Operation
# Safe Harbour"), and the verbs that give a name rather than report words.
_NAME_JOINERS = {"of", "the", "and", "for", "de", "del", "la", "le", "al", "el", "on", "in",
                 "to", "a", "an", "&"}
_NAMING_VERBS = {"call", "dub", "name", "label", "brand", "nickname", "title", "christen"}
# Verbs that give words written or chanted: a sign read "No more cuts".
_INSCRIBING_VERBS = {"read", "chant", "sing", "bear", "print", "scrawl", "paint"}
_SHORT_PHRASE = 6
# Words before a short quoted phrase that make it a term, not someone's words.
_TERM_CUES = {"the", "a", "an", "its", "their", "his", "her", "our", "this", "that", "these",
              "those", "so-called", "called", "dubbed", "named", "as"}


def _name_shaped(quoted: str) -> bool:
    """"Clan of the Gulf", "Operation Safe Harbour": every word capitalised
    but the joiners, and no sentence punctuation."""
    words = quoted.split()
    if any(ch in quoted for ch in ".!?;:,"):
        return False
    return words[0][:1].isupper() and all(
        w[:1].isupper() or w.lower() in _NAME_JOINERS or not w[:1].isalpha() for w in words)


def _scare_quoted(doc, text: str, start: int, end: int, speaker) -> bool:
    """A name or a short phrase in quotation marks inside the reporter's own
    sentence ("accused of running the "Clan of the Gulf"", "the so-called
    "Army of the Righteous""), which no one is reported as saying: not a
    quotation. A name is not one even when the sentence has a subject;
    a short phrase without a verb only when no speaker is found. A reporting verb in the
    sentence (other than one that names: "dubbed", "called"), or a verb
    that gives written or chanted words ("a sign read"), keeps it a quote:
    talks would resume "very soon," she said."""
    quoted = text[start:end]
    words = quoted.split()
    inside = doc.char_span(start, end, alignment_mode="expand")
    if inside is None or not len(inside) or len(words) > _SHORT_PHRASE:
        return False
    sentence = inside.sent
    before = text[sentence.start_char:start - 1]
    if not any(ch.isalpha() for ch in before) or quoted.rstrip()[-1:] in ".!?,":
        return False  # a quotation opening its sentence, or ending in a said-clause
    for token in sentence:
        if start - 1 <= token.idx < end + 1:
            continue
        lemma = token.lemma_.lower()
        if (lemma in REPORTING_VERBS or lemma in _INSCRIBING_VERBS) and \
                token.pos_ in ("VERB", "AUX") and lemma not in _NAMING_VERBS or \
                lemma == "quote" or token.lower_ == "according":
            return False
    if _name_shaped(quoted):
        return True
    # a phrase with no verb of its own ("a step in the wrong direction"); one
    # with a verb is words someone wrote ("must be completed in English")
    return speaker is None and not any(t.pos_ in ("VERB", "AUX") for t in inside)


def _short_partial(doc, text: str, start: int, end: int) -> bool:
    """A partial quote of two or three words that is someone's words, not
    a term: it runs into its said-clause (the port is "closed for now," she
    said) or is part of what a reporting verb reports (talks would resume
    "very soon"), and is not "so-called"."""
    inside = doc.char_span(start, end, alignment_mode="expand")
    words_before = text[max(start - 40, 0):start - 1].lower().split()
    if inside is None or not len(inside) or words_before and words_before[-1] in _TERM_CUES:
        return False  # the "peace plan", its "new normal", so-called "red lines"
    if text[start:end].rstrip()[-1:] == ",":
        return True
    if inside.root.pos_ in ("NOUN", "PROPN"):
        return False  # "bank culture", "strategic commodities": a term
    token = inside[0]
    while token.head.i != token.i:
        token = token.head
        if token.lemma_.lower() in REPORTING_VERBS and token.pos_ in ("VERB", "AUX") and \
                token.lemma_.lower() not in _NAMING_VERBS:
            return True
    return False


def _in_subject(token) -> bool:
    """A subject, or a name in one ("The world bank report said")."""
    while token.dep_ in ("compound", "poss", "flat") and token.head.i != token.i:
        token = token.head
    return token.dep_ in ("nsubj", "nsubjpass")


def _continues(gap: str) -> bool:
    """Whether a quotation after `gap` goes on from the one before it: the
    gap is at most the earlier quote's attribution, and the new quotation
    starts a sentence."""
    enders = sum(gap.count(mark) for mark in ".!?")
    tail = gap.rstrip(" ")
    return len(gap) <= CONTINUATION_GAP and enders <= 1 and (
        not tail or tail[-1] in ".!?:\n")
