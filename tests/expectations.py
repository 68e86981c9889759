"""Reading `# expect: KR001:13` comments: the verdict written on the line it concerns.

Each code may carry the column flake8 prints (from 1, in UTF-8 bytes), as bugbear's `# B020: 4`:
`# expect: KR001:9, KR002:20`. A code without a column (`# expect: KR001`) is checked on its line
only. One code may be listed twice on a line with two columns, for two findings there.
"""

import pathlib
import re
import sys
from typing import NamedTuple, Optional

_ONE = r"[A-Z]+[0-9]+(?:\s*:\s*[0-9]+)?"
EXPECT = re.compile(r"#\s*expect:\s*(" + _ONE + r"(?:\s*,\s*" + _ONE + r")*)")
FIXTURES = pathlib.Path(__file__).parent / "fixtures"


class Expect(NamedTuple):
    line: int
    code: str
    col: Optional[int]  # from 1, as flake8 prints it; None: any column


def expectations(path):
    """Every `# expect:` entry of a fixture file, in line order."""
    found = []
    for row, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            for item in match.group(1).split(","):
                code, _, col = item.partition(":")
                found.append(Expect(row, code.strip(), int(col) if col.strip() else None))
    return found


def expected(path):
    """{(line, code)} that a fixture file says must be reported."""
    return {(e.line, e.code) for e in expectations(path)}


def compare(path, findings):
    """(missing, extra): the expectations no finding meets and the findings no expectation
    names, each as sorted (line, code[, col]) tuples; columns are compared where the fixture
    gives one for that line and code. `findings` are (line, code, col-from-1) triples."""
    wants = expectations(path)
    with_col = {(e.line, e.code) for e in wants if e.col is not None}

    def key(line, code, col):
        return (line, code, col) if (line, code) in with_col else (line, code)

    want = {key(*e) for e in wants}
    got = {key(*f) for f in findings}
    return sorted(want - got), sorted(got - want)


# What Keras itself shows about a line, proven by tests/test_keras_oracle.py: a Python
# expression over the fixture's own names and the oracle runner's helpers (nodes, shared,
# calls, ...), true when the claim holds:
#     y = head(b)  # expect: KR002:5  # keras: nodes(head) == 2
# On a line with a finding it backs the finding; on a line without one, the silence.
CLAIM = re.compile(r"#\s*keras:\s*(.+?)\s*$")


def claims(path):
    """{line: the Keras claim written on it} for a fixture file."""
    found = {}
    for row, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = CLAIM.search(line)
        if match:
            found[row] = match.group(1)
    return found


REQUIRES = re.compile(r"^# requires-python: (\d+)\.(\d+)")


def runs_here(path):
    """Whether this Python can parse the fixture (`# requires-python: 3.10` on its first line)."""
    match = REQUIRES.match(path.read_text(encoding="utf-8"))
    return not match or sys.version_info[:2] >= (int(match[1]), int(match[2]))


def fixture_files():
    """Every fixture module this Python can parse, the project's package modules included."""
    return sorted(p for p in FIXTURES.rglob("*.py") if runs_here(p))


def needs_keras():
    """Skip a module that runs real Keras, but only where CI says Keras is left out on purpose
    (KERAS_REUSE_NO_KERAS=1, the legs that test the oldest and newest Python): anywhere else a
    missing Keras is a failure, not a silent skip."""
    import importlib.util
    import os

    import pytest

    missing = importlib.util.find_spec("keras") is None
    return pytest.mark.skipif(
        missing and os.environ.get("KERAS_REUSE_NO_KERAS") == "1",
        reason="Keras is left out of this CI leg (KERAS_REUSE_NO_KERAS=1)",
    )
