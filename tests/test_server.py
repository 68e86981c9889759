"""`keras-reuse server` end to end: the real console script over stdio, driven by pygls's
language client (a real LSP client), as an editor drives it."""

import asyncio
import itertools
import json
import queue
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("pygls")
from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

SCRIPT = Path(sys.executable).with_name("keras-reuse")

MODEL = textwrap.dedent(
    """\
    import keras
    from keras import layers


    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv1 = layers.Conv2D(6, 3, padding="same")
            self.conv2 = layers.Conv2D(16, 3, padding="same")
            self.norm = layers.BatchNormalization()

        def call(self, x):
            x = self.norm(self.conv1(x))
            return self.norm(self.conv2(x))
    """
)


class Client:
    """A language client on a started server, keeping the diagnostics it is sent."""

    def __init__(self, root: Path):
        self.root = root
        self.lsp = LanguageClient("test-client", "1")
        self.diagnostics = {}
        self.changed = asyncio.Event()
        self.logs = []

        @self.lsp.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params):
            self.diagnostics[params.uri] = params.diagnostics
            self.changed.set()

        @self.lsp.feature(types.WINDOW_LOG_MESSAGE)
        def logged(params):
            self.logs.append(params.message)

    async def start(self, options=None, command=(str(SCRIPT), "server")):
        await self.lsp.start_io(*command, cwd=str(self.root))
        self.initialized = await self.lsp.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(
                    notebook_document=types.NotebookDocumentClientCapabilities(
                        synchronization=types.NotebookDocumentSyncClientCapabilities()
                    )
                ),
                root_uri=self.root.as_uri(),
                initialization_options=options,
            )
        )
        self.lsp.initialized(types.InitializedParams())

    async def wait_for(self, uri, test=lambda d: True, timeout=60):
        """The diagnostics of `uri` once they pass `test`."""

        async def until():
            while not (uri in self.diagnostics and test(self.diagnostics[uri])):
                self.changed.clear()
                await self.changed.wait()
            return self.diagnostics[uri]

        return await asyncio.wait_for(until(), timeout)

    def open(self, path: Path, text: str, version=1):
        self.lsp.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=path.as_uri(), language_id="python", version=version, text=text
                )
            )
        )

    def replace(self, path: Path, text: str, version: int):
        self.lsp.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=path.as_uri(), version=version
                ),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    async def stop(self):
        await self.lsp.shutdown_async(None)
        self.lsp.exit(None)
        await self.lsp.stop()


def run(coroutine):
    return asyncio.run(coroutine)


def codes(diagnostics):
    return [(d.range.start.line, d.code) for d in diagnostics]


def test_diagnostics_follow_the_buffer_with_ranges_and_related_information(tmp_path):
    async def scenario():
        client = Client(tmp_path)
        await client.start()
        path = tmp_path / "net.py"
        client.open(path, MODEL)
        found = await client.wait_for(path.as_uri(), lambda d: len(d) == 1)
        (one,) = found
        assert one.code == "KR005" and one.source == "keras-reuse"
        assert one.severity == types.DiagnosticSeverity.Error
        line = MODEL.splitlines()[13]
        assert (one.range.start.line, one.range.start.character) == (13, line.index("self.norm"))
        assert one.range.end.character == line.index("self.norm") + len("self.norm(self.conv2(x))")
        assert one.code_description.href.endswith(
            "#kr005-a-layer-is-called-again-on-another-number-of-channels"
        )
        (first,) = one.related_information
        assert first.location.range.start.line == 12 and first.location.uri == path.as_uri()
        # typing half a line: a syntax error gives no crash and no stale diagnostic
        client.replace(path, MODEL.replace("return self.norm(", "return self.norm(("), 2)
        await client.wait_for(path.as_uri(), lambda d: not d)
        # a second instance: the finding goes
        fixed = MODEL.replace(
            "        self.norm = layers.BatchNormalization()\n",
            "        self.norm = layers.BatchNormalization()\n"
            "        self.norm2 = layers.BatchNormalization()\n",
        ).replace("return self.norm(self.conv2", "return self.norm2(self.conv2")
        client.replace(path, MODEL, 3)
        await client.wait_for(path.as_uri(), lambda d: len(d) == 1)
        client.replace(path, fixed, 4)
        await client.wait_for(path.as_uri(), lambda d: not d)
        await client.stop()

    run(scenario())


