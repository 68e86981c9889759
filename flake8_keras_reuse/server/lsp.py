"""`keras-reuse server`: a Language Server Protocol server over stdio (pygls), on the command's
linter: diagnostics as you type, quick fixes, `# noqa`, and fix-all, in files and notebooks.

- Diagnostics on open and on every change. Changes are coalesced (DEBOUNCE): a burst of
  keystrokes is checked once, on the text it ends with.
- When a Python file is saved (or the client reports files changed on disk), every open
  document is checked again: it may use a layer class defined there.
- Settings: `[tool.keras-reuse]` of the nearest pyproject.toml above each document, then the
  client's (initializationOptions, or `workspace/didChangeConfiguration` under "keras-reuse"),
  keyed as that table.
- A failure of ours is a KR900 diagnostic (the linter's) and a log message; the server goes on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Any, Dict, List, Optional, Sequence

try:
    from lsprotocol import types
    from lsprotocol.converters import get_converter
    from pygls.lsp.server import LanguageServer
    from pygls.uris import to_fs_path
except ImportError:  # pragma: no cover - the [server] extra is not installed
    types = None  # type: ignore[assignment]

from .. import __version__
from ..command import config
from ..command.lint import Linter
from .documents import UNITS, Cell, Checked, Json, check_cells, check_text, linter_for, utf16

DEBOUNCE = 0.01  # seconds: keystrokes closer than this are checked once
LOG = logging.getLogger("keras-reuse.server")


class Documents:
    """The open documents' latest check, and what is waiting to be checked."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.checked: Dict[str, Checked] = {}  # document or notebook uri -> its check
        self.pending: Dict[str, asyncio.TimerHandle] = {}
        self.client_settings: Json = {}
        self._converter = get_converter()

    # -- checking ----------------------------------------------------------------------------

    def schedule(self, uri: str, delay: float = DEBOUNCE) -> None:
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        loop = asyncio.get_running_loop()
        self.pending[uri] = loop.call_later(delay, self.check, uri)

    def check(self, uri: str) -> None:
        self.pending.pop(uri, None)
        try:
            checked = self._check(uri)
        except Exception as exc:  # noqa: BLE001 - a bug of ours must not end the server
            LOG.exception("keras-reuse: checking %s failed", uri)
            self._log(f"keras-reuse: checking {uri} failed: {type(exc).__name__}: {exc}")
            return
        if checked is None:
            return
        self.checked[uri] = checked
        for document, diagnostics in checked.diagnostics().items():
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(
                    uri=document,
                    diagnostics=[
                        self._converter.structure(d, types.Diagnostic) for d in diagnostics
                    ],
                )
            )

    def _check(self, uri: str) -> Optional[Checked]:
        workspace = self.server.workspace
        units = UNITS.get(str(workspace.position_encoding or "utf-16"), utf16)
        book = workspace.get_notebook_document(notebook_uri=uri)
        if book is not None:
            path = _path(uri)
            cells = [
                Cell(
                    cell.document,
                    workspace.get_text_document(cell.document).source,
                    cell.kind == types.NotebookCellKind.Code,
                )
                for cell in book.cells
            ]
            return check_cells(self.linter(path), uri, path, cells, units)
        if uri not in workspace.text_documents:
            return None
        document = workspace.get_text_document(uri)
        path = _path(uri)
        return check_text(self.linter(path), uri, path, document.source, units)

    def linter(self, path: str) -> Linter:
        try:
            return linter_for(path, self.client_settings)
        except config.ConfigError as exc:  # said once per check, the defaults used meanwhile
            self._log(f"keras-reuse: {exc}; using the defaults", types.MessageType.Warning)
            return Linter()

    def recheck_all(self) -> None:
        for uri in list(self.checked):
            self.schedule(uri)

    def forget(self, uri: str, cells: Sequence[str] = ()) -> None:
        self.checked.pop(uri, None)
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        for document in (uri, *cells):  # a closed document keeps no diagnostic
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=document, diagnostics=[])
            )

    def _log(self, message: str, kind: Any = None) -> None:
        self.server.window_log_message(
            types.LogMessageParams(type=kind or types.MessageType.Error, message=message)
        )

    # -- code actions ------------------------------------------------------------------------

    def actions(self, params: Any) -> List[Any]:
        uri = params.text_document.uri
        notebook = self.server.workspace.get_notebook_document(cell_uri=uri)
        owner = notebook.uri if notebook is not None else uri
        checked = self.checked.get(owner)
        if checked is None:
            return []
        wanted = [self._converter.unstructure(d) for d in params.context.diagnostics]
        ours = [d for d in wanted if d.get("source") == "keras-reuse"]
        only = params.context.only
        found = checked.actions(ours, self.linter(checked.path))
        if only:
            found = [a for a in found if any(a["kind"].startswith(str(k)) for k in only)]
        return [self._converter.structure(a, types.CodeAction) for a in found]


