"""Jupyter notebooks as one module: the code cells in order, IPython syntax blanked out.

A notebook runs its cells in one namespace, so a layer made in one cell and called in two
others is one graph: the cells are checked together, as ruff does, and each finding is mapped
back to its cell (numbered among all cells, from 1, as ruff and Jupyter's position count) and
its line within the cell.

IPython lines that are not Python (`%matplotlib inline`, `!pip install ...`, `x = !ls`,
`obj?`) become `pass` at the same indentation, so line numbers and the code around them stay as
written. A cell that starts with a cell magic (`%%bash`) is not Python and is left out, except
the magics whose body is Python (`%%time`, `%%capture`, ...).
"""
from __future__ import annotations

import io
import json
import re
import tokenize
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any, List, Tuple

# Cell magics whose body IPython runs as Python (ruff keeps the same ones).
PYTHON_CELL_MAGICS = frozenset({
    "capture", "debug", "prun", "pypy", "python", "python3", "time", "timeit"})

# A line IPython rewrites before Python sees it, when it starts a statement: a line magic or
# shell escape, a help query (`?obj`, `obj?`, `obj??`), or a magic's result assigned to names.
_IPYTHON_LINE = re.compile(
    r"\s*(?:[%!?]|[\w.]+\s*\?\??\s*$|[\w.,\[\]\s]+=\s*[%!])")


class NotebookError(ValueError):
    """The file is not a notebook this tool can read."""


@dataclass(frozen=True)
class Notebook:
    source: str  # the code cells, joined
    starts: Tuple[int, ...]  # the module line each included cell starts on, ascending
    cells: Tuple[int, ...]  # the number of each included cell among all cells, from 1

    def locate(self, line: int) -> Tuple[int, int]:
        """(cell number, line within the cell) for a line of `source`."""
        index = max(bisect_right(self.starts, line) - 1, 0)
        return self.cells[index], line - self.starts[index] + 1


def read(text: str) -> Notebook:
    """The notebook in `text` (its JSON) as one module; NotebookError when it is not one."""
    try:
        data = json.loads(text)
        cells = data["cells"]
        language = data.get("metadata", {}).get("language_info", {}).get("name", "python")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise NotebookError(f"not a Jupyter notebook: {exc}") from None
    if not isinstance(cells, list):
        raise NotebookError("not a Jupyter notebook: 'cells' is not a list")
    parts, starts, numbers = [], [], []
    line = 1
    if language == "python":  # an R or Julia notebook has no Python to check
        for number, cell in enumerate(cells, start=1):
            lines = _python_lines(cell)
            if lines:
                parts.extend(lines)
                starts.append(line)
                numbers.append(number)
                line += len(lines)
    return Notebook("".join(parts), tuple(starts), tuple(numbers))


def _python_lines(cell: Any) -> List[str]:
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return []
    source = cell.get("source", "")
    text = "".join(source) if isinstance(source, list) else str(source)
    # Lines as Python counts them: split at "\n" only, not at \f or \x1c as splitlines() does.
    lines = io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n")).readlines()
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].lstrip()[2:].split(None, 1)
        if not magic or magic[0] not in PYTHON_CELL_MAGICS:
            return []
        lines[first] = "pass\n"
    return _blank_ipython(lines)


def _blank_ipython(lines: List[str]) -> List[str]:
    out: List[str] = []
    statement: List[str] = []  # lines since the last point where a statement could start
    continued = False  # inside a magic continued with a backslash
    for line in lines:
        if continued:
            continued = line.rstrip("\r\n").endswith("\\")
            out.append("\n")
            continue
        if _IPYTHON_LINE.match(line) and _complete(statement):
            indent = line[:len(line) - len(line.lstrip())]
            out.append(indent + "pass\n")
            continued = line.rstrip("\r\n").endswith("\\")
            statement = []
            continue
        out.append(line)
        statement.append(line)
    return out


def _complete(lines: List[str]) -> bool:
    """Whether `lines` end outside any bracket, string or backslash continuation, so the next
    line starts a statement (IPython's own test, on tokens)."""
    if not lines:
        return True
    try:
        for _ in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
            pass
    except tokenize.TokenError:  # "EOF in multi-line statement" or string
        return False
    except SyntaxError:  # not Python anyway: let the parser report it
        return True
    return True


_LINE_REFERENCE = re.compile(r"\bon line (\d+)\b")


def relabel(message: str, notebook: Notebook) -> str:
    """A message's references to module lines ("first called on line 12") as cell lines."""
    def cell_line(match: "re.Match[str]") -> str:
        cell, line = notebook.locate(int(match.group(1)))
        return f"in cell {cell}, line {line}"

    return _LINE_REFERENCE.sub(cell_line, message)