def test_quick_fix_noqa_and_fix_all_change_the_text(tmp_path):
    async def scenario():
        client = Client(tmp_path)
        await client.start()
        path = tmp_path / "net.py"
        client.open(path, MODEL)
        found = await client.wait_for(path.as_uri(), lambda d: len(d) == 1)
        actions = await client.lsp.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
                range=found[0].range,
                context=types.CodeActionContext(diagnostics=found),
            )
        )
        titles = [a.title for a in actions]
        fix = next(a for a in actions if a.is_preferred)
        assert "self.norm_2" in fix.title and fix.kind == types.CodeActionKind.QuickFix
        assert any("# noqa: KR005" in t for t in titles)
        every = next(a for a in actions if a.kind == "source.fixAll.keras-reuse")
        after = apply(MODEL, fix.edit.changes[path.as_uri()])
        assert after == apply(MODEL, every.edit.changes[path.as_uri()])
        assert "self.norm_2 = layers.BatchNormalization()" in after
        client.replace(path, after, 2)
        await client.wait_for(path.as_uri(), lambda d: not d)
        noqa = next(a for a in actions if "noqa" in a.title)
        silenced = apply(MODEL, noqa.edit.changes[path.as_uri()])
        assert "return self.norm(self.conv2(x))  # noqa: KR005\n" in silenced
        client.replace(path, silenced, 3)
        await client.wait_for(path.as_uri(), lambda d: not d)
        await client.stop()

    run(scenario())


def test_a_change_in_a_sibling_module_rechecks_the_open_document(tmp_path):
    (tmp_path / "blocks.py").write_text(
        "import keras\n\n\nclass Block(keras.layers.Layer):\n    pass\n", encoding="utf-8"
    )
    model = textwrap.dedent(
        """\
        import keras
        from blocks import Block


        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.block = Block()

            def call(self, x):
                return self.block(self.block(x))
        """
    )

    async def scenario():
        client = Client(tmp_path)
        await client.start({"keras-reuse-stats-layers": []})
        path = tmp_path / "net.py"
        client.open(path, model)
        await client.wait_for(path.as_uri(), lambda d: not d)  # Block keeps nothing
        sibling = tmp_path / "blocks.py"
        sibling.write_text(
            "import keras\n\n\nclass Block(keras.layers.Layer):\n    def __init__(self):\n"
            "        super().__init__()\n        self.norm = keras.layers.BatchNormalization()\n\n"
            "    def call(self, x):\n        return self.norm(x)\n",
            encoding="utf-8",
        )
        client.lsp.text_document_did_save(
            types.DidSaveTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=sibling.as_uri())
            )
        )
        found = await client.wait_for(path.as_uri(), lambda d: len(d) == 1)
        assert found[0].code == "KR001"
        await client.stop()

    run(scenario())