def _path(uri: str) -> str:
    """The file a document is, for its settings and sibling modules; an unsaved one is named
    after the current folder."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    if not path:
        name = uri.rsplit("/", 1)[-1] or "untitled.py"
        path = os.path.join(os.getcwd(), name)
    return path


def build() -> Any:
    """The pygls server with its features."""
    server = LanguageServer(
        "keras-reuse",
        __version__,
        notebook_document_sync=types.NotebookDocumentSyncOptions(
            notebook_selector=[
                types.NotebookDocumentFilterWithCells(
                    cells=[types.NotebookCellLanguage(language="python")],
                    notebook="jupyter-notebook",
                )
            ]
        ),
    )
    docs = Documents(server)
    server.documents = docs  # type: ignore[attr-defined]

    @server.feature(types.INITIALIZE)
    def initialize(ls: Any, params: Any) -> None:
        options = params.initialization_options
        if isinstance(options, dict):
            docs.client_settings = dict(options.get("keras-reuse", options))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: Any, params: Any) -> None:
        if not _in_notebook(ls, params.text_document.uri):
            docs.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: Any, params: Any) -> None:
        uri = params.text_document.uri
        notebook = ls.workspace.get_notebook_document(cell_uri=uri)
        docs.schedule(notebook.uri if notebook is not None else uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: Any, params: Any) -> None:
        docs.recheck_all()  # another open document may use what this one defines

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: Any, params: Any) -> None:
        if not _in_notebook(ls, params.text_document.uri):
            docs.forget(params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: Any, params: Any) -> None:
        docs.recheck_all()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def configuration(ls: Any, params: Any) -> None:
        settings = params.settings
        if isinstance(settings, dict):
            docs.client_settings = dict(settings.get("keras-reuse", settings))
            docs.recheck_all()

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_open(ls: Any, params: Any) -> None:
        docs.schedule(params.notebook_document.uri, 0)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_change(ls: Any, params: Any) -> None:
        docs.schedule(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_close(ls: Any, params: Any) -> None:
        cells = [c.uri for c in params.cell_text_documents]
        docs.forget(params.notebook_document.uri, cells)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, "source.fixAll.keras-reuse"]
        ),
    )
    def code_action(ls: Any, params: Any) -> List[Any]:
        return docs.actions(params)

    return server


def _in_notebook(ls: Any, uri: str) -> bool:
    return ls.workspace.get_notebook_document(cell_uri=uri) is not None


def main(argv: Sequence[str] = ()) -> int:
    """Serve over stdio until the client says exit."""
    if types is None:
        print(
            "keras-reuse server: the language server needs the [server] extra: "
            "pip install 'flake8-keras-reuse[server]'",
            file=sys.stderr,
        )
        return 2
    if argv:
        print(f"keras-reuse server: unexpected arguments: {' '.join(argv)}", file=sys.stderr)
        return 2
    if os.path.isdir("server"):
        print(
            "keras-reuse: starting the language server (to check a folder named server, write "
            "keras-reuse ./server)",
            file=sys.stderr,
        )
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    build().start_io()
    return 0
