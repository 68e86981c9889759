"""Reading `# expect: KR001` comments: the verdict written on the line it concerns."""
import pathlib
import re
import sys

EXPECT = re.compile(r"#\s*expect:\s*([A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)")
FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def expected(path):
    """{(line, code)} that a fixture file says must be reported."""
    found = set()
    for row, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            found.update((row, code.strip()) for code in match.group(1).split(","))
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
    return pytest.mark.skipif(missing and os.environ.get("KERAS_REUSE_NO_KERAS") == "1",
                              reason="Keras is left out of this CI leg (KERAS_REUSE_NO_KERAS=1)")