def test_a_notebook_reports_in_the_cell_of_the_reuse(tmp_path):
    cells = [
        "import keras\nfrom keras import layers\n",
        "# the model\n",
        "inputs = keras.Input((8,))\nnorm = layers.BatchNormalization()\nx = norm(inputs)\n",
        "%time y = 1\nx = layers.Dense(8)(x)\nx = norm(x)\n",
    ]
    notebook = tmp_path / "model.ipynb"
    uris = [f"{notebook.as_uri()}#cell{i}" for i in range(len(cells))]

    async def scenario():
        client = Client(tmp_path)
        await client.start()
        sync = client.initialized.capabilities.notebook_document_sync
        assert sync.notebook_selector[0].cells[0].language == "python"
        client.lsp.notebook_document_did_open(
            types.DidOpenNotebookDocumentParams(
                notebook_document=types.NotebookDocument(
                    uri=notebook.as_uri(),
                    notebook_type="jupyter-notebook",
                    version=1,
                    cells=[
                        types.NotebookCell(
                            kind=types.NotebookCellKind.Markup
                            if i == 1
                            else types.NotebookCellKind.Code,
                            document=uri,
                        )
                        for i, uri in enumerate(uris)
                    ],
                ),
                cell_text_documents=[
                    types.TextDocumentItem(
                        uri=uri,
                        language_id="markdown" if i == 1 else "python",
                        version=1,
                        text=text,
                    )
                    for i, (uri, text) in enumerate(zip(uris, cells))
                ],
            )
        )
        found = await client.wait_for(uris[3], lambda d: len(d) == 1)
        assert codes(found) == [(2, "KR001")]
        assert found[0].range.start.character == 4
        (first,) = found[0].related_information
        assert first.location.uri == uris[2] and first.location.range.start.line == 2
        await client.stop()

    run(scenario())


def apply(text, edits):
    """Apply LSP text edits (positions in UTF-16 units; ASCII here) to a text."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(position):
        return offsets[position.line] + position.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


PYLSP = Path(sys.executable).with_name("pylsp")


class Wire:
    """A bare JSON-RPC client over a server's stdio (pylsp): messages in, messages out."""

    def __init__(self, command, cwd):
        self.proc = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.inbox = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.ids = itertools.count(1)

    def _read(self):
        while True:
            length = None
            while True:
                line = self.proc.stdout.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            self.inbox.put(json.loads(self.proc.stdout.read(length)))

    def send(self, method, params, request=False):
        message = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            message["id"] = next(self.ids)
        body = json.dumps(message).encode("utf-8")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()
        return message.get("id")

    def wait(self, test, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            message = self.inbox.get(timeout=max(0.1, deadline - time.monotonic()))
            if test(message):
                return message

    def request(self, method, params):
        number = self.send(method, params, request=True)
        return self.wait(lambda m: m.get("id") == number)["result"]

    def close(self):
        try:
            self.request("shutdown", None)
            self.send("exit", None)
            self.proc.wait(timeout=10)
        finally:
            self.proc.kill()


def test_python_lsp_server_shows_the_findings_and_fixes(tmp_path):
    """The pylsp plugin (entry point `pylsp`), loaded by a real python-lsp-server."""
    pytest.importorskip("pylsp")
    wire = Wire([str(PYLSP)], tmp_path)
    try:
        wire.request("initialize", {"capabilities": {}, "rootUri": tmp_path.as_uri()})
        wire.send("initialized", {})
        uri = (tmp_path / "net.py").as_uri()
        item = {"uri": uri, "languageId": "python", "version": 1, "text": MODEL}
        wire.send("textDocument/didOpen", {"textDocument": item})

        def ours(message):
            if message.get("method") != "textDocument/publishDiagnostics":
                return None
            return [d for d in message["params"]["diagnostics"] if d.get("source") == "keras-reuse"]

        found = ours(wire.wait(lambda m: bool(ours(m))))
        (one,) = found
        assert one["code"] == "KR005" and one["range"]["start"]["line"] == 13
        actions = wire.request(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": uri},
                "range": one["range"],
                "context": {"diagnostics": [one]},
            },
        )
        fix = next(a for a in actions if "self.norm_2" in a["title"])
        edits = [
            types.TextEdit(
                range=types.Range(
                    start=types.Position(**e["range"]["start"]),
                    end=types.Position(**e["range"]["end"]),
                ),
                new_text=e["newText"],
            )
            for e in fix["edit"]["changes"][uri]
        ]
        after = apply(MODEL, edits)
        change = {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": after}]}
        wire.send("textDocument/didChange", change)
        wire.send("textDocument/didSave", {"textDocument": {"uri": uri}})
        wire.wait(lambda m: ours(m) == [] and m["params"]["uri"] == uri)
    finally:
        wire.close()
