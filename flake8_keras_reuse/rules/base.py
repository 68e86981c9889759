"""What every rule is made of: its record (pylint's `msgs`, ruff's rule metadata) and the pieces
their messages share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Optional, Protocol, Tuple

from ..findings import Finding
from ..knowledge.catalog import LayerClass

DOCS = "https://github.com/flake8-keras-reuse/flake8-keras-reuse#"

# (cell, line within the cell) for a line of the checked module: the notebook front end's map.
Locate = Callable[[int], Tuple[int, int]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str  # a short kebab-case name, as pylint's symbols
    summary: str  # one line: what it finds
    anchor: str  # the README section of its rule page
    message: Callable[[Finding, Place], str]  # the text of one of its findings, without the code
    # "bug": a finding is wrong code (a crash, mixed statistics, a slip); "review": sharing
    # that may be deliberate, for a person to judge.
    severity: str = "review"

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


# What the rules read of the analysis's records (core/walk/values.Reuse, core/owners.Binding,
# resolution/resolver.Held): structural types, so the rules never import the core.
class Held(Protocol):
    """The resolved class of a layer: as the user wrote it, and the Keras class it is."""

    @property
    def name(self) -> str: ...
    @property
    def layer(self) -> LayerClass: ...


class Reuse(Protocol):
    """A call site that runs a layer again (core/walk/values.Reuse)."""

    @property
    def line(self) -> int: ...
    @property
    def col(self) -> int: ...
    @property
    def first_line(self) -> int: ...
    @property
    def in_loop(self) -> bool: ...
    @property
    def via(self) -> str: ...
    @property
    def same_input(self) -> bool: ...
    @property
    def shown(self) -> str: ...
    @property
    def listed(self) -> bool: ...
    @property
    def separate(self) -> bool: ...
    @property
    def end_line(self) -> Optional[int]: ...
    @property
    def end_col(self) -> Optional[int]: ...


class Binding(Protocol):
    """A second owner for one instance (core/owners.Binding)."""

    @property
    def line(self) -> int: ...
    @property
    def col(self) -> int: ...
    @property
    def shown(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def first_line(self) -> int: ...
    @property
    def owner_class(self) -> object: ...
    @property
    def borrows_layers(self) -> bool: ...


# What a layer of each category keeps, for the messages that are about the instance itself.
STATE = {"stats": "moving statistics", "weights": "weights", "table": "table", "model": "weights"}


def layer_args(reuse: Reuse, held: Held) -> Dict[str, str]:
    """The message fields every finding of a reused layer carries: how it is written, its
    class and the Keras class behind it, and the helper the call goes through."""
    return {
        "attr": reuse.shown,
        "cls": held.name,
        "layer": held.layer.name,
        "category": held.layer.category,
        "via": reuse.via,
    }


def through(helper: str) -> str:
    """Where a call runs the layer from: " through build()", or nothing for a direct call."""
    if not helper:
        return ""
    return " through a lambda" if helper == "<lambda>" else f" through {helper}()"


def describe(finding: Finding) -> str:
    """The class as the user wrote it, with the Keras class it derives from when they differ."""
    cls, layer = str(finding.args["cls"]), str(finding.args["layer"])
    return cls if cls == layer else f"{cls}, a {layer}"
