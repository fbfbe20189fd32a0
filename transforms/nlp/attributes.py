"""spaCy's attribute_ruler and rule lemmatizer, as one component that gives
every token exactly what those two give it, at a fraction of their cost.

In en_core_web_sm they take nearly a quarter of `nlp.pipe`'s time on news (600
Reuters stories: 17.0 s with them, 13.1 s without): the ruler runs a
Matcher of 179 patterns over every token, and the lemmatizer makes a Token
object and a Python call per token. Yet what they write is a pure function
of little: the ruler's single-token patterns of a token's (TAG, LOWER, DEP,
IS_SPACE), its seven two-token patterns of a pair's, and the lemma of
(ORTH, POS, MORPH) (the very key spaCy's lemmatizer caches by). So this
component reads those columns with `Doc.to_array`, looks each token up in
per-process caches filled by evaluating the ruler's own patterns and the
lemmatizer's own `rule_lemmatize` on first sight, and writes the columns
back with one `Doc.from_array`.

Semantics kept exactly (`tests/test_attributes.py` compares every token's
annotations with the stock pipeline's on real news): every pattern is
matched against the annotations as they were before the ruler ran, and
where several write one attribute of a token, the later pattern wins (the
ruler applies its matches in pattern order). A pattern using anything else
(another attribute, an operator, a longer span) makes `build` raise
Unsupported, and the stock components stay in place.
"""

from __future__ import annotations

import copy
import re
from typing import Callable

import numpy as np
from spacy.attrs import DEP, IS_SPACE, LEMMA, LOWER, MORPH, ORTH, POS, TAG

# The token columns a pattern may test, in the order of a token's key.
_TESTED = {"TAG": 0, "LOWER": 1, "DEP": 2, "IS_SPACE": 3}
_KEY_COLUMNS = [TAG, LOWER, DEP, IS_SPACE]
# The columns a pattern may write (attribute ids, as the ruler keeps its
# normalised attrs), in the order of the written array.
_OUT_COLUMNS = [POS, MORPH, LEMMA, TAG, DEP]
_WRITTEN = {attr: column for column, attr in enumerate(_OUT_COLUMNS)}
_READ_COLUMNS = _KEY_COLUMNS + _OUT_COLUMNS + [ORTH]
_OUT_SLICE = slice(len(_KEY_COLUMNS), len(_KEY_COLUMNS) + len(_OUT_COLUMNS))
_POS_AT, _MORPH_AT, _LEMMA_AT = _WRITTEN[POS], _WRITTEN[MORPH], _WRITTEN[LEMMA]
# A long-running worker meets new words for ever; the caches start afresh
# past this many keys (each entry is a few small ints).
_CACHE_LIMIT = 500_000

TokenKey = tuple  # (tag, lower, dep, is_space) as the Doc stores them
Test = Callable[[TokenKey], bool]


class Unsupported(Exception):
    """A pattern this component does not reproduce exactly."""


def _value_test(column: int, value, strings) -> Test:
    if isinstance(value, bool):
        wanted = int(value)
        return lambda key: key[column] == wanted
    if isinstance(value, str):
        wanted = strings.add(value)
        return lambda key: key[column] == wanted
    if isinstance(value, dict) and len(value) == 1:
        (operator, operand), = value.items()
        if operator in ("IN", "NOT_IN") and all(isinstance(v, str) for v in operand):
            members = frozenset(strings.add(v) for v in operand)
            if operator == "IN":
                return lambda key: key[column] in members
            return lambda key: key[column] not in members
        if operator == "REGEX" and isinstance(operand, str):
            pattern = re.compile(operand)
            return lambda key: bool(pattern.search(strings[key[column]]))
    raise Unsupported(f"value {value!r}")


def _token_test(spec: dict, strings) -> Test:
    tests = []
    for name, value in spec.items():
        if name not in _TESTED:
            raise Unsupported(f"attribute {name!r}")
        tests.append(_value_test(_TESTED[name], value, strings))
    return lambda key: all(test(key) for test in tests)


class _Rule:
    """One ruler entry: token tests (one per position), the target index,
    the values it writes by column of the written array, and the TAGs and
    LOWERs each of its tokens may have (hashes; {None} for any)."""

    def __init__(self, order: int, tests: list, index: int, writes: dict, allowed: list):
        self.order, self.tests, self.index, self.writes = order, tests, index, writes
        self.allowed = allowed  # per position: (TAGs, LOWERs) it may have


def _allowed(spec: dict, name: str, strings) -> frozenset:
    """The hashes a token's `name` must be one of, or {None} for no such
    limit (a test the rule's own tests make)."""
    value = spec.get(name)
    if isinstance(value, str):
        return frozenset([strings.add(value)])
    if isinstance(value, dict) and list(value) == ["IN"]:
        return frozenset(strings.add(v) for v in value["IN"])
    return frozenset([None])


class _RuleIndex:
    """The rules whose token at `position` may match a token, found by its
    TAG and LOWER, in pattern order: a new token tests the few rules that
    can apply, not all 179."""

    def __init__(self, rules: list, position: int):
        self._position = position
        self._buckets: dict = {}
        for rule in rules:
            tags, lowers = rule.allowed[position]
            for tag in tags:
                for lower in lowers:
                    self._buckets.setdefault((tag, lower), []).append(rule)

    def matching(self, key: TokenKey) -> list:
        tag, lower = key[0], key[1]
        found = {id(rule): rule
                 for bucket in ((tag, lower), (tag, None), (None, lower), (None, None))
                 for rule in self._buckets.get(bucket, ())}
        return sorted((rule for rule in found.values() if rule.tests[self._position](key)),
                      key=lambda rule: rule.order)


