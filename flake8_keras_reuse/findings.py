"""The records every layer shares: what the analysis is given (`Settings`) and what it finds
(`Finding`), as plain data. Rendering a finding as text is the rules' job (`rules.render`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple


@dataclass(frozen=True)
class Settings:
    """What the user configured for the analysis (the `keras-reuse-*-layers` options)."""

    # Qualified class name -> layer category ("stats", "weights", "table", "harmless").
    layers: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Channels:
    """What the analysis proved of the channels a reused layer gets (core/sizes.py): the size
    its first call built it for and the size this call gives it, each with where it was set."""

    verdict: str  # "differ" (provably, for every value of the symbols) or "equal"
    built: str  # "6", "4 * growth"
    built_from: str  # "self.conv1 = Conv2D(6, ...)"
    built_line: int  # the first call's line
    gets: str
    gets_from: str
    bound: bool  # the layer's variables are built for that axis: another size raises


@dataclass(frozen=True)
class Related:
    """Another place a finding's message names: the first call, binding or owner."""

    line: int
    col: Optional[int] = None
    role: str = "first"


# How far a fix may be trusted (ruff's applicability): `--fix` applies the safe ones,
# `--unsafe-fixes` the unsafe ones too; a display-only fix is shown, never applied.
SAFE = "safe"
UNSAFE = "unsafe"
DISPLAY_ONLY = "display-only"
APPLICABILITIES = (SAFE, UNSAFE, DISPLAY_ONLY)


@dataclass(frozen=True)
class Edit:
    """Replace the text from (line, col) to (end_line, end_col) with `text` (equal positions:
    an insertion). Positions as a finding's: lines from 1, columns in UTF-8 bytes from 0;
    `text` says "\n" for a line break, whatever the file's own."""

    line: int
    col: int
    end_line: int
    end_col: int
    text: str


@dataclass(frozen=True)
class Fix:
    """An automatic fix of one finding: its edits, applied together or not at all."""

    description: str  # what it does, and for an unsafe one why it is not safe
    edits: Tuple[Edit, ...] = ()
    applicability: str = SAFE


@dataclass(frozen=True)
class Finding:
    """One finding: a code at a position, with the fields its message is made of."""

    code: str  # "KR001"
    line: int  # from 1
    col: int  # from 0, in UTF-8 bytes of the line, as flake8 counts
    kind: str  # which of the rule's messages: rules/<rule>.py's MESSAGES keys
    args: Mapping[str, str] = field(default_factory=dict, hash=False)  # the message's fields
    related: Tuple[Related, ...] = ()  # places the message names, in its order
    end_line: Optional[int] = field(default=None, compare=False)
    end_col: Optional[int] = field(default=None, compare=False)
    severity: str = "error"
    fix: Optional[Fix] = None

    @property
    def first_line(self) -> Optional[int]:
        return next((r.line for r in self.related if r.role == "first"), None)
