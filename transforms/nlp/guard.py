"""Limits on what one story may cost the extraction stage.

Three things measured on en_core_web_sm 3.8 make one story able to stall a
batch, and each has its guard here:

- spaCy's tokenizer is worse than quadratic on a run of punctuation with no
  space in it: 2,000 ")" or "!" take 1-2 s, 10,000 take 40-55 s, 3 MB never
  finish; and a run of thousands of characters without a space (base64,
  minified code) is thousands of tokens for nothing (45 kB of
  "abc.def-ghi/" take 12 s). Such runs (`PUNCT_RUN` punctuation
  characters, `WORD_RUN` characters) are blanked in the text the model
  reads; the blanks keep every offset, and what is stored and quoted still
  comes from the story's own fields.
- The rules (entities, relations, quotes) have steps that grow faster than
  the text: on one Doc of 1 MB of news text the entity rules take ~35 s,
  against ~0.7 s for 300 kB. A story longer than `chunk_chars` is therefore
  read in pieces cut at paragraph breaks (else line, sentence, word breaks),
  each parsed and extracted on its own, and the pieces' rows are shifted back
  to offsets into the stored body. Names are completed within a piece
  ("Trump" after "Donald Trump" in the same piece), which on 50,000
  characters (some 8,000 words) is every news story there is.
- The quote rules look through a quotation's whole sentence, for every
  quotation: 1,000 short quotations in 10,000 characters without a full
  stop are one sentence of 6,000 tokens, and ~20 s of rules (~0.6 s once
  split). `cap_sentences` runs before the parser and starts a new sentence
  after `SENTENCE_TOKENS` tokens with no sentence end or line break, which
  news prose never reaches, so its parses are untouched.
- A story's cost is still linear in its length: beyond `max_chars` it is
  read no further, and a dead letter says how much was read.

Rule code that still overruns `seconds` is stopped (`rule_deadline`) and the
story becomes a dead letter; the rest of the batch is extracted as usual.
"""

from __future__ import annotations

import ctypes
import dataclasses
import math
import os
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Optional

from schemas.records import EntityMention, Extraction, Quote, Relation, Story
from transforms.nlp.lexicon import SEPARATOR
from transforms.nlp.names import model_text, story_text


# A run of this many punctuation characters costs the tokenizer ~1 ms; the
# cost grows with the cube of the run's length.
PUNCT_RUN = 64
# A "word" this long is no word (an inline image in base64, minified code)
# but can be hundreds of tokens the parser pays for.
WORD_RUN = 1000
# Each run is matched only from its first character (the lookbehind), so
# the scan stays linear however many shorter runs the text has.
_PUNCT = r"(?:[^\w\s]|_)"
_LONG_RUNS = re.compile(rf"(?<!{_PUNCT}){_PUNCT}{{{PUNCT_RUN},}}|(?<!\S)\S{{{WORD_RUN},}}")


# What one Doc may hold by default (spaCy's nlp.max_length).
SPACY_MAX_LENGTH = 1_000_000

# Tokens without a sentence end or line break after which the parser is
# told a new sentence starts.
SENTENCE_TOKENS = 150
_SENTENCE_ENDS = {".", "!", "?"}


def cap_sentences(doc):
    """A spaCy component for before the parser: mark a sentence start after
    every SENTENCE_TOKENS tokens of a run with no sentence end or line
    break. The parser keeps the sentence starts it is given."""
    run = 0
    for token in doc:
        if run >= SENTENCE_TOKENS and not token.is_space:
            token.is_sent_start = True
            run = 0
        run += 1
        if token.text in _SENTENCE_ENDS or "\n" in token.text:
            run = 0
    return doc


