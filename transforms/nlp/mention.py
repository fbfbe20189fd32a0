"""One entity mention of a parsed Doc, before it becomes a table row."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(eq=False)
class Entity:
    """One entity mention in the Doc, before it becomes a table row."""

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

    @property
    def entity_id(self) -> str:
        return self.key
