"""`per-file-ignores`, with flake8's syntax and semantics, so one setting means the same to
`flake8` and to `keras-reuse`.

- The value maps patterns to codes: `tests/*:KR001,KR002 legacy.py:KR`, or one entry per line
  as a config file writes it (in pyproject also a list of such strings, or ruff's table
  `{"tests/*" = ["KR001"]}`). Several patterns may share codes: `a.py, b.py: KR001`.
- A pattern matches a file as `exclude` does (its name, or its path when it holds a `/`,
  from the configuration's folder or, on the command line, the current one).
- Patterns that get no codes are dropped (`a.py: b.py:KR001` ignores KR001 in b.py only).
- Of the patterns that match a file, the longest one applies (the first of equal ones), and
  its codes are added to `extend-ignore` for that file: flake8 keeps one style guide per
  pattern and picks the most specific, it does not add them up.
"""

from __future__ import annotations

import fnmatch
import os
import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

Entry = Tuple[str, Tuple[str, ...]]  # (pattern, codes)

# The words of a value, tried in this order at each position. A word is a code when it is
# capitals then digits and ends at a separator or the end (flake8's rule: `KR001` is a code,
# `KR001.py`, `README` before a colon and `tests/*` are patterns).
_TOKENS = (
    ("code", re.compile(r"[A-Z]+[0-9]*(?=$|[\s,])")),
    ("pattern", re.compile(r"[^\s:,]+")),
    ("colon", re.compile(r"\s*:\s*")),
    ("separator", re.compile(r"\s*,\s*|\s+")),
)


class PerFileError(ValueError):
    pass


def parse(value: Union[str, Sequence[str], Dict[str, object]]) -> List[Entry]:
    """The (pattern, codes) entries of a setting, in the order written.

    As flake8 reads it: patterns, a colon, codes; a pattern after codes starts the next
    entry; patterns that get no codes are dropped; anything else is an error."""
    if isinstance(value, dict):
        text = "\n".join(f"{pattern}:{_codes_text(codes)}" for pattern, codes in value.items())
    elif isinstance(value, str):
        text = value
    else:
        text = "\n".join(value)
    entries: List[Entry] = []
    patterns: List[str] = []
    codes: List[str] = []
    in_codes = False
    for kind, word in _words(text):
        if kind == "separator":
            continue
        if not in_codes:
            if kind == "colon":
                in_codes = True
            elif kind == "pattern":
                patterns.append(word)
            else:  # a code before any colon
                raise _error(text)
        elif kind == "code":
            codes.append(word)
        elif kind == "pattern":  # the next entry
            entries.extend((pattern, tuple(codes)) for pattern in patterns if codes)
            patterns, codes, in_codes = [word], [], False
        else:  # a second colon
            raise _error(text)
    if patterns and not in_codes:
        raise _error(text)
    entries.extend((pattern, tuple(codes)) for pattern in patterns if codes)
    return entries


def _words(text: str) -> List[Tuple[str, str]]:
    words, position = [], 0
    while position < len(text):
        for kind, regex in _TOKENS:
            match = regex.match(text, position)
            if match:
                words.append((kind, match.group().strip()))
                position = match.end()
                break
        else:  # pragma: no cover - every character starts one of the tokens
            raise _error(text)
    return words


def _codes_text(codes: object) -> str:
    if isinstance(codes, str):
        return codes
    if isinstance(codes, list) and all(isinstance(code, str) for code in codes):
        return ",".join(codes)
    raise PerFileError("a table's values must be codes: a string or a list of strings")


def _error(text: str) -> PerFileError:
    shown = " ".join(text.split())
    return PerFileError(
        f"expected patterns, a colon and codes, as flake8's per-file-ignores (`tests/*:KR001 "
        f"legacy.py:KR`), got {shown!r}"
    )


class PerFile:
    """The codes `per-file-ignores` adds to `extend-ignore` for a file."""

    def __init__(self, entries: Iterable[Entry], parent: str) -> None:
        self.entries: List[Tuple[str, Tuple[str, ...], re.Pattern[str]]] = []
        for pattern, codes in entries:
            if pattern == "." or "/" in pattern or os.sep in pattern:
                pattern = os.path.abspath(os.path.join(parent, pattern))
            regex = re.compile(fnmatch.translate(os.path.normcase(pattern)))
            self.entries.append((pattern, codes, regex))

    def __bool__(self) -> bool:
        return bool(self.entries)

    def codes_for(self, path: str) -> Optional[Tuple[str, ...]]:
        """The codes of the longest pattern matching `path`, or None when none matches."""
        name = os.path.normcase(os.path.basename(path))
        full = os.path.normcase(os.path.abspath(path))
        best: Optional[Tuple[str, Tuple[str, ...]]] = None
        for pattern, codes, regex in self.entries:
            if (name not in (".", "..") and regex.match(name)) or regex.match(full):
                if best is None or len(pattern) > len(best[0]):
                    best = (pattern, codes)
        return best[1] if best else None
