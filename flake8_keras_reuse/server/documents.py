"""One open document as an editor sees it: the command's linter on the buffer, its findings as
LSP diagnostics, and their fixes and `# noqa` directives as text edits.

Everything here is the protocol's JSON (dicts, as LSP 3.17 writes them), so the language server
(server/lsp.py) and the python-lsp-server plugin (server/pylsp_plugin.py) show the same thing.
A notebook is its cells joined into one module, as the command reads an .ipynb; positions go
back to the cell they are in.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..command import config, notebook
from ..command.adding_noqa import directives
from ..command.fixing import MAX_ROUNDS, apply_fixes, parses
from ..command.lint import NOTEBOOK_SUFFIX, Linter, Row
from ..command.main import configured, make_linter
from ..findings import DISPLAY_ONLY, SAFE, Finding, Fix
from ..rules import RULES

SOURCE = "keras-reuse"
ERROR, WARNING = 1, 2  # DiagnosticSeverity
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_NAME = re.compile(rb"[\w.]+")

Json = Dict[str, Any]
Units = Callable[[str], int]  # how many of the client's position units a text is


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


UNITS: Dict[str, Units] = {
    "utf-8": lambda t: len(t.encode("utf-8")),
    "utf-16": utf16,
    "utf-32": len,
}


@dataclass(frozen=True)
class Cell:
    """One cell of a notebook document, as the client sent it."""

    uri: str
    text: str
    code: bool = True  # a code cell (a markdown cell is kept for the cell numbers)


@dataclass
class Checked:
    """A document's findings, and where its module's positions are in the editor."""

    uri: str
    path: str
    source: str  # the module the findings' positions are in (a notebook's joined cells)
    rows: List[Row]
    cells: Optional[List[Cell]] = None
    book: Optional[notebook.Notebook] = None
    units: Units = utf16
    _lines: Dict[str, List[str]] = field(default_factory=dict)

    @property
    def findings(self) -> List[Finding]:
        return [r.finding for r in self.rows if r.finding is not None]

    def where(self, line: int) -> Tuple[str, int]:
        """(document uri, line from 0) of a module line from 1."""
        if self.book is None or self.cells is None:
            return self.uri, line - 1
        cell, in_cell = self.book.locate(line)
        return self.cells[cell - 1].uri, in_cell - 1

    def position(self, line: int, col: int) -> Tuple[str, Json]:
        """(uri, LSP position) of a module position (line from 1, UTF-8 byte column)."""
        uri, row = self.where(line)
        text = self._line(uri, row)
        raw = text.encode("utf-8")
        chars = raw[: max(0, min(col, len(raw)))].decode("utf-8", "ignore")
        return uri, {"line": row, "character": self.units(chars)}

    def _line(self, uri: str, row: int) -> str:
        if uri not in self._lines:
            text = self.source
            if self.cells is not None:
                text = next((c.text for c in self.cells if c.uri == uri), "")
            self._lines[uri] = _LINE_BREAK.split(text)
        lines = self._lines[uri]
        return lines[row] if 0 <= row < len(lines) else ""

    def range_of(self, finding: Finding) -> Tuple[str, Json]:
        """The finding's span; without an end, the name written at its start."""
        uri, start = self.position(finding.line, finding.col)
        if finding.end_line is not None and finding.end_col is not None:
            end_uri, end = self.position(finding.end_line, finding.end_col)
            if end_uri == uri:
                return uri, {"start": start, "end": end}
        line = self._line(*self.where(finding.line)).encode("utf-8")
        name = _NAME.match(line, finding.col)
        _, end = self.position(finding.line, name.end() if name else finding.col + 1)
        return uri, {"start": start, "end": end}

    def diagnostics(self) -> Dict[str, List[Json]]:
        """{document uri: its diagnostics}; every cell of a notebook gets a list, empty or not,
        so a fixed finding leaves no stale one."""
        out: Dict[str, List[Json]] = {c.uri: [] for c in self.cells or ()} or {self.uri: []}
        for index, row in enumerate(self.rows):
            if row.finding is None:  # a syntax error mid-typing: the editor has its own
                continue
            uri, where = self.range_of(row.finding)
            out.setdefault(uri, []).append(self._diagnostic(index, row, where))
        return out

    def _diagnostic(self, index: int, row: Row, where: Json) -> Json:
        finding = row.finding
        assert finding is not None
        rule = RULES.get(finding.code)
        found: Json = {
            "range": where,
            "severity": WARNING if rule is not None and rule.severity == "review" else ERROR,
            "code": finding.code,
            "source": SOURCE,
            "message": row.message,
            "data": {"index": index, "code": finding.code, "line": finding.line},
        }
        if rule is not None and rule.help_uri:
            found["codeDescription"] = {"href": rule.help_uri}
        related = [self._related(r.line, r.role) for r in finding.related if r.line]
        if related:
            found["relatedInformation"] = related
        return found

    def _related(self, line: int, role: str) -> Json:
        uri, row = self.where(line)
        text = self._line(uri, row)
        start = len(text) - len(text.lstrip())
        return {
            "location": {
                "uri": uri,
                "range": {
                    "start": {"line": row, "character": self.units(text[:start])},
                    "end": {"line": row, "character": self.units(text)},
                },
            },
            "message": "the twin, built and never called" if role == "twin" else "first here",
        }

    def finding_for(self, diagnostic: Json) -> Optional[Finding]:
        """The finding a diagnostic this document published shows, if it is still current."""
        data = diagnostic.get("data") or {}
        index = data.get("index") if isinstance(data, dict) else None
        if not isinstance(index, int) or not 0 <= index < len(self.rows):
            return None
        finding = self.rows[index].finding
        if finding is None or finding.code != data.get("code") or finding.line != data.get("line"):
            return None
        return finding

    def text_edits(self, fix: Fix) -> Optional[Dict[str, List[Json]]]:
        """{uri: LSP text edits} for a fix's edits, or None when one spans two cells."""
        out: Dict[str, List[Json]] = {}
        for edit in fix.edits:
            uri, start = self.position(edit.line, edit.col)
            end_uri, end = self.position(edit.end_line, edit.end_col)
            if end_uri != uri:
                return None
            out.setdefault(uri, []).append(
                {"range": {"start": start, "end": end}, "newText": edit.text}
            )
        return out

    def actions(self, diagnostics: Sequence[Json], linter: Linter) -> List[Json]:
        """Code actions for the diagnostics the client asks about: each finding's fix (safe
        ones preferred; unsafe ones say so; display-only ones are not offered), `# noqa` on its
        line, and fixing every safe finding of the document."""
        out: List[Json] = []
        for diagnostic in diagnostics:
            finding = self.finding_for(diagnostic)
            if finding is None:
                continue
            fix = finding.fix
            if fix is not None and fix.applicability != DISPLAY_ONLY:
                changes = self.text_edits(fix)
                if changes:
                    safe = fix.applicability == SAFE
                    out.append(
                        {
                            "title": f"{'' if safe else '(unsafe) '}{fix.description}",
                            "kind": "quickfix",
                            "diagnostics": [diagnostic],
                            "isPreferred": safe,
                            "edit": {"changes": changes},
                        }
                    )
            fixes, _ = directives(self.source, [finding], "")
            changes = self.text_edits(fixes[0]) if fixes else None
            if changes:
                out.append(
                    {
                        "title": f"Add '# noqa: {finding.code}' on this line",
                        "kind": "quickfix",
                        "diagnostics": [diagnostic],
                        "edit": {"changes": changes},
                    }
                )
        every = self.fix_all(linter)
        if every is not None:
            out.append(
                {
                    "title": "Fix every safe keras-reuse finding",
                    "kind": "source.fixAll.keras-reuse",
                    "edit": {"changes": every},
                }
            )
        return out

    def fix_all(self, linter: Linter) -> Optional[Dict[str, List[Json]]]:
        """The whole document after its safe fixes (re-checked until none is left), as one
        edit; None when there is nothing to fix or for a notebook."""
        if self.cells is not None:
            return None
        text, changed = self.source, False
        rows = self.rows
        for _ in range(MAX_ROUNDS):
            safe = [
                r.finding.fix
                for r in rows
                if r.finding is not None
                and r.finding.fix is not None
                and r.finding.fix.applicability == SAFE
            ]
            if not safe:
                break
            new, applied = apply_fixes(text, safe, parses)
            if not applied or new == text:
                break
            text, changed = new, True
            rows = linter.lint_text(text, self.path)
        if not changed:
            return None
        lines = _LINE_BREAK.split(self.source)
        end = {"line": len(lines) - 1, "character": self.units(lines[-1])}
        whole = {"range": {"start": {"line": 0, "character": 0}, "end": end}, "newText": text}
        return {self.uri: [whole]}


