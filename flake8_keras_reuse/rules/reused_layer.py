"""KR001 and KR002: one layer instance called again in the same forward pass.

KR001 is a layer with moving statistics (BatchNormalization): a bug, whatever the shapes.
KR002 is a layer with weights, an embedding table or a whole model: a crash on another shape,
or weight sharing to review. Either hands over to KR004 when the two calls are in two models.
"""

from __future__ import annotations

from typing import Optional

from ..findings import Channels, Finding, Related
from ..knowledge.keras_api import what_fails
from . import proven_crash, two_owners
from .base import Held, Place, Reuse, Rule, describe, layer_args, through

# Categories whose reuse is reported, and by which code. The categories are derived from real
# Keras by tools/gen_catalog.py, which documents each.
REPORTED = {"stats": "KR001", "weights": "KR002", "table": "KR002", "model": "KR002"}

# What sharing does, per layer category, and the fix.
CONSEQUENCES = {
    "stats": "Its moving statistics would be shared: give each use its own instance.",
    "weights": (
        "Its weights are shared, and {fails}: give each use its own "
        "instance, or mark deliberate weight tying with '# noqa: KR002'."
    ),
    "table": (
        "Its table is shared by both uses: give each use its own instance, or mark deliberately "
        "shared embeddings with '# noqa: KR002'."
    ),
    "model": (
        "The model's weights are shared by both uses: build one model per use, or mark "
        "deliberate Siamese sharing with '# noqa: KR002'."
    ),
}

# How the reuse happens: a second call site, one site in a loop, or a second Sequential entry.
SUBJECTS = {
    "again": "'{attr}' ({cls}) is called again here{via}; first called {first:on}.",
    "loop": (
        "'{attr}' ({cls}) is called again on every pass of this loop{via} "
        "(first called {first:on}, in its first pass)."
    ),
    "listed": "'{attr}' ({cls}) is listed again here, in the same model{via}; first used "
    "{first:on}.",
}


# What equal channels prove: the call runs.
EQUAL = {
    "stats": (
        "Both inputs have {size}: this runs, and mixes both inputs' moving "
        "statistics: give each use its own instance."
    ),
    "weights": (
        "Both inputs have {size}: this runs and shares the weights; give each use "
        "its own instance, or mark deliberate weight tying with '# noqa: KR002'."
    ),
}


def decide(
    reuse: Reuse, held: Optional[Held], channels: Optional[Channels] = None
) -> Optional[Finding]:
    """The finding for a second call (`Reuse`) of a layer of the resolved class `held`;
    `channels`, what the sizes prove of its inputs (a provable crash is KR005)."""
    code = REPORTED.get(held.layer.category) if held else None
    if code is None or held is None:
        return None
    if reuse.separate:  # one instance in two models: two owners, not two calls in one pass
        return two_owners.second_model(reuse, held)
    # The same unchanged tensor through the same weights is a recomputation, not a second
    # input sharing them; statistics, though, would still be updated twice.
    if code == "KR002" and reuse.same_input:
        return None
    if channels is not None and held is not None:
        crash = proven_crash.decide(reuse, held, channels)
        if crash is not None:
            return crash
    kind = "loop" if reuse.in_loop else "listed" if reuse.listed else "again"
    equal = channels is not None and channels.verdict == "equal"
    return Finding(
        code,
        reuse.line,
        reuse.col,
        kind,
        args={
            **layer_args(reuse, held),
            **({"equal": channels.gets} if equal and channels is not None else {}),
        },
        related=(Related(reuse.first_line),),
        severity="bug" if code == "KR001" else "review",
        end_line=reuse.end_line,
        end_col=reuse.end_col,
    )


def message(finding: Finding, first: Place) -> str:
    args = finding.args
    subject = SUBJECTS[finding.kind].format(
        attr=args["attr"], cls=describe(finding), first=first, via=through(str(args["via"]))
    )
    category = str(args["category"])
    if "equal" in args and category in EQUAL:
        size = str(args["equal"])
        size = f"{size} channels" if size.isdigit() else f"the same number of channels ({size})"
        return f"{subject} {EQUAL[category].format(size=size)}"
    consequence = CONSEQUENCES[category].format(fails=what_fails(str(args["layer"])))
    return f"{subject} {consequence}"


RULES = (
    Rule(
        "KR001",
        "reused-stats-layer",
        "A layer with moving statistics is called again",
        "kr001-a-layer-with-moving-statistics-is-called-again",
        message,
        severity="bug",
    ),
    Rule(
        "KR002",
        "reused-weight-layer",
        "A layer with weights is called again",
        "kr002-a-layer-with-weights-is-called-again",
        message,
    ),
)
