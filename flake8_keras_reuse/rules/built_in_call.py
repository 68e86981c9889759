"""KR003: a layer with variables constructed inside the forward pass.

Every call makes new, untrained variables: Keras tracks them badly or not at all, and
tf.function rejects creating variables after the first trace.
"""

from __future__ import annotations

import ast
from typing import Optional

from ..findings import Finding
from ..knowledge.catalog import STATEFUL
from .base import STATE, Held, Place, Rule, describe

TEMPLATE = (
    "'{name}' ({cls}) is constructed inside the forward pass: every call makes new, "
    "untrained {state} that Keras tracks badly or not at all, and tf.function rejects. "
    "Create it once in __init__ or build() and call it here."
)


def decide(call: ast.Call, name: str, held: Optional[Held]) -> Optional[Finding]:
    """The finding for a construction `call` of `name` in the forward pass, of class `held`."""
    if not held or held.layer.category not in STATEFUL:
        return None
    return Finding(
        "KR003",
        call.lineno,
        call.col_offset,
        "constructed",
        args={
            "name": name,
            "cls": held.name,
            "layer": held.layer.name,
            "category": held.layer.category,
        },
        end_line=call.end_lineno,
        end_col=call.end_col_offset,
    )


def message(finding: Finding, first: Place) -> str:
    return TEMPLATE.format(
        name=finding.args["name"], cls=describe(finding), state=STATE[str(finding.args["category"])]
    )


RULE = Rule(
    "KR003",
    "layer-built-in-call",
    "A layer with variables is constructed in the forward pass",
    "kr003-a-layer-with-variables-is-constructed-in-the-forward-pass",
    message,
    severity="bug",
)
