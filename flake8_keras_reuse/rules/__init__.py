"""The rules: one module per code (its decision, its messages, its record), registered here.

`RULES` holds one record per code; the flake8 plugin, the `keras-reuse` command and the README
are all read from it. `render` turns a finding into its message.
"""

from __future__ import annotations

from typing import Dict, Optional

from ..findings import Finding
from . import built_in_call, internal_error, reused_layer, two_owners
from .base import DOCS, Locate, Place, Rule

__all__ = ["DOCS", "RULES", "Rule", "render", "text"]

RULES: Dict[str, Rule] = {
    r.code: r
    for r in (*reused_layer.RULES, built_in_call.RULE, two_owners.RULE, internal_error.RULE)
}


def render(finding: Finding, locate: Optional[Locate] = None) -> str:
    """The message of a finding, without its code; `locate` maps the lines it names to
    notebook cells."""
    return RULES[finding.code].message(finding, Place(finding.first_line, locate))


def text(finding: Finding, locate: Optional[Locate] = None) -> str:
    """The code and the message, as flake8 shows them: "KR001 'self.bn' ..."."""
    return f"{finding.code} {render(finding, locate)}"
