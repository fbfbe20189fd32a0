"""One mention of an entity in a parsed Doc, before it becomes a table row."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(eq=False)
class Mention:
    """Where a name stands in the Doc and what the model (or a cue) calls it;
    once the story's mentions are grouped, also its entity's canonical name,
    label and id, which every mention of that entity shares."""

    start: int  # token index
    end: int
    text: str
    label: str
    start_char: int
    end_char: int
    canonical: str = ""
    canonical_label: str = ""
    key: str = ""
    # the label came from the context (a score after a team, an age after a
    # person), which outweighs the model's label on other mentions
    cued: bool = False
    # a town named as a side in a contest: the club, another entity than the town
    team: bool = False

    @classmethod
    def of_tokens(cls, doc, text: str, start: int, end: int, label: str,
                  cued: bool = False, team: bool = False) -> "Mention":
        """The mention of tokens start..end, its surface read from `text`
        (the stored fields' text, which the Doc's characters index)."""
        span = doc[start:end]
        return cls(start, end, text[span.start_char:span.end_char], label, span.start_char,
                   span.end_char, cued=cued, team=team)

    @property
    def entity_id(self) -> str:
        return self.key
