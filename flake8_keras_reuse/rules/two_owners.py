"""KR004: one instance bound to two owners (two attributes, two models, two containers).

Both owners share the instance and its state whatever the shapes, so training one changes the
other. Found by the ownership pass (core/owners.py: a second binding) and handed over by
KR001/KR002 when the two calls of a layer belong to two separate models.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from ..findings import Finding, Related
from ..knowledge.catalog import OWNED
from .base import STATE, Binding, Held, Place, Reuse, Rule, describe, through

MESSAGES = {
    "separate": (
        "'{name}' ({cls}) is {verb} here{via} for a second model; its use {first:on} belongs "
        "to another model, and no model holds both. Both models share one instance and its "
        "{state}: give each model its own instance, or mark deliberate sharing with "
        "'# noqa: KR004'."
    ),
    "borrowed": (
        "'{name}' ({cls}) is given to a second model here, {owner}; {model} holds those "
        "layers {first:since}. Both models share them and their weights: training one changes "
        "the other. Give the new model its own layers (keras.models.clone_model), or mark "
        "deliberate sharing with '# noqa: KR004'."
    ),
    "bound": (
        "'{name}' ({cls}) is bound again here, to {owner}; first bound {first:on}. "
        "Both owners share one instance and its {state}, whatever the channel counts: give each "
        "owner its own instance."
    ),
}


def decide(
    binding: Binding, held: Optional[Held], keeps_argument: Callable[[Any], bool]
) -> Optional[Finding]:
    """The finding for a second binding (`owners.Binding`) of an instance of class `held`;
    `keeps_argument(call)` tells whether a constructor keeps what it is given."""
    if not held or held.layer.category not in OWNED:
        return None
    if binding.owner_class is not None and not keeps_argument(binding.owner_class):
        return None
    kind = "borrowed" if binding.borrows_layers else "bound"
    return Finding(
        "KR004",
        binding.line,
        binding.col,
        kind,
        args={
            "name": binding.shown,
            "cls": held.name,
            "layer": held.layer.name,
            "category": held.layer.category,
            "owner": binding.owner,
        },
        related=(Related(binding.first_line),),
    )


def second_model(reuse: Reuse, held: Held) -> Finding:
    """KR001/KR002's hand-over: the earlier calls of the layer are in another model."""
    return Finding(
        "KR004",
        reuse.line,
        reuse.col,
        "separate",
        args={
            "name": reuse.shown,
            "cls": held.name,
            "layer": held.layer.name,
            "category": held.layer.category,
            "verb": "listed" if reuse.listed else "called",
            "via": reuse.via,
        },
        related=(Related(reuse.first_line),),
        end_line=reuse.end_line,
        end_col=reuse.end_col,
    )


def message(finding: Finding, first: Place) -> str:
    args = finding.args
    return MESSAGES[finding.kind].format(
        name=args["name"],
        cls=describe(finding),
        first=first,
        owner=args.get("owner"),
        verb=args.get("verb"),
        via=through(str(args.get("via", ""))),
        model=str(args["name"]).split(".")[0],
        state=STATE[str(args["category"])],
    )


RULE = Rule(
    "KR004",
    "two-owners",
    "One instance is bound to two owners",
    "kr004-one-instance-is-bound-to-two-owners",
    message,
)
