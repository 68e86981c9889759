"""`--add-noqa[=REASON]`: a `# noqa: KR00x` on every line with a finding, as ruff's `--add-noqa`,
so a code base adopts the command today and CI fails only on findings that are new.

- The comment goes where flake8 reads it for the finding (command/noqa.py): the finding's
  line, or the last line of a multi-line string or backslash continuation it is in.
- A line that already has `# noqa: CODES` gets its codes added there (`# noqa: E501, KR002`);
  any other comment is kept, the directive goes after it. `REASON` follows as ` - REASON`
  (flake8 reads the codes up to the dash), on a merged directive only when it had no text after
  its codes.
- Codes are sorted, one directive per line; a second run finds nothing to add. Our own errors
  (KR900) and files that could not be checked get none: they are never to be silenced.
- The edits go through the fixes' machinery (command/fixing.py): encoding, byte-order mark and
  line endings kept, a notebook edited in its cells, never a result that does not parse.
"""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple

from ..findings import SAFE, Edit, Finding, Fix
from ..rules import internal_error
from . import notebook
from .fixing import Outcome, apply_to_module
from .lint import NOTEBOOK_SUFFIX, Linter, Unreadable, _decode, read_regular
from .noqa import INLINE, Noqa

_SEPARATORS = ", \t"


@dataclass(frozen=True)
class NoqaAdder:
    linter: Linter
    reason: str = ""  # `--add-noqa=REASON`; line breaks become spaces

    def fix_bytes(self, data: bytes, path: str) -> Outcome:
        """The file with a directive on each line with a finding; its rows those left."""
        rows = self.linter.lint_bytes(data, path)
        wanted = [
            r.finding
            for r in rows
            if r.finding is not None and r.code is not None and r.code != internal_error.RULE.code
        ]
        source = _source(data, path) if wanted else None
        if source is None or any(r.code == internal_error.RULE.code for r in rows):
            return Outcome(rows, original=data)
        fixes, silenced = directives(source, wanted, " ".join(self.reason.split()))
        if not fixes:
            return Outcome(rows, original=data)
        apply: Callable[[bytes, Sequence[Fix]], Tuple[bytes, List[Fix]]] = apply_to_module
        if path.endswith(NOTEBOOK_SUFFIX):
            from . import notebook_fixing

            apply = notebook_fixing.apply
        new, applied = apply(data, fixes)
        if not applied or new == data:
            return Outcome(rows, original=data)
        done = [f for fix in applied for f in silenced[id(fix)]]
        return Outcome(self.linter.lint_bytes(new, path), done, new, data)

    def fix_path(self, path: str) -> Outcome:
        try:
            data = read_regular(path)
        except (OSError, Unreadable):
            return Outcome(self.linter.lint_path(path))
        return self.fix_bytes(data, path)


def _source(data: bytes, path: str) -> Optional[str]:
    """The text the findings' positions are in (a notebook's joined cells)."""
    try:
        if path.endswith(NOTEBOOK_SUFFIX):
            return notebook.read(_decode(data, is_notebook=True)).source
        return _decode(data)
    except (Unreadable, notebook.NotebookError):
        return None


def directives(
    source: str, findings: Sequence[Finding], reason: str
) -> Tuple[List[Fix], Dict[int, List[Finding]]]:
    """One fix per line that takes a directive, and the findings each one silences (by the
    fix's id); none when the text cannot be tokenized (a comment could land in a string)."""
    comments, line_ends = _comments(source)
    if not line_ends:
        return [], {}
    noqa = Noqa(source)
    lines = source.split("\n")
    codes: Dict[int, Set[str]] = {}
    owners: Dict[int, List[Finding]] = {}
    for finding in findings:
        line = noqa.comment_line(finding.line)
        if line not in line_ends or not 0 < line <= len(lines):
            continue  # not a line a comment can end: the finding stays reported
        codes.setdefault(line, set()).add(finding.code)
        owners.setdefault(line, []).append(finding)
    fixes: List[Fix] = []
    silenced: Dict[int, List[Finding]] = {}
    for line in sorted(codes):
        fix = _directive(line, lines[line - 1], comments.get(line), sorted(codes[line]), reason)
        fixes.append(fix)
        silenced[id(fix)] = owners[line]
    return fixes, silenced


def _directive(line: int, text: str, comment: Optional[int], codes: List[str], reason: str) -> Fix:
    """The edit that gives `line` a directive for `codes`; `comment` is where the line's
    comment starts (a character index), if it has one."""
    description = f"# noqa: {', '.join(codes)}"
    if comment is not None:
        match = INLINE.search(text, comment)
        if match is not None and match.group("codes"):
            named = match.group("codes")
            end = match.start("codes") + len(named.rstrip(_SEPARATORS))
            comma = "," if "," in named and ", " not in named else ", "
            added = comma + comma.join(codes)
            if reason and not text[end:].strip(_SEPARATORS):
                added += f" - {reason}"
            at = _byte_col(text, end)
            return Fix(description, (Edit(line, at, line, at, added),), SAFE)
    written = f"  # noqa: {', '.join(codes)}" + (f" - {reason}" if reason else "")
    start = _byte_col(text, len(text.rstrip()))
    return Fix(description, (Edit(line, start, line, _byte_col(text, len(text)), written),), SAFE)


def _byte_col(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _comments(source: str) -> Tuple[Dict[int, int], Set[int]]:
    """{line: where its comment starts} and the lines a logical or physical line ends on (a
    comment there is outside any string); both empty when the text does not tokenize."""
    comments: Dict[int, int] = {}
    ends: Set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.start[1]
            elif token.type in (tokenize.NL, tokenize.NEWLINE):
                ends.add(token.start[0])
    except (tokenize.TokenError, SyntaxError):
        return {}, set()
    return comments, ends
