"""The habits of a maintained project, checked on every CI leg: the package type-checks with
mypy (every function annotated: pyproject's [tool.mypy]) and the tree is clean and formatted
by ruff ([tool.ruff]). Each runs the real tool, as a developer would."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_mypy_finds_no_error_in_the_package():
    proc = run("mypy", "--no-incremental")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_finds_nothing_to_fix():
    proc = run("ruff", "check", "--no-cache", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_tree_is_formatted_as_ruff_formats_it():
    proc = run("ruff", "format", "--check", "--no-cache", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr
