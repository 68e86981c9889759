"""Which files the `keras-reuse` command checks: Python files and notebooks under the paths given.

- `exclude` patterns are flake8's: a pattern matches a file or folder by its name
  (`build`, `*_pb2.py`) or, when it holds a `/`, by its path from the configuration's folder
  (or, on the command line, the current one). They apply to named files too, as in flake8, so
  an excluded file stays excluded when pre-commit names it.
- `.gitignore` files (and `.git/info/exclude`) are read as git reads them, from the work tree's
  root down, when walking folders; a file named on the command line is checked even if git
  ignores it.
"""
from __future__ import annotations

import fnmatch
import os
import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

Rule = Tuple["re.Pattern[str]", bool, bool]  # (regex, negated, dir_only) of one .gitignore line

SUFFIXES = (".py", ".ipynb")


class PathError(Exception):
    """A path given on the command line does not exist."""


def normalize_patterns(patterns: Iterable[str], parent: str) -> List[str]:
    """flake8's normalize_paths: a pattern with a separator becomes absolute from `parent`."""
    out = []
    for pattern in patterns:
        if pattern == "." or "/" in pattern or os.sep in pattern:
            pattern = os.path.abspath(os.path.join(parent, pattern))
        out.append(pattern.rstrip("/" + os.sep) or pattern)
    return out


def excluded(path: str, patterns: Sequence[str]) -> bool:
    """flake8's matches_filename: the name, or the absolute path, matches a pattern."""
    name = os.path.basename(path)
    if name not in (".", "..") and any(fnmatch.fnmatch(name, p) for p in patterns):
        return True
    absolute = os.path.abspath(path)
    return any(fnmatch.fnmatch(absolute, p) for p in patterns)


def find_files(paths: Sequence[str], exclude: Sequence[str],
               respect_gitignore: bool = True) -> List[str]:
    """The files to check, as display paths, sorted and without repeats."""
    found = set()
    for top in paths:
        if not os.path.exists(top):
            raise PathError(top)
        if excluded(top, exclude):
            continue
        if not os.path.isdir(top):
            found.add(os.path.normpath(top))
            continue
        ignore = GitIgnore(top) if respect_gitignore else None
        for folder, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if not _skip(os.path.join(folder, d), True,
                                                          exclude, ignore))
            for name in files:
                path = os.path.join(folder, name)
                if name.endswith(SUFFIXES) and not _skip(path, False, exclude, ignore):
                    found.add(os.path.normpath(path))
    return sorted(found)


def _skip(path: str, is_dir: bool, exclude: Sequence[str],
          ignore: Optional[GitIgnore]) -> bool:
    return excluded(path, exclude) or (ignore is not None and ignore.ignores(path, is_dir))


class GitIgnore:
    """git's ignore rules for the files under one folder: the `.gitignore` of each folder from
    the work tree's root (the nearest folder above holding `.git`, else the folder itself) down,
    and `.git/info/exclude`. The last matching pattern wins, deeper files over shallower ones."""

    def __init__(self, top: str) -> None:
        top = os.path.abspath(top)
        self.root = _work_tree(top) or top
        self._rules: Dict[str, List[Rule]] = {}  # folder -> its rules

    def ignores(self, path: str, is_dir: bool) -> bool:
        path = os.path.abspath(path)
        verdict = False
        for folder in self._folders_above(path):
            relative = os.path.relpath(path, folder).replace(os.sep, "/")
            for regex, negated, dir_only in self._rules_of(folder):
                if (is_dir or not dir_only) and regex.match(relative):
                    verdict = not negated
        return verdict

    def _folders_above(self, path: str) -> List[str]:
        """The folders from the root down to the one holding `path`."""
        parent = os.path.dirname(path)
        relative = os.path.relpath(parent, self.root)
        if relative.startswith(".."):
            return []
        folders = [self.root]
        if relative != ".":
            for part in relative.split(os.sep):
                folders.append(os.path.join(folders[-1], part))
        return folders

    def _rules_of(self, folder: str) -> List[Rule]:
        if folder not in self._rules:
            rules: List[Rule] = []
            sources = [os.path.join(folder, ".gitignore")]
            if folder == self.root:
                sources.insert(0, os.path.join(folder, ".git", "info", "exclude"))
            for source in sources:
                try:
                    with open(source, encoding="utf-8", errors="replace") as handle:
                        rules.extend(filter(None, map(compile_pattern, handle)))
                except OSError:
                    pass
            self._rules[folder] = rules
        return self._rules[folder]


def _work_tree(folder: str) -> Optional[str]:
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def compile_pattern(line: str) -> Optional[Rule]:
    """One .gitignore line as (regex over the path relative to its folder, negated, dir_only);
    None for blank lines and comments (gitignore(5))."""
    line = line.rstrip("\n").rstrip("\r")
    stripped = re.sub(r"(?<!\\)\s+$", "", line)
    if not stripped or stripped.startswith("#"):
        return None
    negated = stripped.startswith("!")
    if negated:
        stripped = stripped[1:]
    elif stripped.startswith("\\"):
        stripped = stripped[1:] if stripped[1:2] in ("#", "!") else stripped
    dir_only = stripped.endswith("/")
    stripped = stripped.rstrip("/")
    if not stripped:
        return None
    # A slash at the start or in the middle anchors the pattern to its folder; otherwise it
    # matches at any depth.
    anchored = "/" in stripped
    stripped = stripped.lstrip("/")
    body = _translate(stripped)
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(prefix + body + r"\Z", re.DOTALL), negated, dir_only


def _translate(pattern: str) -> str:
    out, i, n = [], 0, len(pattern)
    while i < n:
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == n:
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i + 2)
            if end == -1:
                out.append(re.escape("["))
                i += 1
                continue
            inner = pattern[i + 1:end]
            if inner.startswith("!"):
                inner = "^" + inner[1:]
            out.append("[" + inner.replace("\\", "\\\\") + "]")
            i = end + 1
        elif pattern[i] == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)