@dataclass(frozen=True)
class Limits:
    """What one story may cost (`--nlp_chunk_chars`, `--nlp_max_chars`,
    `--nlp_story_seconds`)."""

    # Longer stories are read in pieces of at most this many characters.
    chunk_chars: int = 50_000
    # Characters read at most per story (title and body): spaCy's own
    # max_length, so a Doc never holds more than spaCy is built to.
    max_chars: int = 1_000_000
    # Wall time one story may take: the rules of each piece are stopped
    # when they overrun it, and no further piece is started after it. A
    # story of max_chars takes 50-125 s on one busy core (8,000-20,000
    # characters/s), which must fit; what is left to catch is a stall.
    seconds: float = 300.0

    def check(self) -> Optional[str]:
        """What is wrong with these limits, or None."""
        if not 1000 <= self.chunk_chars <= SPACY_MAX_LENGTH:
            return f"--nlp_chunk_chars must be between 1000 and {SPACY_MAX_LENGTH}"
        if self.max_chars < self.chunk_chars:
            return "--nlp_max_chars must be at least --nlp_chunk_chars"
        if self.seconds <= 0:
            return "--nlp_story_seconds must be positive"
        return None


@dataclass(frozen=True)
class Piece:
    """Part of a story read as a story of its own; its body starts at
    `offset` in the stored body."""

    story: Story
    offset: int


@dataclass(frozen=True)
class Plan:
    """How one story is read: its pieces and how much of it they cover."""

    pieces: tuple[Piece, ...]
    read_chars: int
    total_chars: int

    @property
    def truncated(self) -> bool:
        return self.read_chars < self.total_chars


@dataclass(frozen=True)
class Warned:
    """An extraction to keep, with a dead letter saying what it left out."""

    extraction: Extraction
    error: str
    message: str


class StoryTimeout(BaseException):
    """Raised into rule code that overran its time. A BaseException, so
    that no `except Exception` inside the rules can swallow it."""


def blank_long_runs(text: str) -> str:
    """`text` with each long run of punctuation, and each run of thousands
    of characters without a space, turned into spaces: the same length, so
    every offset still holds."""
    if not _LONG_RUNS.search(text):
        return text
    return _LONG_RUNS.sub(lambda m: " " * len(m.group()), text)


def piece_text(piece: Piece) -> str:
    """What the model reads for a piece."""
    return blank_long_runs(model_text(piece.story))


def _cut(body: str, start: int, limit: int) -> int:
    """Where a piece that starts at `start` ends: the last paragraph break
    before `limit`, else the last line break, sentence end or space, else
    `limit` itself (a word of `limit` characters is no word)."""
    if limit >= len(body):
        return len(body)
    floor = start + (limit - start) // 4  # no sliver of a piece
    for mark in ("\n\n", "\n", ". ", " "):
        at = body.rfind(mark, floor, limit)
        if at >= 0:
            return at + len(mark)
    return limit


