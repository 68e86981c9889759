"""Rewrite the golden message files of tests/fixtures (see tests/goldens.py) from the current
findings: `python tools/update_goldens.py`. Review `git diff tests/fixtures` before committing."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]
os.environ.setdefault("KERAS_REUSE_RAISE", "1")  # an internal error must not become a golden

from goldens import golden_fixtures, golden_path, update  # noqa: E402


def main():
    changed = [f for f in golden_fixtures() if update(f)]
    for fixture in changed:
        print(f"updated {golden_path(fixture).relative_to(ROOT)}")
    print(f"{len(changed)} golden file(s) changed")


if __name__ == "__main__":
    main()
