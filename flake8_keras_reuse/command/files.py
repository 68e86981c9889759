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
import functools
import os
import re
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

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
    if not patterns:
        return False
    matches = _matcher(tuple(patterns))
    name = os.path.basename(path)
    if name not in (".", "..") and matches(os.path.normcase(name)):
        return True
    return matches(os.path.normcase(os.path.abspath(path))) is not None


@functools.lru_cache(maxsize=8)
def _matcher(patterns: Tuple[str, ...]) -> Callable[[str], Optional[re.Match[str]]]:
    """fnmatch.fnmatch against every pattern, as one expression: the walk asks for each
    file and folder, and a pattern at a time was a tenth of a run over a large tree."""
    either = "|".join(f"(?:{fnmatch.translate(os.path.normcase(p))})" for p in patterns)
    return re.compile(either).match


def find_files(
    paths: Sequence[str],
    exclude: Sequence[str],
    respect_gitignore: bool = True,
    unreadable: Optional[List[Tuple[str, str]]] = None,
) -> List[str]:
    """The files to check, as display paths, sorted and without repeats. A folder that cannot
    be listed is added to `unreadable` as (path, error), to be reported, never skipped
    silently. The walk keeps its own stack: a tree of any depth is walked (os.walk recursed,
    and a 1,100-deep tree was a RecursionError)."""
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
        folders = [top]
        while folders:
            folder = folders.pop()
            try:
                with os.scandir(folder) as listing:
                    entries = list(listing)
            except OSError as exc:
                if unreadable is not None:
                    unreadable.append((folder, f"{type(exc).__name__}: {exc.strerror or exc}"))
                continue
            for entry in entries:
                path = os.path.join(folder, entry.name)
                try:
                    is_dir = entry.is_dir()
                    link = entry.is_symlink()
                except OSError:
                    continue
                if is_dir:
                    # As os.walk: a link to a folder is never followed.
                    if not link and not _skip(path, True, exclude, ignore):
                        folders.append(path)
                elif entry.name.endswith(SUFFIXES) and not _skip(path, False, exclude, ignore):
                    found.add(os.path.normpath(path))
    return sorted(found)


def _skip(path: str, is_dir: bool, exclude: Sequence[str], ignore: Optional[GitIgnore]) -> bool:
    return excluded(path, exclude) or (ignore is not None and ignore.ignores(path, is_dir))


class GitIgnore:
    """git's ignore rules for the files under one folder: the `.gitignore` of each folder from
    the work tree's root (the nearest folder above holding `.git`, else the folder itself) down,
    and `.git/info/exclude`. The last matching pattern wins, deeper files over shallower ones."""

    def __init__(self, top: str) -> None:
        top = os.path.abspath(top)
        self.root = _work_tree(top) or top
        self._rules: Dict[str, List[Rule]] = {}  # folder -> its rules
        self._above: Dict[str, List[str]] = {}  # folder -> the folders with rules down to it

    def ignores(self, path: str, is_dir: bool) -> bool:
        path = os.path.abspath(path)
        verdict = False
        for folder in self._rule_folders(os.path.dirname(path)):
            relative = path[len(folder) :].lstrip(os.sep).replace(os.sep, "/")
            for regex, negated, dir_only in self._rules_of(folder):
                if (is_dir or not dir_only) and regex.match(relative):
                    verdict = not negated
        return verdict

    def _rule_folders(self, folder: str) -> List[str]:
        """The folders with rules from the root down to `folder`, remembered per folder, so a
        deep tree costs its depth once, not once per file (that was cubic in the depth)."""
        climb = []
        while folder not in self._above:
            if folder != self.root and not folder.startswith(self.root.rstrip(os.sep) + os.sep):
                self._above[folder] = []  # outside the work tree: no rules
                break
            climb.append(folder)
            if folder == self.root:
                break
            folder = os.path.dirname(folder)
        for below in reversed(climb):
            parent = self._above.get(os.path.dirname(below), []) if below != self.root else []
            self._above[below] = parent + [below] if self._rules_of(below) else parent
        return self._above[climb[0]] if climb else self._above[folder]

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
    if body is None:  # a pattern git rejects (an unknown [:class:]) matches nothing
        return None
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(prefix + body + r"\Z", re.DOTALL), negated, dir_only


# POSIX classes of git's wildmatch, as regex class members (ASCII, as git's ctype).
_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "\\x21-\\x7e",
    "lower": "a-z",
    "print": "\\x20-\\x7e",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9a-fA-F",
}


def _translate(pattern: str) -> Optional[str]:
    """A gitignore pattern as a regex over a '/'-separated path, as git's wildmatch with
    WM_PATHNAME reads it: `*`, `?` and brackets never match '/'; `**` as a whole component
    (`**/x`, `x/**`, `a/**/b`) spans any number of folders, and elsewhere any text (what `git
    check-ignore` does, whatever gitignore(5) says). None when git would
    reject the pattern (an unknown class, an unterminated bracket, a trailing backslash)."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            j = i
            while j < n and pattern[j] == "*":
                j += 1
            whole = (
                j - i >= 2 and (i == 0 or pattern[i - 1] == "/") and (j == n or pattern[j] == "/")
            )
            if j - i == 1:
                out.append("[^/]*")
            elif not whole:  # `foo**/x`: git's wildmatch lets these cross folders too
                out.append(".*")
            elif j == n:  # `x/**`: everything inside (`**` alone: everything)
                out.append(".*")
            else:  # `**/`: any number of folders, none included
                out.append("(?:.*/)?")
                j += 1
            i = j
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            translated = _bracket(pattern, i)
            if translated is None:
                return None
            regex, i = translated
            out.append(regex)
        elif c == "\\":
            if i + 1 == n:
                return None
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def _bracket(pattern: str, start: int) -> Optional[Tuple[str, int]]:
    """The bracket expression at `start` as (regex, index after it); ranges whose ends are
    reversed match nothing (as in git), never an error."""
    i, n = start + 1, len(pattern)
    negated = i < n and pattern[i] in "!^"
    if negated:
        i += 1
    members, first = [], True
    while i < n and (first or pattern[i] != "]"):
        first = False
        if pattern.startswith("[:", i):
            end = pattern.find(":]", i + 2)
            if end == -1:
                return None
            name = pattern[i + 2 : end]
            if name not in _CLASSES:
                return None
            members.append(_CLASSES[name])
            i = end + 2
            continue
        c = pattern[i]
        if c == "\\":
            if i + 1 == n:
                return None
            c = pattern[i + 1]
            i += 1
        i += 1
        if i + 1 < n and pattern[i] == "-" and pattern[i + 1] != "]":
            hi = pattern[i + 1]
            if hi == "\\" and i + 2 < n:
                hi = pattern[i + 2]
                i += 1
            i += 2
            # git matches the range's first end as itself, then the range if it is in order.
            members.append(f"{re.escape(c)}-{re.escape(hi)}" if c <= hi else re.escape(c))
            continue
        members.append(re.escape(c))
    if i >= n:  # never closed
        return None
    body = "".join(members)
    if negated:
        return f"[^/{body}]", i + 1
    return (f"(?!/)[{body}]" if body else "(?!)"), i + 1
