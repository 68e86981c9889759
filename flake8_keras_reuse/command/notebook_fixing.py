"""Fixes in a notebook: made in its cells, the rest of its JSON left byte for byte.

The fixes are chosen on the notebook's module (its code cells joined, as it is checked), so
overlaps and the parse check see every cell at once; each edit is then moved to its cell and
made on that cell's own source, and only the changed cells' `source` values are written again,
in the layout they had (a list of lines or one string, with its indentation).
"""

from __future__ import annotations

import json
import re
from typing import Dict, List, Optional, Sequence, Tuple

from ..findings import Edit, Fix
from . import notebook
from .fixing import apply_fixes, parses

_BOM = b"\xef\xbb\xbf"


def text_of(data: bytes) -> Optional[str]:
    """The notebook's text, when its cells' sources can be found in it to be written again."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeError:
        return None
    return text if notebook.source_spans(text) else None


def apply(data: bytes, fixes: Sequence[Fix]) -> Tuple[bytes, List[Fix]]:
    text = text_of(data)
    if text is None:
        return data, []
    try:
        book = notebook.read(text)
    except notebook.NotebookError:
        return data, []
    cells = json.loads(text)["cells"]
    _, applied = apply_fixes(book.source, fixes, parses)
    per_cell: Dict[int, List[Edit]] = {}
    for fix in applied:
        for edit in fix.edits:
            cell, line = book.locate(edit.line)
            end_cell, end_line = book.locate(edit.end_line)
            if end_cell != cell:
                return data, []  # an edit across two cells: never one of ours
            per_cell.setdefault(cell - 1, []).append(
                Edit(line, edit.col, end_line, edit.end_col, edit.text)
            )
    spans = {
        number: (start, end, parts) for number, start, end, parts in notebook.source_spans(text)
    }
    replaced = []
    for index, edits in per_cell.items():
        if index not in spans or not isinstance(cells[index], dict):
            return data, []
        source = cells[index].get("source", "")
        old = "".join(source) if isinstance(source, list) else source
        new, done = apply_fixes(old, [Fix("", tuple(edits))])
        if not done:
            return data, []
        start, end, parts = spans[index]
        replaced.append((start, end, _written(text, start, end, parts, new)))
    out: List[str] = []
    position = 0
    for start, end, value in sorted(replaced):
        out.extend((text[position:start], value))
        position = end
    out.append(text[position:])
    result = "".join(out).encode("utf-8")
    return (_BOM + result if data.startswith(_BOM) else result), applied


def _written(text: str, start: int, end: int, parts: Optional[List[int]], new: str) -> str:
    """A cell's new source as JSON, laid out as its old one was."""
    if parts is None:
        return json.dumps(new, ensure_ascii=False)
    lines = re.findall(r"[^\n]*\n|[^\n]+", new)
    if len(parts) >= 2:
        first_end = json.JSONDecoder().raw_decode(text, parts[0])[1]
        separator = text[first_end : parts[1]]
    else:
        separator = ",\n" + _indent_at(text, start) + " "
    opening = text[start + 1 : parts[0]] if parts else "\n" + _indent_at(text, start) + " "
    closing_at = text.rfind("]", start, end)
    last_end = json.JSONDecoder().raw_decode(text, parts[-1])[1] if parts else start + 1
    closing = text[last_end:closing_at] if parts else "\n" + _indent_at(text, start)
    body = separator.join(json.dumps(line, ensure_ascii=False) for line in lines)
    return "[" + opening + body + closing + "]" if lines else "[]"


def _indent_at(text: str, index: int) -> str:
    """The indentation of the line `index` is on."""
    line_start = text.rfind("\n", 0, index) + 1
    line = text[line_start:index]
    return line[: len(line) - len(line.lstrip())]
