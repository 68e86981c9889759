"""KR900: the checker failed on this file (pylint's astroid-error, F0002).

Never a traceback and never silence that looks like a clean file: the error is a finding.
"""

from __future__ import annotations

import os
import traceback

from ..findings import Finding
from .base import Place, Rule

TEMPLATE = "flake8-keras-reuse could not check this file ({error} in {where}); please report it"

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def from_exception(exc: BaseException) -> Finding:
    """One finding on line 1 naming the exception and the innermost frame of our package."""
    where = "?"
    for frame in traceback.extract_tb(exc.__traceback__):
        path = os.path.abspath(frame.filename)
        if path.startswith(_PACKAGE + os.sep):
            where = f"{os.path.relpath(path, _PACKAGE).replace(os.sep, '/')}:{frame.lineno}"
    return Finding("KR900", 1, 0, "internal", args={"error": type(exc).__name__, "where": where})


def message(finding: Finding, first: Place) -> str:
    return TEMPLATE.format(**finding.args)


RULE = Rule(
    "KR900",
    "internal-error",
    "The checker failed on this file",
    "kr900-the-checker-failed-on-this-file",
    message,
    severity="bug",
)
