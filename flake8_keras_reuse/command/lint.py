"""One file through the `keras-reuse` command: read, decode, parse, check, select, `# noqa`.

The check is the flake8 plugin's own (`api.analyse`) on the same text flake8 would give it, so
both front ends report the same findings, kept as data (`Row.finding`) and rendered here. What
flake8 reports as E902/E999 (a file that cannot be read, decoded or parsed) is reported here
too, as one line without a code that no selection or `# noqa` hides: the file was not checked,
and silence would look like a clean file. Whatever goes wrong with one file is one line for it,
never the end of the run.
"""

from __future__ import annotations

import ast
import io
import os
import stat
import tokenize
from dataclasses import dataclass, field
from typing import List, Optional

from ..api import analyse, raise_errors
from ..findings import Finding, Settings
from ..rules import internal_error, render
from . import notebook
from .noqa import Noqa
from .per_file import PerFile
from .selection import Selection

NOTEBOOK_SUFFIX = ".ipynb"
# Larger files are one error line, never read whole: no module or notebook anyone edits is
# near this, and a link to /dev/zero must not fill the memory.
MAX_BYTES = 32 * 2**20


@dataclass(frozen=True)
class Row:
    """One line of the command's report: a finding (or a file that could not be checked) where
    the user sees it."""

    path: str  # as shown to the user
    line: int  # from 1; within its cell for a notebook
    col: int  # from 1, in UTF-8 bytes of the line, as flake8 counts
    char_col: int  # from 1, in characters
    code: Optional[str]  # None: the file could not be read, decoded or parsed
    message: str  # the finding's message without its code, or "SyntaxError: ..."
    cell: Optional[int] = None  # the notebook cell, from 1
    finding: Optional[Finding] = None  # the analysis's record; None for an unreadable file
    file_line: Optional[int] = None  # in a notebook, the line of the .ipynb file it is on

    @property
    def text(self) -> str:
        """The message with its leading code, as flake8 shows it."""
        return f"{self.code} {self.message}" if self.code else self.message


class Unreadable(Exception):
    """A file that cannot be checked; args: (line, col, text)."""


@dataclass(frozen=True)
class Linter:
    settings: Settings = field(default_factory=Settings)  # the layer options
    selection: Selection = field(default_factory=Selection)
    disable_noqa: bool = False
    per_file: Optional[PerFile] = None  # per-file-ignores

    def selection_for(self, path: str) -> Selection:
        codes = self.per_file.codes_for(path) if self.per_file else None
        return self.selection if codes is None else self.selection.ignoring(codes)

    def lint_path(self, path: str) -> List[Row]:
        """Findings for one file; whatever goes wrong with it is one line for it, never the
        run's end."""
        try:
            data = read_regular(path)
        except OSError as exc:
            return [Row(path, 1, 1, 1, None, f"{type(exc).__name__}: {exc.strerror or exc}")]
        except Unreadable as exc:
            return [Row(path, 1, 1, 1, None, exc.args[2])]
        return self.lint_bytes(data, path)

    def lint_bytes(self, data: bytes, path: str) -> List[Row]:
        """Findings for one file's bytes; `path` names it (and finds its sibling modules). An
        error of our own in the front end is one KR900 line for this file (as the analysis's
        own errors are), so the other files keep their findings."""
        try:
            return self._lint_bytes(data, path)
        except Exception as exc:  # noqa: BLE001 - RecursionError and MemoryError included
            if raise_errors():
                raise
            finding = internal_error.from_exception(exc)
            return [Row(path, 1, 1, 1, finding.code, render(finding), None, finding)]

    def lint_text(self, text: str, path: str) -> List[Row]:
        """Findings for text already decoded: an editor's buffer (a notebook's JSON)."""
        try:
            return self._lint_bytes(None, path, text)
        except Exception as exc:  # noqa: BLE001 - as lint_bytes
            if raise_errors():
                raise
            finding = internal_error.from_exception(exc)
            return [Row(path, 1, 1, 1, finding.code, render(finding), None, finding)]

    def _lint_bytes(
        self, data: Optional[bytes], path: str, text: Optional[str] = None
    ) -> List[Row]:
        is_notebook = path.endswith(NOTEBOOK_SUFFIX)
        book = None
        try:
            if text is not None:  # as _decode leaves it: universal newlines, no BOM
                text = text.replace("\r\n", "\n").replace("\r", "\n")
                text = text[1:] if text.startswith("\ufeff") else text
            if is_notebook:
                book = notebook.read(text if text is not None else _decode(data or b"", True))
                source = book.source
            else:
                source = text if text is not None else _decode(data or b"")
            noqa = Noqa(source)
            if not self.disable_noqa and noqa.skips_file():
                return []
            tree = _parse(source)
        except notebook.NotebookError as exc:
            return [Row(path, 1, 1, 1, None, f"NotebookError: {exc}")]
        except Unreadable as exc:
            line, col, message = exc.args
            cell = None
            if book is not None:
                cell, line = book.locate(line)
            return [Row(path, line, col, col, None, message, cell)]
        rows = (
            []
            if book is None
            else [
                Row(
                    path,
                    e.line,
                    e.col,
                    e.col,
                    None,
                    e.message,
                    e.cell,
                    file_line=book.file_line(book.module_line(e.cell, e.line)),
                )
                for e in book.errors
            ]
        )
        lines = None
        locate = book.locate if book is not None else None
        selection = self.selection_for(path)
        for finding in analyse(source, path, self.settings, tree=tree):
            code = finding.code
            if not selection.reports(code):
                continue
            if not self.disable_noqa and noqa.silences(code, finding.line):
                continue
            if lines is None:
                lines = source.split("\n")
            line, col = finding.line, finding.col
            line_text = lines[line - 1] if 0 < line <= len(lines) else ""
            char_col = len(line_text.encode("utf-8")[:col].decode("utf-8", "ignore")) + 1
            cell = file_line = None
            if book is not None:
                cell, line = book.locate(finding.line)
                file_line = book.file_line(finding.line)
            rows.append(
                Row(
                    path,
                    line,
                    col + 1,
                    char_col,
                    code,
                    render(finding, locate),
                    cell,
                    finding,
                    file_line,
                )
            )
        if book is not None and book.errors:  # the cells' errors in their places among findings
            rows.sort(key=lambda row: (row.cell or 0, row.line, row.col))
        return rows


