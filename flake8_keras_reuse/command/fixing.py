"""`--fix` and `--diff`: the fixes findings carry, applied to one file as ruff applies its own.

A round lints the file, takes the fixes its reported findings carry (selection and `# noqa`
respected, as for the report) that the applicability allows, and applies those whose edits
overlap none applied before them in the round (the others wait for the next round, which lints
the result again). Rounds go on until no fix is left or nothing changes, at most MAX_ROUNDS. A
round whose result does not parse is refused, fix by fix, so the file never ends broken.

Edits are made on the file's own text: its encoding, byte-order mark and line endings are
kept, and an inserted line break is the one of the line it goes after. A notebook is fixed in
its cells (command/notebook_fixing.py).
"""

from __future__ import annotations

import ast
import difflib
import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence, Tuple

from ..findings import SAFE, UNSAFE, Edit, Finding, Fix
from ..rules import internal_error
from .lint import NOTEBOOK_SUFFIX, Linter, Row

MAX_ROUNDS = 10
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Outcome:
    """One file after fixing: its report, what was fixed, and its new bytes when they changed."""

    rows: List[Row]  # what is left to report
    fixed: List[Finding] = field(default_factory=list)  # the findings whose fixes were applied
    data: Optional[bytes] = None  # the fixed file; None when nothing changed
    original: bytes = b""


@dataclass(frozen=True)
class Fixer:
    linter: Linter
    unsafe: bool = False  # apply unsafe fixes too (`--unsafe-fixes`)

    def allows(self, fix: Fix) -> bool:
        return fix.applicability == SAFE or self.unsafe and fix.applicability == UNSAFE

    def fix_bytes(self, data: bytes, path: str) -> Outcome:
        """Lint, fix, lint again until nothing changes; the rows are those of the result."""
        text_of: Callable[[bytes], Optional[str]]
        apply: Callable[[bytes, Sequence[Fix]], Tuple[bytes, List[Fix]]]
        if path.endswith(NOTEBOOK_SUFFIX):
            from . import notebook_fixing  # it applies edits with this module's functions

            text_of, apply = notebook_fixing.text_of, notebook_fixing.apply
        else:
            text_of, apply = _text_of, apply_to_module
        original = data
        fixed: List[Finding] = []
        rows = self.linter.lint_bytes(data, path)
        for _ in range(MAX_ROUNDS):
            if any(r.code == internal_error.RULE.code for r in rows) or text_of(data) is None:
                break  # our own error, or a file we cannot write back as it was: left alone
            chosen = [
                r.finding
                for r in rows
                if r.finding is not None
                and r.finding.fix is not None
                and self.allows(r.finding.fix)
            ]
            if not chosen:
                break
            new, applied = apply(data, [f.fix for f in chosen if f.fix is not None])
            if not applied or new == data:
                break
            fixed.extend(f for f in chosen if any(f.fix is a for a in applied))
            data = new
            rows = self.linter.lint_bytes(data, path)
        return Outcome(rows, fixed, data if data != original else None, original)

    def fix_path(self, path: str) -> Outcome:
        """`fix_bytes` on a file read as the linter reads it; an unreadable file is its rows."""
        from .lint import Unreadable, read_regular

        try:
            data = read_regular(path)
        except (OSError, Unreadable):
            return Outcome(self.linter.lint_path(path))
        return self.fix_bytes(data, path)


# -- a Python module ---------------------------------------------------------------------------


def _encoding(data: bytes) -> Optional[str]:
    try:
        return tokenize.detect_encoding(io.BytesIO(data).readline)[0]
    except SyntaxError:
        return None


def _text_of(data: bytes) -> Optional[str]:
    encoding = _encoding(data)
    if encoding is None:
        return None
    try:
        return data.decode(encoding)
    except (UnicodeError, LookupError):
        return None


def apply_to_module(data: bytes, fixes: Sequence[Fix]) -> Tuple[bytes, List[Fix]]:
    encoding = _encoding(data)
    text = _text_of(data)
    if encoding is None or text is None:
        return data, []
    new, applied = apply_fixes(text, fixes, parses)
    try:
        return new.encode(encoding), applied
    except UnicodeError:  # an edit the encoding cannot hold: nothing is written
        return data, []


def parses(text: str) -> bool:
    try:
        ast.parse(text.lstrip("\ufeff"))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


# -- edits on text -----------------------------------------------------------------------------


