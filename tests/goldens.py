"""Golden message files: beside each fixture `x.py` (or `x.ipynb`) with findings, `x.txt` holds
what `keras-reuse --format text` prints for it, one finding a line, with the path left off
(`line:col: CODE message`; `cell N:line:col: ...` for a notebook). A fixture with no findings has
no golden file.

Regenerate them after a deliberate change of wording or position, then review the diff:

    python tools/update_goldens.py            # or
    KERAS_REUSE_UPDATE_GOLDEN=1 python -m pytest tests/test_goldens.py
"""

import os

from expectations import FIXTURES, fixture_files

from flake8_keras_reuse.command import formats
from flake8_keras_reuse.command.lint import Linter

UPDATE_ENV = "KERAS_REUSE_UPDATE_GOLDEN"


def updating():
    return os.environ.get(UPDATE_ENV, "") not in ("", "0")


def golden_fixtures():
    """Every fixture that has or may have a golden file: the modules and the notebooks."""
    return sorted(fixture_files() + list(FIXTURES.rglob("*.ipynb")))


def golden_path(fixture):
    return fixture.with_suffix(".txt")


def rendered(fixture):
    """The command's text report for one fixture (every KR code, `# noqa` honoured, as the
    command does), each line's leading `path:` removed."""
    report = formats.text(Linter().lint_path(str(fixture)))
    prefix = f"{fixture}:"
    lines = report.splitlines(keepends=True)
    assert all(line.startswith(prefix) for line in lines), report
    return "".join(line[len(prefix) :] for line in lines)


def update(fixture):
    """Write (or remove) the fixture's golden file; whether anything changed."""
    golden, text = golden_path(fixture), rendered(fixture)
    old = golden.read_text(encoding="utf-8") if golden.exists() else None
    if text:
        if old != text:
            golden.write_bytes(text.encode("utf-8"))
            return True
    elif old is not None:
        golden.unlink()
        return True
    return False
