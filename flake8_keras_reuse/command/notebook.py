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

import ast
import io
import json
import re
import tokenize
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Dict, Iterator, List, Optional, Tuple

# Cell magics whose body IPython runs as Python (ruff keeps the same ones).
PYTHON_CELL_MAGICS = frozenset(
    {"capture", "debug", "prun", "pypy", "python", "python3", "time", "timeit"}
)

# A line IPython rewrites before Python sees it, when it starts a statement: a line magic or
# shell escape, a help query (`?obj`, `obj?`, `obj??`), or a magic's result assigned to names.
# Matched on the line without its indentation: a leading `\s*` beside the `\s` of the
# assignment form made the match quadratic in a line of spaces.
_IPYTHON_LINE = re.compile(r"(?:[%!?]|[\w.]+\s*\?\??\s*$|[\w.,\[\]\s]+=\s*[%!])")


class NotebookError(ValueError):
    """The file is not a notebook this tool can read."""


@dataclass(frozen=True)
class CellError:
    """A code cell Python cannot parse on its own: Jupyter fails that cell and runs the others,
    so it is reported and left out, and the other cells are checked."""

    cell: int  # among all cells, from 1
    line: int  # within the cell, from 1
    col: int  # from 1
    message: str  # "SyntaxError: ..."


@dataclass(frozen=True)
class Notebook:
    source: str  # the code cells, joined
    starts: Tuple[int, ...]  # the module line each included cell starts on, ascending
    cells: Tuple[int, ...]  # the number of each included cell among all cells, from 1
    errors: Tuple[CellError, ...] = ()
    text: str = field(default="", repr=False, compare=False)  # the notebook's JSON

    @cached_property
    def file_lines(self) -> Tuple[Tuple[int, ...], ...]:
        """Per included cell, the line of the .ipynb file each of its source lines is written
        on (empty when the file's layout could not be read). Read on first use: only a
        finding's github or SARIF position needs it, so a notebook without one never pays."""
        layout = _source_layout(self.text)
        return tuple(layout.get(number - 1, ()) for number in self.cells)

    def locate(self, line: int) -> Tuple[int, int]:
        """(cell number, line within the cell) for a line of `source`."""
        index = max(bisect_right(self.starts, line) - 1, 0)
        return self.cells[index], line - self.starts[index] + 1

    def module_line(self, cell: int, line: int) -> int:
        """The line of `source` for a line of a cell (which must be included)."""
        return self.starts[self.cells.index(cell)] + line - 1

    def file_line(self, line: int) -> Optional[int]:
        """The line of the .ipynb file that holds a line of `source`, if known."""
        index = max(bisect_right(self.starts, line) - 1, 0)
        lines = self.file_lines[index] if index < len(self.file_lines) else ()
        offset = line - self.starts[index]
        if not lines:
            return None
        return lines[min(offset, len(lines) - 1)]  # a one-string source: all on its line


