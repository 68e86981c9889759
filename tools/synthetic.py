#!/usr/bin/env python3
"""Generated worst cases for the benchmark: shapes of real code at sizes real code rarely has.

    python tools/synthetic.py OUTDIR

Writes one file per case. Each stands for a kind of input that once made the plugin's cost grow
faster than the file (issue 7): notebook exports with hundreds of module-level functions that
call earlier ones and nest defs, a file of thousands of classes, a `call()` of 20,000 lines, and
thousands of `if training:` branches in one `call()`.
"""

import pathlib
import random
import sys

HEADER = "import keras\nfrom keras import layers\n\n"


def notebook_script(functions=300, seed=0):
    """Module-level functions, each with a nested def, each calling a few earlier ones; every
    tenth builds a small functional graph, as exported notebooks do."""
    rng = random.Random(seed)
    out = [HEADER]
    for i in range(functions):
        calls = [f"f{j}(x)" for j in rng.sample(range(i), min(i, 3))]
        out.append(f"def f{i}(x, units={i % 7 + 1}):\n")
        out.append(f"    def inner{i}(y):\n        return layers.Dense(units)(y)\n")
        for call in calls:
            out.append(f"    x = {call}\n")
        if i % 10 == 0:
            out.append(f"    inputs = keras.Input((8,))\n    h = inner{i}(inputs)\n")
            out.append("    model = keras.Model(inputs, h)\n")
        out.append(f"    return inner{i}(x)\n\n\n")
    out.append("x = keras.Input((8,))\n")
    out.extend(f"x = f{i}(x)\n" for i in range(0, functions, 7))
    return "".join(out)


def many_classes(classes=5000):
    out = [HEADER]
    for i in range(classes):
        out.append(
            f"class Block{i}(keras.layers.Layer):\n"
            f"    def __init__(self):\n        super().__init__()\n"
            f"        self.conv = layers.Conv2D({i % 64 + 1}, 3)\n"
            f"        self.bn = layers.BatchNormalization()\n\n"
            f"    def call(self, x):\n        return self.bn(self.conv(x))\n\n\n"
        )
    return "".join(out)


def long_call(lines=20000, layers_=500):
    init = "".join(f"        self.l{i} = layers.Dense({i % 32 + 1})\n" for i in range(layers_))
    body = []
    for i in range(lines):
        if i % 5 == 0:
            body.append(f"        if training:\n            x = self.l{i % layers_}(x)\n")
        else:
            body.append(f"        x = x + {i}\n")
    return (
        HEADER + "class Big(keras.Model):\n    def __init__(self):\n"
        "        super().__init__()\n"
        + init
        + "\n    def call(self, x, training=False):\n"
        + "".join(body)
        + "        return x\n"
    )


def many_branches(branches=10000):
    init = "".join(f"        self.d{i} = layers.Dense(4)\n" for i in range(200))
    body = "".join(
        f"        if training:\n            x = self.d{i % 200}(x) + {i}\n" for i in range(branches)
    )
    return (
        HEADER + "class Branchy(keras.Model):\n    def __init__(self):\n"
        "        super().__init__()\n"
        + init
        + "\n    def call(self, x, training=False):\n"
        + body
        + "        return x\n"
    )


def nested_defs_in_call(functions=200):
    """Nested defs inside call(), each calling the earlier ones: closures capture each other."""
    body = []
    for i in range(functions):
        body.append(f"        def g{i}(y):\n")
        body.extend(f"            y = g{j}(y)\n" for j in range(max(0, i - 2), i))
        body.append("            return self.norm(y)\n" if i == 0 else "            return y\n")
    body.append(f"        return g{functions - 1}(x)\n")
    return (
        HEADER + "class Nested(keras.Model):\n    def __init__(self):\n"
        "        super().__init__()\n        self.norm = layers.LayerNormalization()\n\n"
        "    def call(self, x):\n" + "".join(body)
    )


CASES = {
    "notebook_script.py": notebook_script,
    "many_classes.py": many_classes,
    "long_call.py": long_call,
    "many_branches.py": many_branches,
    "nested_defs_in_call.py": nested_defs_in_call,
}


def write(folder):
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, make in CASES.items():
        (folder / name).write_text(make(), encoding="utf-8")
    return folder


if __name__ == "__main__":
    write(sys.argv[1] if len(sys.argv) > 1 else "synthetic")