def read_regular(path: str) -> bytes:
    """A file's bytes, when it is a regular file (after links) of at most MAX_BYTES: a FIFO,
    a device or a link to one (/dev/zero, /dev/stdin) is never waited on or read."""
    # O_NONBLOCK: opening a FIFO with no writer would wait for one.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(1, 1, "NotAFile: not a regular file (a FIFO, socket or device)")
        if info.st_size > MAX_BYTES:
            raise Unreadable(
                1, 1, f"FileTooLarge: {info.st_size:,} bytes, more than the {MAX_BYTES:,} checked"
            )
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:  # grown while read
        raise Unreadable(1, 1, f"FileTooLarge: more than the {MAX_BYTES:,} bytes checked")
    return data


def _decode(data: bytes, is_notebook: bool = False) -> str:
    """Text as flake8 reads it: the PEP 263 encoding (JSON's UTF-8 for a notebook), universal
    newlines, no byte-order mark."""
    try:
        if is_notebook:
            encoding = "utf-8-sig"
        else:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except SyntaxError as exc:  # an unknown or contradictory coding cookie
        raise Unreadable(exc.lineno or 1, 1, f"SyntaxError: {exc.msg}") from None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise Unreadable(
            line,
            col,
            f"UnicodeDecodeError: {exc.reason} (byte 0x{data[exc.start]:02x}, not {exc.encoding})",
        ) from None
    except LookupError as exc:
        raise Unreadable(1, 1, f"LookupError: {exc}") from None
    except UnicodeError as exc:  # a codec that fails without a position (punycode, idna)
        raise Unreadable(1, 1, f"{type(exc).__name__}: {exc}") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text[1:] if text.startswith("\ufeff") else text


def _parse(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        raise Unreadable(exc.lineno or 1, exc.offset or 1, f"SyntaxError: {exc.msg}") from None
    except ValueError as exc:  # null bytes, before Python 3.12
        raise Unreadable(1, 1, f"SyntaxError: {exc}") from None
    except RecursionError:  # nesting too deep for the parser
        raise Unreadable(1, 1, "RecursionError: too deeply nested to parse") from None
    except MemoryError:
        raise Unreadable(1, 1, "MemoryError: not enough memory to parse the file") from None