def plan(story: Story, limits: Limits) -> Plan:
    """The pieces of a story: itself when it is short enough."""
    total = len(story_text(story))
    if total <= limits.chunk_chars:
        return Plan((Piece(story, 0),), total, total)
    title, body = story.title, story.body
    if len(title) > limits.chunk_chars // 2:
        # an enormous title: its start is read, the body is not
        title = title[:_cut(title, 0, limits.chunk_chars // 2)]
        piece = Piece(dataclasses.replace(story, title=title, body=""), 0)
        return Plan((piece,), len(title), total)
    head = len(title) + len(SEPARATOR) if title else 0
    # the body read at most: what max_chars leaves after the title
    end = min(len(body), max(limits.max_chars - head, 0))
    if end < len(body):
        end = _cut(body, 0, end)
    pieces, start = [], 0
    while start < end or not pieces:
        budget = limits.chunk_chars - (head if not pieces else 0)
        stop = _cut(body, start, min(start + budget, end))
        first = not pieces
        pieces.append(Piece(dataclasses.replace(
            story, title=title if first else "", body=body[start:stop],
            dateline=story.dateline if first else None), start))
        start = stop
    return Plan(tuple(pieces), head + end, total)


def merge(story: Story, pieces: Iterable[tuple[Piece, Extraction]]) -> Extraction:
    """One story's extraction from its pieces': body offsets shifted back
    into the stored body."""
    entities: list[EntityMention] = []
    relations: list[Relation] = []
    quotes: list[Quote] = []
    for piece, found in pieces:
        shift = piece.offset
        entities += (dataclasses.replace(e, start_char=e.start_char + shift,
                                         end_char=e.end_char + shift)
                     if e.field == "body" else e for e in found.entities)
        relations += (dataclasses.replace(r, start_char=r.start_char + shift,
                                          end_char=r.end_char + shift)
                      if r.field == "body" else r for r in found.relations)
        quotes += (dataclasses.replace(q, start_char=q.start_char + shift,
                                       end_char=q.end_char + shift) for q in found.quotes)
    return Extraction(story_id=story.story_id, entities=tuple(entities),
                      relations=tuple(relations), quotes=tuple(quotes))


def truncation_message(result: Plan, limits: Limits) -> str:
    return (f"story of {result.total_chars:,} characters: entities, relations and quotes "
            f"cover its first {result.read_chars:,} (--nlp_max_chars {limits.max_chars:,}), "
            f"the rest was not read")


# --- Stopping rule code that overruns ------------------------------------------

_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)


class _Watch:
    """One block under a deadline: its thread, and whether it is still inside."""

    __slots__ = ("deadline", "thread", "inside", "fired")

    def __init__(self, deadline: float, thread: int):
        self.deadline, self.thread = deadline, thread
        self.inside, self.fired = True, False


class _Watchdog:
    """One thread per process that stops the blocks which overran.

    A thread per block (threading.Timer) cost ~0.5 ms a story, a fifth of
    what the rules themselves cost. The condition's lock makes sure the
    exception is only ever raised inside a block: a block leaving takes the
    lock, so the watchdog either fired before (and the block withdraws what
    was not yet delivered) or never will.
    """

    def __init__(self):
        self._cond = threading.Condition()
        self._watches: set[_Watch] = set()
        self._thread: Optional[threading.Thread] = None
        self._pid = 0
        self._wakes_at = -math.inf  # until the thread has looked: always notify

    def enter(self, seconds: float) -> _Watch:
        watch = _Watch(time.monotonic() + seconds, threading.get_ident())
        with self._cond:
            if self._thread is None or self._pid != os.getpid() or \
                    not self._thread.is_alive():
                # first use in this process (a forked child has no thread)
                self._pid = os.getpid()
                self._wakes_at = -math.inf
                self._thread = threading.Thread(target=self._run, name="wirestream-deadline",
                                                daemon=True)
                self._thread.start()
            self._watches.add(watch)
            if watch.deadline < self._wakes_at:
                self._cond.notify()  # else the watchdog is awake by then anyway
        return watch

    def leave(self, watch: _Watch) -> None:
        with self._cond:
            watch.inside = False
            self._watches.discard(watch)
            if watch.fired:
                _set_async_exc(watch.thread, ctypes.py_object())  # NULL: withdraw it

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for watch in [w for w in self._watches if w.deadline <= now]:
                    self._watches.discard(watch)
                    watch.fired = True
                    _set_async_exc(watch.thread, StoryTimeout)
                nearest = min((w.deadline for w in self._watches), default=None)
                self._wakes_at = math.inf if nearest is None else nearest
                # At most an hour at a time: a deadline years away (a huge
                # --nlp_story_seconds) overflows the lock's timeout otherwise.
                self._cond.wait(None if nearest is None
                                else min(max(nearest - now, 0.001), _LONGEST_SLEEP))


_LONGEST_SLEEP = 3600.0
_WATCHDOG = _Watchdog()


@contextmanager
def rule_deadline(seconds: float):
    """Raise StoryTimeout in this thread if the block runs `seconds` or more.

    The rules are plain Python over a Doc on a Beam worker thread, where no
    signal can reach them; CPython's async exception is delivered between
    two bytecodes of that thread, so a loop that never ends is stopped
    (a single call into C, one regex search say, finishes first). It is
    only ever raised inside the block (`_Watchdog`).
    """
    watch = _WATCHDOG.enter(seconds)
    try:
        yield
    finally:
        _WATCHDOG.leave(watch)
