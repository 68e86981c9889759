"""`# noqa` as flake8 reads it, so a comment silences the same findings under both front ends.

The expressions and the rules are flake8's (flake8/defaults.py, processor.py, violation.py):
- a finding is silenced by `# noqa` (any case) on its line, or by `# noqa: CODES` naming its
  code or a prefix of it (`# noqa: KR` silences every KR code);
- "its line" is the whole run of physical lines that one token spans, so a `# noqa` after a
  multi-line string or a backslash continuation covers every line of it;
- a line that is only `# flake8: noqa` skips the whole file.
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import Dict, List, Optional

INLINE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)
# FILE at the start of any line, in one scan of the text: a match's leading whitespace may
# span blank lines, but then the line holding the comment matches FILE too.
_FILE_ANYWHERE = re.compile(r"^" + FILE.pattern, re.IGNORECASE | re.MULTILINE)
_CODES_SEPARATORS = re.compile(r"[,\s]")


class Noqa:
    """The `# noqa` comments of one source text."""

    def __init__(self, source: str):
        self.source = source
        self._lines: Optional[List[str]] = None
        self._mapping: Optional[Dict[int, str]] = None
        self._last: Dict[int, int] = {}
        self._any: Optional[bool] = None

    @property
    def lines(self) -> List[str]:
        """flake8's lines: split at "\n" only (str.splitlines also splits at \f, \x1c, ...);
        split on first use, as most files have no finding to look up."""
        if self._lines is None:
            self._lines = io.StringIO(self.source).readlines()
        return self._lines

    def skips_file(self) -> bool:
        return _FILE_ANYWHERE.search(self.source) is not None

    def silences(self, code: str, line: int) -> bool:
        if self._any is None:
            # A line is part of the source: with no noqa comment anywhere, none silences and
            # the file is never tokenized (most files have none; tokenizing was a third of an
            # editor's check of a large one).
            self._any = INLINE.search(self.source) is not None
        if not self._any:
            return False
        text = self._line_for(line)
        match = INLINE.search(text)
        if match is None:
            return False
        codes = match.group("codes")
        if codes is None:
            return True
        named = {c for c in _CODES_SEPARATORS.split(codes) if c}
        return code in named or code.startswith(tuple(named))

    def comment_line(self, line: int) -> int:
        """Where a `# noqa` for `line` goes: the last line its tokens span (after a multi-line
        string or a backslash continuation; the line itself otherwise)."""
        if self._mapping is None:
            self._mapping = self._logical_ranges()
        return self._last.get(line, line)

    def _line_for(self, line: int) -> str:
        if self._mapping is None:
            self._mapping = self._logical_ranges()
        found = self._mapping.get(line)
        if found is None:  # flake8 falls back to the physical line (linecache)
            found = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return found

    def _logical_ranges(self) -> Dict[int, str]:
        """Each line -> the text of the lines its tokens span (flake8's _noqa_line_mapping)."""
        ranges: Dict[int, str] = {}
        first, last = len(self.lines) + 2, -1
        try:
            for token in tokenize.generate_tokens(io.StringIO("".join(self.lines)).readline):
                if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                    continue
                first = min(first, token.start[0])
                last = max(last, token.end[0])
                if token.type in (tokenize.NL, tokenize.NEWLINE):
                    joined = "".join(self.lines[first - 1 : last])
                    ranges.update(dict.fromkeys(range(first, last + 1), joined))
                    self._last.update(dict.fromkeys(range(first, last + 1), last))
                    first, last = len(self.lines) + 2, -1
        except (tokenize.TokenError, SyntaxError):
            self._last = {}
            return {}
        return ranges
