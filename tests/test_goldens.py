"""Each fixture's findings, as `keras-reuse --format text` words them, against its golden file
(`tests/fixtures/**/x.txt` beside `x.py`), so a change of wording, column or order is reviewed
as a diff. A fixture has a golden file if and only if it has findings.

Regenerate after a deliberate change, then read the diff before committing:

    python tools/update_goldens.py
    KERAS_REUSE_UPDATE_GOLDEN=1 python -m pytest tests/test_goldens.py   # the same, via pytest
"""

import difflib

import pytest
from expectations import FIXTURES
from goldens import UPDATE_ENV, golden_fixtures, golden_path, rendered, update, updating

FIXTURE_IDS = {"ids": lambda p: str(p.relative_to(FIXTURES))}
HOW = f"regenerate with `python tools/update_goldens.py` (or {UPDATE_ENV}=1) and review the diff"


@pytest.mark.parametrize("fixture", golden_fixtures(), **FIXTURE_IDS)
def test_messages_match_the_golden_file(fixture):
    if updating():
        update(fixture)
    golden, got = golden_path(fixture), rendered(fixture)
    rel = str(golden.relative_to(FIXTURES))
    if not got:
        assert not golden.exists(), f"{rel}: the fixture has no findings; remove it ({HOW})"
        return
    assert golden.exists(), f"{rel} is missing: the fixture has findings ({HOW})"
    want = golden.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(
            want.splitlines(True), got.splitlines(True), f"{rel} (golden)", f"{rel} (now)"
        )
    )
    assert got == want, f"messages differ from the golden file; {HOW}:\n{diff}"


def test_every_golden_file_belongs_to_a_fixture():
    # A golden file whose fixture was renamed or removed would never be compared again.
    # Every fixture counts, also those this Python cannot parse (`# requires-python: 3.10`).
    fixtures = {golden_path(f) for f in FIXTURES.rglob("*.py")}
    fixtures |= {golden_path(f) for f in FIXTURES.rglob("*.ipynb")}
    stray = [str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*.txt") if p not in fixtures]
    assert stray == []


def test_goldens_hold_findings():
    # A set of empty or missing goldens would pass everything: there must be many findings.
    goldens = [golden_path(f) for f in golden_fixtures() if golden_path(f).exists()]
    lines = [line for g in goldens for line in g.read_text(encoding="utf-8").splitlines()]
    assert len(goldens) >= 20 and len(lines) >= 100
    assert any(line.startswith("cell ") for line in lines)  # the notebook's cell labels