class _Lines:
    """Offsets in a text for the positions of findings (lines from 1, UTF-8 byte columns),
    whatever its line endings."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        self.breaks: List[str] = []
        for match in _LINE_BREAK.finditer(text):
            self.starts.append(match.end())
            self.breaks.append(match.group(0))
        # The analysis reads the text without a byte-order mark.
        self.bom = 1 if text.startswith("\ufeff") else 0

    def line(self, number: int) -> str:
        start = self.starts[number - 1] + (self.bom if number == 1 else 0)
        end = (
            self.starts[number] - len(self.breaks[number - 1])
            if number < len(self.starts)
            else len(self.text)
        )
        return self.text[start:end]

    def offset(self, line: int, col: int) -> Optional[int]:
        if not 0 < line <= len(self.starts):
            return None
        raw = self.line(line).encode("utf-8")
        if col > len(raw):
            return None
        chars = len(raw[:col].decode("utf-8", "strict"))
        return self.starts[line - 1] + (self.bom if line == 1 else 0) + chars

    def newline(self, line: int) -> str:
        """The line break of a line (the file's first, for the last line)."""
        if line - 1 < len(self.breaks):
            return self.breaks[line - 1]
        return self.breaks[0] if self.breaks else "\n"


# An edit as offsets: (start, end, text, order of its fix).
_Span = Tuple[int, int, str, int]


def _spans(lines: _Lines, fix: Fix, order: int) -> Optional[List[_Span]]:
    spans = []
    for edit in fix.edits:
        try:
            start = lines.offset(edit.line, edit.col)
            end = lines.offset(edit.end_line, edit.end_col)
        except UnicodeDecodeError:  # a column inside a character: not ours to cut
            return None
        if start is None or end is None or end < start:
            return None
        spans.append((start, end, edit.text.replace("\n", lines.newline(edit.line)), order))
    return spans


def _overlaps(span: _Span, taken: Sequence[_Span]) -> bool:
    """Two edits conflict when their ranges share text, or one inserts inside the other's
    range; insertions at one point are all kept, in their fixes' order."""
    start, end = span[0], span[1]
    for other_start, other_end, _, _ in taken:
        if start < other_end and other_start < end:
            return True
        if start == end and other_start < start < other_end:
            return True
        if other_start == other_end and start < other_start < end:
            return True
    return False


def apply_fixes(
    text: str, fixes: Sequence[Fix], accept: Callable[[str], bool] = lambda _: True
) -> Tuple[str, List[Fix]]:
    """The text with the fixes applied that overlap none before them, and those fixes; when
    the result is refused by `accept` (it does not parse), the fixes are tried one by one."""
    lines = _Lines(text)
    planned: List[Tuple[Fix, List[_Span]]] = []
    taken: List[_Span] = []
    ordered = sorted(
        enumerate(fixes),
        key=lambda item: min(((e.line, e.col) for e in item[1].edits), default=(0, 0)),
    )
    for order, fix in ordered:
        spans = _spans(lines, fix, order)
        if not spans or any(_overlaps(s, taken) for s in spans):
            continue
        planned.append((fix, spans))
        taken.extend(spans)
    result = _splice(text, taken)
    if accept(result):
        return result, [fix for fix, _ in planned]
    kept: List[Fix] = []
    current = text
    for fix, _ in planned:  # one at a time, each on the text the kept ones made
        one, applied = apply_fixes(current, [fix])
        if applied and accept(one):
            current, kept = one, kept + applied
    return current, kept


def _splice(text: str, spans: Sequence[_Span]) -> str:
    out, position = [], 0
    for start, end, new, _ in sorted(spans, key=lambda s: (s[0], s[1], s[3])):
        out.append(text[position:start])
        out.append(new)
        position = max(position, end)
    out.append(text[position:])
    return "".join(out)


# -- reports of fixes ---------------------------------------------------------------------------


def unified_diff(path: str, before: bytes, after: bytes) -> str:
    """A diff `patch -p0` and `git apply -p0` apply, for the file as the user named it."""
    old, new = _diff_lines(before), _diff_lines(after)
    out = []
    for line in difflib.unified_diff(old, new, fromfile=path, tofile=path):
        out.append(line)
        if not line.endswith(("\n", "\r")):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def _diff_lines(data: bytes) -> List[str]:
    # surrogateescape: any bytes go through and come out as they were
    text = data.decode("utf-8", "surrogateescape")
    lines, start = [], 0
    for match in re.finditer(r"\r\n|\n|\r", text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def edits_of(finding: Finding) -> Tuple[Edit, ...]:
    return finding.fix.edits if finding.fix is not None else ()
