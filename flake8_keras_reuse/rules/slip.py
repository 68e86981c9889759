"""KR006: a layer called again while its twin, built beside it, is never used: a copy-paste slip.

`self.norm1` at both positions of a block that builds `norm1` and `norm2` is almost always a
typo for `norm2` (core/twins.py finds the twin). It replaces KR001/KR002/KR005 at that call;
a crash the sizes prove is named in the message.
"""

from __future__ import annotations

from typing import Optional

from ..findings import Finding, Related
from .base import Place, Rule, describe

MESSAGE = (
    "'{attr}' ({cls}) is called again here{crash}, and its twin '{twin}' ({twin_line}) is "
    "never called: did you mean it?"
)


def decide(finding: Finding, twin: str, twin_line: int) -> Optional[Finding]:
    """The slip a KR001/KR002/KR005 finding of a class attribute is, when it has a twin."""
    if finding.code not in ("KR001", "KR002", "KR005") or finding.kind not in ("again",):
        return None
    crash = ""
    if finding.code == "KR005":
        crash = (
            f" on {finding.args['gets']} channels, built for {finding.args['built']}"
            " (this call raises)"
        )
    return Finding(
        "KR006",
        finding.line,
        finding.col,
        "twin",
        args={
            **finding.args,
            "twin": twin,
            "crash": crash,
        },
        related=(*finding.related, Related(twin_line, role="twin")),
        end_line=finding.end_line,
        end_col=finding.end_col,
        severity="bug",
    )


def message(finding: Finding, first: Place) -> str:
    args = finding.args
    twin_line = next((r.line for r in finding.related if r.role == "twin"), None)
    where = Place(twin_line, first.locate)
    return MESSAGE.format(
        attr=args["attr"],
        cls=describe(finding),
        crash=args.get("crash", ""),
        twin=args["twin"],
        twin_line=f"{where:on}".replace("on line", "line"),
    )


RULE = Rule(
    "KR006",
    "unused-twin-slip",
    "A layer is called again while its twin, built beside it, is never called",
    "kr006-a-layer-is-called-again-while-its-twin-is-never-called",
    message,
    severity="bug",
)
