"""What every rule is made of: its record (pylint's `msgs`, ruff's rule metadata) and the pieces
their messages share."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Tuple

from ..findings import Finding

DOCS = "https://github.com/flake8-keras-reuse/flake8-keras-reuse#"

# (cell, line within the cell) for a line of the checked module: the notebook front end's map.
Locate = Callable[[int], Tuple[int, int]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str  # a short kebab-case name, as pylint's symbols
    summary: str  # one line: what it finds
    anchor: str  # the README section of its rule page
    message: Callable[[Finding, "Place"], str]  # the text of one of its findings, without the code

    @property
    def help_uri(self) -> str:
        return DOCS + self.anchor


class Place:
    """A line a message names, written as the front end shows lines: in a template,
    `{first:on}` is "on line 12", or "in cell 3, line 4" in a notebook; `{first:since}` is
    "since line 12", or "since cell 3, line 4"."""

    def __init__(self, line: Optional[int], locate: Optional[Locate] = None) -> None:
        self.line = line
        self.locate = locate

    def __format__(self, preposition: str) -> str:
        if self.locate is None or self.line is None:
            return f"{preposition} line {self.line}"
        cell, line = self.locate(self.line)
        return f"{'in' if preposition == 'on' else preposition} cell {cell}, line {line}"


# What a layer of each category keeps, for the messages that are about the instance itself.
STATE = {"stats": "moving statistics", "weights": "weights", "table": "table",
         "model": "weights"}


def describe(finding: Finding) -> str:
    """The class as the user wrote it, with the Keras class it derives from when they differ."""
    cls, layer = finding.args["cls"], finding.args["layer"]
    return cls if cls == layer else f"{cls}, a {layer}"
