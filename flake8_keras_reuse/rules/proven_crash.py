"""KR005: a layer called again on a provably different number of channels than it was built for.

Its variables (a BatchNormalization's statistics, a Conv2D's kernel) were made on the first
call for that call's channels; a call with other channels raises. Decided only from a proof
(core/sizes.py: sizes read from constructor arguments and `Input` shapes, compared
symbolically), and it replaces KR001/KR002 at that call.
"""

from __future__ import annotations

from typing import Optional

from ..findings import Channels, Finding, Related
from .base import Held, Place, Reuse, Rule, describe, layer_args, through

MESSAGES = {
    "again": (
        "'{attr}' ({cls}) was built for {built} channels {first:on} (after {built_from}); "
        "here{via} it gets {gets} (after {gets_from}): this call raises. Give each use its "
        "own instance."
    ),
    "loop": (
        "'{attr}' ({cls}) is built for {built} channels on this loop's first pass (after "
        "{built_from}); a second pass{via} gives it {gets} (after {gets_from}), and that call "
        "raises. Give each pass its own instance."
    ),
    "listed": (
        "'{attr}' ({cls}) was built for {built} channels where it is first listed, {first:on} "
        "(after {built_from}); here it gets {gets} (after {gets_from}): building the model "
        "raises. Give each use its own instance."
    ),
}


def decide(reuse: Reuse, held: Held, channels: Channels) -> Optional[Finding]:
    """KR005 when the sizes differ provably and the layer's variables are built for them."""
    if channels.verdict != "differ" or not channels.bound:
        return None
    return Finding(
        "KR005",
        reuse.line,
        reuse.col,
        "loop" if reuse.in_loop else "listed" if reuse.listed else "again",
        args={
            **layer_args(reuse, held),
            "built": channels.built,
            "built_from": channels.built_from,
            "gets": channels.gets,
            "gets_from": channels.gets_from,
        },
        related=(Related(channels.built_line),),
        end_line=reuse.end_line,
        end_col=reuse.end_col,
        severity="bug",
    )


def message(finding: Finding, first: Place) -> str:
    args = finding.args
    return MESSAGES[finding.kind].format(
        attr=args["attr"],
        cls=describe(finding),
        first=first,
        via=through(str(args["via"])),
        built=args["built"],
        built_from=args["built_from"],
        gets=args["gets"],
        gets_from=args["gets_from"],
    )


RULE = Rule(
    "KR005",
    "proven-shape-crash",
    "A layer is called again on another number of channels than it was built for",
    "kr005-a-layer-is-called-again-on-another-number-of-channels",
    message,
    severity="bug",
)
