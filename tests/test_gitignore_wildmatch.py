"""`.gitignore` patterns read as git reads them: the command's GitIgnore against the real
`git check-ignore`, pattern by pattern, on paths chosen to tell the readings apart."""

import shutil
import subprocess

import pytest
from gitcheck import git_ignored, ignored

from flake8_keras_reuse.command.files import GitIgnore

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

PATTERNS = [
    "*.py",
    "a.py",
    "/a.py",
    "sub/",
    "sub",
    "sub/*.py",
    "sub/**",
    "**/b.py",
    "**/sub/b.py",
    "a/**/b.py",
    "x/**/y/*.py",
    "foo**/bar.py",
    "f**o.py",
    "***.py",
    "**",
    "s?b/a.py",
    "?.py",
    "[ab].py",
    "[!ab].py",
    "[^ab].py",
    "[a-c].py",
    "[z-a].py",
    "[]a].py",
    "[!]a].py",
    "[[:alpha:]].py",
    "[[:digit:]].py",
    "[[:upper:]a].py",
    "[[:bogus:]].py",
    "[a",
    "a[",
    "\\[a].py",
    "a\\*.py",
    "[a-].py",
    "[-a].py",
    "*.py\\ ",
    "a.py   ",
    "#a.py",
    "\\#a.py",
    "!a.py",
    "sub/a.py/",
    "sub\\/a.py",
    "[/].py",
    "s[/]b/a.py",
    "a.p[y]",
    "*/a.py",
    "*/*/a.py",
]
PATHS = [
    "a.py",
    "b.py",
    "c.py",
    "d.py",
    "A.py",
    "1.py",
    "-.py",
    "].py",
    "[a].py",
    "a*.py",
    "#a.py",
    "!a.py",
    "a.py ",
    "ab.py",
    "foo.py",
    "fo.py",
    "sub/a.py",
    "sub/b.py",
    "sub/c/b.py",
    "deep/sub/b.py",
    "a/b.py",
    "a/x/b.py",
    "a/x/y/b.py",
    "x/y/z.py",
    "x/q/y/z.py",
    "foox/bar.py",
    "foo/bar.py",
    "fooo/x/bar.py",
    "sib/a.py",
    "s/b/a.py",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_gitignore_patterns_match_what_git_ignores(tmp_path, pattern):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=60)
    (tmp_path / ".gitignore").write_text(pattern + "\n", encoding="utf-8")
    for path in PATHS:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x = 1\n")
    expected = git_ignored(tmp_path, PATHS)
    ignore = GitIgnore(str(tmp_path))

    got = {path for path in PATHS if ignored(ignore, tmp_path, path)}
    assert got == expected, (pattern, sorted(got - expected), sorted(expected - got))