def check_text(linter: Linter, uri: str, path: str, text: str, units: Units = utf16) -> Checked:
    """A Python buffer, checked as the file `path` (its sibling modules are read from disk)."""
    rows = linter.lint_text(text, path)
    source = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    return Checked(uri, path, source, rows, units=units)


def check_cells(
    linter: Linter, uri: str, path: str, cells: Sequence[Cell], units: Units = utf16
) -> Checked:
    """A notebook's cells, checked as the command checks the .ipynb they make."""
    document = {
        "cells": [
            {"cell_type": "code" if c.code else "markdown", "metadata": {}, "source": c.text}
            for c in cells
        ],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    text = json.dumps(document)
    if not path.endswith(NOTEBOOK_SUFFIX):
        path += NOTEBOOK_SUFFIX
    rows = linter.lint_text(text, path)
    try:
        book = notebook.read(text)
    except notebook.NotebookError:
        return Checked(uri, path, "", [], list(cells), units=units)
    return Checked(uri, path, book.source, rows, list(cells), book, units)


def linter_for(path: str, client: Optional[Json] = None) -> Linter:
    """The linter for a document: `[tool.keras-reuse]` of the nearest pyproject.toml above it,
    then the client's settings (keyed as that table) over it."""
    cfg = config.load(config.find(os.path.dirname(os.path.abspath(path))))
    if client:
        cfg = config.Config(cfg.path, {**cfg.values, **config.validate("client settings", client)})
    return make_linter(configured(cfg))