def read(text: str) -> Notebook:
    """The notebook in `text` (its JSON) as one module; NotebookError when it is not one."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise NotebookError(f"not a Jupyter notebook: {exc}") from None
    except RecursionError:
        raise NotebookError(
            "not a notebook this tool can read: its JSON is nested too deeply"
        ) from None
    if not isinstance(data, dict):
        raise NotebookError("not a Jupyter notebook: the JSON is not an object")
    if "cells" not in data:
        if "worksheets" in data:
            raise NotebookError(
                f"nbformat {data.get('nbformat', 3)} is not supported: convert "
                "it with 'jupyter nbconvert --to notebook'"
            )
        raise NotebookError("not a Jupyter notebook: it has no 'cells'")
    cells = data["cells"]
    if not isinstance(cells, list):
        raise NotebookError("not a Jupyter notebook: 'cells' is not a list")
    parts, starts, numbers, errors = [], [], [], []
    line = 1
    if _language(data) == "python":  # an R or Julia notebook has no Python to check
        for number, cell in enumerate(cells, start=1):
            lines = _python_lines(cell, number)
            if not lines:
                continue
            error = _parse_error(lines, number)
            if error is not None:
                errors.append(error)
                lines = _recovered(lines, error)
            parts.extend(lines)
            starts.append(line)
            numbers.append(number)
            line += len(lines)
    return Notebook("".join(parts), tuple(starts), tuple(numbers), tuple(errors), text)


_SPACE = re.compile(r"[ \t\n\r]*")


def _skip_space(text: str, index: int) -> int:
    return index + len(_SPACE.match(text, index).group(0))  # type: ignore[union-attr]


def _source_layout(text: str) -> Dict[int, Tuple[int, ...]]:
    """{cell index: the file line of each element of its source} from the notebook's text;
    {} when the layout is not the usual one."""
    newlines = [match.start() for match in re.finditer("\n", text)]

    def line_of(index: int) -> int:
        return bisect_right(newlines, index) + 1

    return {
        number: tuple(line_of(i) for i in elements) if elements else (line_of(start),)
        for number, start, _, elements in source_spans(text)
    }


# Where one cell's source is written in the notebook's text: (cell index, start and end of
# its JSON value, the start of each element when it is a list (else None)).
SourceSpan = Tuple[int, int, int, Optional[List[int]]]


def source_spans(text: str) -> List[SourceSpan]:
    """Where each cell's source is written in the notebook's text, read with the json module's
    own scanner (values skipped by raw_decode, so outputs cost what parsing them costs); []
    when the layout is not the usual one."""
    decoder = json.JSONDecoder()

    def members(index: int) -> Iterator[Tuple[str, int]]:
        """(key, index of its value) of the object at `index`."""
        index = _skip_space(text, index + 1)
        while text[index] != "}":
            key, index = scanstring(text, index + 1)
            index = _skip_space(text, _skip_space(text, index) + 1)  # past the colon
            yield key, index
            index = _skip_space(text, decoder.raw_decode(text, index)[1])
            if text[index] == ",":
                index = _skip_space(text, index + 1)

    def elements(index: int) -> Iterator[int]:
        """The index of each element of the array at `index`."""
        index = _skip_space(text, index + 1)
        while text[index] != "]":
            yield index
            index = _skip_space(text, decoder.raw_decode(text, index)[1])
            if text[index] == ",":
                index = _skip_space(text, index + 1)

    spans: List[SourceSpan] = []
    try:
        top = _skip_space(text, 0)
        for key, cells in members(top):
            if key != "cells" or text[cells] != "[":
                continue
            for number, cell in enumerate(elements(cells)):
                if text[cell] != "{":
                    continue
                for name, source in members(cell):
                    if name != "source":
                        continue
                    end = decoder.raw_decode(text, source)[1]
                    parts = list(elements(source)) if text[source] == "[" else None
                    spans.append((number, source, end, parts))
    except (ValueError, IndexError, RecursionError):
        return []
    return spans


def _language(data: dict) -> str:
    """The kernel's language; notebooks that do not say are Python (nbformat's default)."""
    metadata = data.get("metadata")
    info = metadata.get("language_info") if isinstance(metadata, dict) else None
    name = info.get("name") if isinstance(info, dict) else None
    return name if isinstance(name, str) else "python"


def _recovered(lines: List[str], error: CellError) -> List[str]:
    """A cell that does not parse, as the lines before its error when those parse (so the
    imports above an unfinished string still count for the other cells), else blank; always
    as many lines, so the cells after it keep their places."""
    kept = lines[: error.line - 1]
    if _parse_error(kept, error.cell) is not None:
        kept = []
    return kept + ["\n"] * (len(lines) - len(kept))


def _parse_error(lines: List[str], number: int) -> Optional[CellError]:
    """Why a cell does not parse on its own (IPython allows a top-level `await`), or None."""
    try:
        compile(
            "".join(lines),
            f"<cell {number}>",
            "exec",
            ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
            dont_inherit=True,
        )
    except SyntaxError as exc:
        return CellError(number, exc.lineno or 1, exc.offset or 1, f"SyntaxError: {exc.msg}")
    except ValueError as exc:  # null bytes, before Python 3.12
        return CellError(number, 1, 1, f"SyntaxError: {exc}")
    except (RecursionError, MemoryError) as exc:
        return CellError(number, 1, 1, f"{type(exc).__name__}: too deeply nested to parse")
    return None


def _python_lines(cell: object, number: int) -> List[str]:
    if not isinstance(cell, dict):
        raise NotebookError(f"cell {number} is not an object")
    if "cell_type" not in cell:
        raise NotebookError(f"cell {number} has no 'cell_type'")
    if cell["cell_type"] != "code":
        return []
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        text = "".join(source)
    elif isinstance(source, str):
        text = source
    else:
        raise NotebookError(f"cell {number}: 'source' is neither text nor a list of text")
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
    out = []
    statement = _Statement()  # the lines since the last point where a statement could start
    continued = False  # inside a magic continued with a backslash
    for line in lines:
        if continued:
            continued = line.rstrip("\r\n").endswith("\\")
            out.append("\n")
            continue
        stripped = line.lstrip()
        if _IPYTHON_LINE.match(stripped) and statement.complete():
            indent = line[: len(line) - len(stripped)]
            out.append(indent + "pass\n")
            continued = line.rstrip("\r\n").endswith("\\")
            statement = _Statement()
            continue
        out.append(line)
        statement.lines.append(line)
    return out


_OPENER = re.compile(r"[A-Za-z]*(\'\'\'|\"\"\"|\'|\")")


class _Statement:
    """Whether the lines so far end outside any bracket, string or backslash continuation, so
    the next line starts a statement (IPython's own test, on tokens).

    Read incrementally, so each line is tokenized once (tokenizing the whole statement again
    at every line was quadratic): between two reads the tokenizer's state is only the bracket
    depth and the opening of a string left open, which the next read is started with. The
    lines are read inside one more bracket, where indentation means nothing, so a read that
    starts inside a block never fails on a dedent."""

    def __init__(self) -> None:
        self.lines: List[str] = []  # added since the last read
        self.depth = 0  # brackets open
        self.opener = ""  # the opening of a string left open (`\"\"\"`, `rb\'\'\'`)
        self.backslash = False  # the last line ends in a continuation

    def complete(self) -> bool:
        if self.lines:
            self._read()
        return self.depth == 0 and not self.opener and not self.backslash

    def _read(self) -> None:
        head = "(" * (self.depth + 1) + self.opener
        text = head + "".join(self.lines)
        last = self.lines[-1].rstrip("\r\n")
        self.lines = []
        depth, ends_in_comment, opener = 0, False, ""
        try:
            for token in tokenize.generate_tokens(io.StringIO(text).readline):
                if token.type == tokenize.OP and token.string in "([{":
                    depth += 1
                elif token.type == tokenize.OP and token.string in ")]}":
                    depth -= 1
                if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER):
                    ends_in_comment = token.type == tokenize.COMMENT
        except tokenize.TokenError as exc:
            if "string" in str(exc.args[0]):  # a string left open, from its opening on
                row, col = exc.args[1]
                line = text.splitlines(True)[row - 1] if row else ""
                match = _OPENER.match(line, col)
                opener = match.group(0) if match else ""
        except SyntaxError:  # not Python anyway: a statement may start, the parser reports it
            depth, opener, last = 1, "", ""
        self.depth = max(depth - 1, 0)
        self.opener = opener
        self.backslash = not opener and not ends_in_comment and last.endswith("\\")
