#!/usr/bin/env python3
"""Benchmark: how long `keras-reuse server` takes from a `didChange` to its diagnostics.

    python tools/bench_server.py [--edits 50] [--lines 1300]

Starts the installed `keras-reuse server` (the [server] extra), opens a generated module of
about --lines lines (Keras model classes, one of them with a reused BatchNormalization), then
sends --edits changes one at a time, each a keystroke's worth (a comment's text changes), and
times each from the moment the change is written to the moment its diagnostics arrive. Prints
the median and the worst, in milliseconds, and the time `ast.parse` takes on the same text, the
floor of any check. Read the ratio, not the milliseconds: machines are noisy.
"""

import argparse
import ast
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

BLOCK = '''

class Block{n}(keras.Model):
    """Block {n}: a convolution, a normalisation and a projection."""

    def __init__(self, width={width}):
        super().__init__()
        self.conv = layers.Conv2D(width, 3, padding="same")
        self.norm = layers.BatchNormalization()
        self.pool = layers.MaxPooling2D()
        self.head = layers.Dense(width)

    def call(self, x, training=False):
        x = self.conv(x)
        x = self.norm(x, training=training)
        x = self.pool(x)
        return self.head(x)
'''
REUSE = """

class Reused(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv1 = layers.Conv2D(6, 3)
        self.conv2 = layers.Conv2D(16, 3)
        self.norm = layers.BatchNormalization()

    def call(self, x):
        x = self.norm(self.conv1(x))  # edit: 0
        return self.norm(self.conv2(x))
"""


def module(lines: int) -> str:
    text = "import keras\nfrom keras import layers\n" + REUSE
    n = 0
    while text.count("\n") < lines:
        text += BLOCK.format(n=n, width=8 + n % 5)
        n += 1
    return text


class Wire:
    def __init__(self, command):
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.next_id = 0

    def send(self, method, params, request=False):
        message = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            message["id"] = self.next_id
        body = json.dumps(message).encode("utf-8")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def receive(self):
        length = 0
        while True:
            line = self.proc.stdout.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("ascii").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return json.loads(self.proc.stdout.read(length))

    def until(self, test):
        while True:
            message = self.receive()
            if test(message):
                return message


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--lines", type=int, default=1300)
    args = parser.parse_args()
    script = Path(sys.executable).with_name("keras-reuse")
    wire = Wire([str(script), "server"])
    wire.send("initialize", {"capabilities": {}, "rootUri": None}, request=True)
    wire.until(lambda m: m.get("id") == 1)
    wire.send("initialized", {})
    text = module(args.lines)
    uri = (Path.cwd() / "bench_server_module.py").as_uri()
    item = {"uri": uri, "languageId": "python", "version": 1, "text": text}
    wire.send("textDocument/didOpen", {"textDocument": item})
    published = "textDocument/publishDiagnostics"
    wire.until(lambda m: m.get("method") == published)
    times = []
    for edit in range(1, args.edits + 1):
        text = text.replace(f"# edit: {edit - 1}", f"# edit: {edit}")
        change = {
            "textDocument": {"uri": uri, "version": edit + 1},
            "contentChanges": [{"text": text}],
        }
        start = time.perf_counter()
        wire.send("textDocument/didChange", change)
        message = wire.until(lambda m: m.get("method") == published)
        times.append(time.perf_counter() - start)
        assert [d["code"] for d in message["params"]["diagnostics"]] == ["KR005"], message
    wire.send("shutdown", None, request=True)
    wire.send("exit", None)
    wire.proc.wait(timeout=10)
    start = time.perf_counter()
    for _ in range(10):
        ast.parse(text)
    parse = (time.perf_counter() - start) / 10
    median, worst = statistics.median(times), max(times)
    print(f"{text.count(chr(10))} lines, {args.edits} edits")
    print(
        f"didChange -> publishDiagnostics: median {median * 1000:.1f} ms, "
        f"worst {worst * 1000:.1f} ms"
    )
    print(
        f"ast.parse of the same text: {parse * 1000:.1f} ms (median/parse = {median / parse:.1f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
