"""The rules: one module per code (its decision, its messages, its record), registered here.

`RULES` holds one record per code; the flake8 plugin, the `keras-reuse` command and the README
are all read from it. `render` turns a finding into its message.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional, Tuple

from ..findings import Finding
from . import built_in_call, internal_error, proven_crash, reused_layer, slip, two_owners
from .base import DOCS, Locate, Place, Rule

__all__ = ["DOCS", "RULES", "Rule", "merge", "render", "text"]

RULES: Dict[str, Rule] = {
    r.code: r
    for r in (
        *reused_layer.RULES,
        built_in_call.RULE,
        two_owners.RULE,
        proven_crash.RULE,
        slip.RULE,
        internal_error.RULE,
    )
}


def render(finding: Finding, locate: Optional[Locate] = None) -> str:
    """The message of a finding, without its code; `locate` maps the lines it names to
    notebook cells."""
    message = RULES[finding.code].message(finding, Place(finding.first_line, locate))
    also = finding.args.get("also")
    return f"{message} Also here: {_others(str(also).split(SEPARATOR))}." if also else message


def _others(names: List[str]) -> str:
    shown = [f"'{name}'" for name in names[:NAMED_OTHERS]]
    rest = len(names) - len(shown)
    return ", ".join(shown) + (f" and {rest} more" if rest else "")


# Past this many other instances at one position, the rest are counted, not named.
NAMED_OTHERS = 3
SEPARATOR = "\n"  # between the names in a merged finding's "also" field


def merge(findings: List[Finding]) -> List[Finding]:
    """One finding per position and code, in line order: one call that reuses several
    instances (a helper that runs five decoder layers again) is one finding naming them all,
    so one `# noqa` silences one construct. The first by its text leads."""
    groups: Dict[Tuple[int, int, str], List[Finding]] = {}
    for finding in sorted(findings, key=lambda f: (f.line, f.col, f.code, text(f))):
        groups.setdefault((finding.line, finding.col, finding.code), []).append(finding)
    merged = []
    for group in groups.values():
        lead, others = group[0], group[1:]
        names = [_name(f) for f in others if _name(f)]
        if names:
            lead = dataclasses.replace(lead, args={**lead.args, "also": SEPARATOR.join(names)})
        merged.append(lead)
    return merged


def _name(finding: Finding) -> str:
    return str(finding.args.get("attr") or finding.args.get("name") or "")


def text(finding: Finding, locate: Optional[Locate] = None) -> str:
    """The code and the message, as flake8 shows them: "KR001 'self.bn' ..."."""
    return f"{finding.code} {render(finding, locate)}"