def _rules(ruler) -> list[_Rule]:
    strings = ruler.vocab.strings
    rules = []
    for order, (entry, attrs, index) in enumerate(
            zip(ruler.patterns, ruler.attrs, ruler.indices)):
        writes = {}
        for attr_id, value in attrs.items():
            if attr_id not in _WRITTEN:
                raise Unsupported(f"writes attribute {attr_id!r}")
            writes[_WRITTEN[attr_id]] = value
        for pattern in entry["patterns"]:
            if not 1 <= len(pattern) <= 2 or not -len(pattern) <= index < len(pattern):
                raise Unsupported(f"pattern of {len(pattern)} tokens, index {index}")
            tests = [_token_test(spec, strings) for spec in pattern]
            allowed = [(_allowed(spec, "TAG", strings), _allowed(spec, "LOWER", strings))
                       for spec in pattern]
            rules.append(_Rule(order, tests, index % len(pattern), writes, allowed))
    return rules


def _with_set_index(lemmatizer):
    """A copy of the lemmatizer whose word lists are sets: `rule_lemmatize`
    asks `form in index` of lists of up to 57,528 words (86 us a new word);
    a set answers the same. The pipeline's own lemmatizer is left as it is."""
    from spacy.lookups import Lookups

    lookups = Lookups()
    for name in lemmatizer.lookups.tables:
        table = dict(lemmatizer.lookups.get_table(name).items())
        if name == "lemma_index":
            table = {pos: frozenset(words) for pos, words in table.items()}
        lookups.add_table(name, table)
    copied = copy.copy(lemmatizer)
    copied.lookups, copied.cache = lookups, {}
    return copied


class AttributesAndLemmas:
    """The component: call it on a Doc after the tagger and parser."""

    def __init__(self, ruler, lemmatizer):
        rules = _rules(ruler)
        single = [r for r in rules if len(r.tests) == 1]
        pairs = [r for r in rules if len(r.tests) == 2]
        self._single = _RuleIndex(single, 0)
        self._pair_starts, self._pair_ends = _RuleIndex(pairs, 0), _RuleIndex(pairs, 1)
        self._lemmatizer = _with_set_index(lemmatizer)
        self._strings = ruler.vocab.strings
        # token key -> ({written column: (rule order, value)}, pair rules it
        # can start, pair rules it can end)
        self._by_key: dict = {}
        self._lemmas: dict = {}  # (orth, pos, morph) -> lemma hash

    def _look_up(self, key: TokenKey):
        found = self._by_key.get(key)
        if found is None:
            writes: dict = {}
            for rule in self._single.matching(key):
                for column, value in rule.writes.items():
                    writes[column] = (rule.order, value)
            starts = tuple(self._pair_starts.matching(key))
            ends = frozenset(id(rule) for rule in self._pair_ends.matching(key))
            if len(self._by_key) >= _CACHE_LIMIT:
                self._by_key.clear()
            found = self._by_key[key] = (writes, starts, ends)
        return found

    def __call__(self, doc):
        if not len(doc):
            return doc
        columns = doc.to_array(_READ_COLUMNS)
        keys = list(map(tuple, columns[:, :len(_KEY_COLUMNS)].tolist()))
        out = columns[:, _OUT_SLICE].copy()
        orths = columns[:, -1]
        found = [self._look_up(key) for key in keys]
        # The cached dicts themselves; a token a pair rule writes to gets
        # its own copy first.
        written = [writes for writes, _, _ in found]
        for i, (_, starts, _) in enumerate(found):
            for rule in starts:
                if i + 1 < len(found) and id(rule) in found[i + 1][2]:
                    target = i + rule.index
                    if written[target] is found[target][0]:
                        written[target] = dict(written[target])
                    for column, value in rule.writes.items():
                        if written[target].get(column, (-1,))[0] < rule.order:
                            written[target][column] = (rule.order, value)
        for i, writes in enumerate(written):
            for column, (_, value) in writes.items():
                out[i, column] = value
        missing = []
        for i in np.flatnonzero(out[:, _LEMMA_AT] == 0).tolist():
            lemma = self._lemmas.get((int(orths[i]), int(out[i, _POS_AT]), int(out[i, _MORPH_AT])))
            if lemma is None:
                missing.append(i)
            else:
                out[i, _LEMMA_AT] = lemma
        doc.from_array(_OUT_COLUMNS, out)
        for i in missing:
            # The stock lemmatizer's own rule, on a token whose POS and
            # morphology are now set; its result is cached by the same key.
            token = doc[i]
            lemma = self._strings.add(self._lemmatizer.rule_lemmatize(token)[0])
            token.lemma = lemma
            if len(self._lemmas) >= _CACHE_LIMIT:
                self._lemmas.clear()
                self._lemmatizer.cache.clear()
            self._lemmas[(token.orth, token.pos, token.morph.key)] = lemma
        return doc


def build(nlp) -> AttributesAndLemmas:
    """The component for this pipeline's ruler and lemmatizer. Raises
    Unsupported when either is missing, the lemmatizer does not come right
    after the ruler or is not a rule lemmatizer filling empty lemmas, or a
    pattern is of a kind this component does not reproduce."""
    names = nlp.pipe_names
    if "attribute_ruler" not in names or "lemmatizer" not in names:
        raise Unsupported("no attribute_ruler and lemmatizer")
    if names.index("lemmatizer") != names.index("attribute_ruler") + 1:
        raise Unsupported("the lemmatizer does not follow the ruler")
    lemmatizer = nlp.get_pipe("lemmatizer")
    if getattr(lemmatizer, "mode", None) != "rule" or getattr(lemmatizer, "overwrite", True):
        raise Unsupported("not a rule lemmatizer that fills empty lemmas")
    return AttributesAndLemmas(nlp.get_pipe("attribute_ruler"), lemmatizer)
