"""Which files the command picks: .gitignore read as git reads it, excludes as flake8 reads them."""

import os
import shutil
import subprocess

import pytest
from gitcheck import git_ignored, ignored

from flake8_keras_reuse.command.files import GitIgnore, excluded, normalize_patterns

GITIGNORE = """\
# comment
*.log
build/
/anchored.py
docs/*.py
**/deep/*.py
gen_*.py
!gen_keep.py
a/**/z.py
cache/**
\\#hash.py
spaces.py\\\x20
[abc]x.py
[!0-9]y.py
"""
NESTED = "!docs/kept.py\nlocal.py\n"
PATHS = [
    "x.log",
    "sub/x.log",
    "build",
    "sub/build",
    "build.py",
    "anchored.py",
    "sub/anchored.py",
    "docs/a.py",
    "docs/sub/a.py",
    "deep/b.py",
    "sub/deep/b.py",
    "gen_a.py",
    "sub/gen_a.py",
    "gen_keep.py",
    "a/z.py",
    "a/b/c/z.py",
    "cache/x.py",
    "cache",
    "#hash.py",
    "spaces.py ",
    "ax.py",
    "dx.py",
    "zy.py",
    "1y.py",
    "sub/local.py",
    "local.py",
    "sub/docs/kept.py",
]
DIRS = {"build", "sub/build", "cache"}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_gitignore_verdicts_match_git(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text(GITIGNORE)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".gitignore").write_text(NESTED)
    for rel in DIRS:
        (tmp_path / rel).mkdir(parents=True, exist_ok=True)
    by_git = git_ignored(tmp_path, PATHS)
    ignore = GitIgnore(str(tmp_path))
    ours = {rel for rel in PATHS if ignored(ignore, tmp_path, rel, DIRS)}
    assert ours == by_git
    assert len(by_git) >= 12


def test_exclude_patterns_are_flake8s(tmp_path):
    patterns = normalize_patterns(["build", "*_pb2.py", "src/vendored", "./notes"], str(tmp_path))
    assert patterns[2] == os.path.join(str(tmp_path), "src", "vendored")
    assert excluded(str(tmp_path / "x" / "build"), patterns)
    assert excluded("deep/api_pb2.py", patterns)
    assert excluded(str(tmp_path / "src" / "vendored"), patterns)
    assert not excluded(str(tmp_path / "other" / "src" / "vendored"), patterns)
    assert excluded(str(tmp_path / "notes"), patterns)
    assert not excluded("builder.py", patterns)


@pytest.mark.parametrize("name", ["build", "x/build/y.py", "api_pb2.py", "a[b].py", "we.ird", "."])
def test_exclude_agrees_with_flake8s_matcher(tmp_path, name):
    """One compiled expression for all patterns decides as flake8's pattern-at-a-time loop."""
    from flake8.utils import matches_filename

    raw = ["build", "*_pb2.py", "a[[]b].py", "we?ird", "./x/build", ".*"]
    patterns = normalize_patterns(raw, str(tmp_path))
    path = os.path.join(str(tmp_path), name)
    flake8s = matches_filename(path, patterns, log_message="%(path)s %(whether)s", logger=_LOG)
    assert excluded(path, patterns) == flake8s
    assert not excluded(path, [])


_LOG = __import__("logging").getLogger("test")
