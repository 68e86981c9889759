#!/usr/bin/env python3
"""Fuzzing the plugin (issue 7, "never silent, never stuck").

    python tools/fuzz.py --seconds 600          # as many programs as fit in ten minutes
    python tools/fuzz.py --count 2000 --seed 7  # a fixed number, reproducibly
    python tools/fuzz.py --show 1234            # print the Keras-shaped program of seed 1234

Three sources of programs:

- `keras_program(seed)`: random *Keras-shaped* code from a seeded `random.Random`: subclassed
  models and layers in every import spelling, attributes, aliases, containers, helpers
  (methods, properties, nested defs, lambdas, module functions, recursion), branches, loops,
  comprehensions, inheritance (cycles too), functional graphs and Sequential models, project
  modules imported from a sibling file. These reach the walks and the resolution; a fair share
  of them has findings.
- hypothesmith's grammar-based and node-based programs: odd but valid Python, alone and as the
  body of a model's `call()`.

and these checks on every program, in process: no internal error (KERAS_REUSE_RAISE=1), the work
budget not spent, the time taken; and on batches of programs written to a folder: the same
findings from a real `flake8` in file mode, in stdin mode, with -j1 and -j2, and from processes
with other PYTHONHASHSEED values.

`tests/test_fuzz.py` runs the same generators and checks, with few examples.
"""

import argparse
import ast
import collections
import json
import logging
import os
import random
import re
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback
import warnings

os.environ.setdefault("KERAS_REUSE_RAISE", "1")

HAS_MATCH = sys.version_info >= (3, 10)

# -- the Keras-shaped generator ---------------------------------------------------------------

# name: (category, constructor arguments to pick from)
LAYERS = {
    "BatchNormalization": ("stats", ["", "momentum=0.9", "axis=-1", "epsilon=1e-3"]),
    "SyncBatchNormalization": ("stats", [""]),
    "Dense": ("weights", ["4", "8, activation='relu'", "units=16"]),
    "Conv2D": ("weights", ["8, 3", "16, 3, padding='same'"]),
    "Convolution2D": ("weights", ["4, 1"]),
    "Conv1D": ("weights", ["8, 3"]),
    "LayerNormalization": ("weights", ["", "epsilon=1e-6"]),
    "MultiHeadAttention": ("weights", ["num_heads=2, key_dim=4"]),
    "Embedding": ("table", ["100, 8", "input_dim=10, output_dim=4"]),
    "Dropout": ("stateless", ["0.1", "rate=0.5"]),
    "ReLU": ("stateless", [""]),
    "MaxPool2D": ("stateless", ["", "2", "2, 2"]),
    "MaxPooling2D": ("stateless", [""]),
    "Flatten": ("stateless", [""]),
    "Activation": ("stateless", ["'relu'"]),
    "GlobalAveragePooling2D": ("stateless", [""]),
    "LeakyReLU": ("stateless", [""]),
    "LSTMCell": ("cell", ["4"]),
    "Normalization": ("adapted", [""]),
}
STATEFUL = [n for n, (c, _) in LAYERS.items() if c in ("stats", "weights", "table")]
STATS = [n for n, (c, _) in LAYERS.items() if c == "stats"]

# The sibling modules every batch folder holds (project resolution, re-exports, an import cycle).
LIBRARY = {
    "fuzzlib.py": textwrap.dedent("""\
        import keras
        from keras import layers


        class MyNorm(layers.BatchNormalization):
            pass


        class MyDense(keras.layers.Dense):
            def call(self, inputs):
                return super().call(inputs)


        class Block(keras.layers.Layer):
            def __init__(self, norm=None):
                super().__init__()
                self.norm = norm if norm is not None else layers.BatchNormalization()

            def call(self, x):
                return self.norm(x)


        def make_norm():
            return layers.BatchNormalization(momentum=0.9)


        def make_any(kind):
            if kind == "norm":
                return MyNorm()
            return layers.Dense(4)
        """),
    "fuzzlib2.py": textwrap.dedent("""\
        from fuzzlib import MyNorm as _Norm, make_norm  # noqa: F401
        from fuzzcyc_a import CycA  # noqa: F401


        class DeeperNorm(_Norm):
            pass
        """),
    "fuzzcyc_a.py": "from fuzzcyc_b import CycB\n\n\nclass CycA(CycB):\n    pass\n",
    "fuzzcyc_b.py": "from fuzzcyc_a import CycA\n\n\nclass CycB(CycA):\n    pass\n",
}
# (module, name, category) a generated program may import from the library.
LIBRARY_NAMES = [
    ("fuzzlib", "MyNorm", "class"),
    ("fuzzlib", "MyDense", "class"),
    ("fuzzlib", "Block", "class"),
    ("fuzzlib", "make_norm", "factory"),
    ("fuzzlib2", "DeeperNorm", "class"),
    ("fuzzlib2", "make_norm", "factory"),
    ("fuzzcyc_a", "CycA", "class"),
    ("fuzzcyc_b", "CycB", "class"),
]


class _Spelling:
    """One way a program names Keras: how a layer, the bases and the functional API are written."""

    def __init__(self, rng):
        self.rng = rng
        self.header = []
        self.bare = {}  # layer name -> the name it is imported as (from-imports)
        self.style = rng.choice(
            [
                "keras",
                "layers",
                "tf",
                "tf_from",
                "kl",
                "alias",
                "tfk",
                "tf_keras",
                "star",
                "fallback",
                "keras_from",
                "src",
            ]
        )
        s = self.style
        if s == "keras":
            self.header = ["import keras"]
            self.prefix, self.api = "keras.layers.", "keras."
        elif s == "layers":
            self.header = ["import keras", "from keras import layers"]
            self.prefix, self.api = "layers.", "keras."
        elif s == "tf":
            self.header = ["import tensorflow as tf"]
            self.prefix, self.api = "tf.keras.layers.", "tf.keras."
        elif s == "tf_from":
            self.header = ["from tensorflow.keras import Input, Model, Sequential"]
            self.prefix, self.api, self.module = None, "", "tensorflow.keras.layers"
        elif s == "kl":
            self.header = ["import keras", "import keras.layers as kl"]
            self.prefix, self.api = "kl.", "keras."
        elif s == "alias":
            self.header = ["import keras"]
            self.prefix, self.api, self.module = None, "keras.", "keras.layers"
        elif s == "tfk":
            self.header = ["from tensorflow import keras as tfk"]
            self.prefix, self.api = "tfk.layers.", "tfk."
        elif s == "tf_keras":
            self.header = ["import tf_keras"]
            self.prefix, self.api = "tf_keras.layers.", "tf_keras."
        elif s == "star":
            self.header = ["import keras", "from keras.layers import *  # noqa: F403"]
            self.prefix, self.api = "", "keras."
        elif s == "fallback":
            self.header = [
                "try:",
                "    from tensorflow.keras import layers",
                "except ImportError:",
                "    from keras import layers",
                "import keras",
            ]
            self.prefix, self.api = "layers.", "keras."
        elif s == "keras_from":
            self.header = ["from keras import layers as L, Model, Input, Sequential"]
            self.prefix, self.api = "L.", ""
        else:  # src
            self.header = [
                "import keras",
                "from keras.src.layers.normalization.batch_normalization "
                "import BatchNormalization as SrcBN",
            ]
            self.prefix, self.api = "keras.layers.", "keras."
            self.bare_src = True
        if self.prefix is None:
            self.header.append(None)  # the from-import, filled in by `lines()`

    def layer(self, name):
        if self.style == "src" and name == "BatchNormalization" and self.rng.random() < 0.5:
            return "SrcBN"
        if self.prefix is not None:
            return self.prefix + name
        if name not in self.bare:
            if self.style == "alias" and self.rng.random() < 0.6:
                self.bare[name] = (
                    "K" + "".join(c for c in name if c.isupper()) + str(len(self.bare))
                )
            else:
                self.bare[name] = name
        return self.bare[name]

    def base(self, kind):
        if kind == "model":
            return self.api + "Model" if self.api else "Model"
        return self.layer("Layer")

    def lines(self):
        out = []
        for line in self.header:
            if line is None:
                names = ", ".join(n if a == n else f"{n} as {a}" for n, a in self.bare.items())
                out.append(f"from {self.module} import {names or 'Layer'}")
            else:
                out.append(line)
        return out


class _Attr:
    def __init__(self, name, kind, layer):
        self.name = name  # attribute name
        self.kind = kind  # one, list, dict, repeat, pair
        self.layer = layer  # Keras name, or a library/class name


class _Class:
    def __init__(self, name):
        self.name = name
        self.attrs = []
        self.methods = []  # (name, takes_layer)
        self.properties = []
        self.is_layer = False


class KerasProgram:
    """Writes one random Keras-shaped module; `str()` of it is the source."""

    def __init__(self, seed, size=1.0, library=True, allow_match=HAS_MATCH, odd=0.1):
        self.rng = random.Random(seed)
        self.size = size
        self.odd = odd  # share of statements from `odd_statement`
        self.library = library
        self.allow_match = allow_match
        self.spell = _Spelling(self.rng)
        self.out = []
        self.imports = []  # extra import lines (library)
        self.classes = []
        self.module_funcs = []  # (name, takes_layer)
        self.user_layers = []  # (expr, category) of user or library layer classes and factories
        self.counter = 0

    # helpers ---------------------------------------------------------------------------
    def r(self):
        return self.rng.random()

    def pick(self, seq):
        return self.rng.choice(seq)

    def fresh(self, stem):
        self.counter += 1
        return f"{stem}{self.counter}"

    def emit(self, level, text):
        self.out.append("    " * level + text)

    def ctor(self, stateful_bias=0.7, stats_bias=0.0):
        """A constructor expression of some layer."""
        if self.user_layers and self.r() < 0.2:
            return self.pick(self.user_layers) + "()"
        if self.r() < stats_bias:
            name = self.pick(STATS)
        elif self.r() < stateful_bias:
            name = self.pick(STATEFUL)
        else:
            name = self.pick(list(LAYERS))
        args = self.pick(LAYERS[name][1])
        if self.r() < 0.05:  # a wrapper around another layer
            return f"{self.spell.layer('TimeDistributed')}({self.spell.layer('Dense')}(4))"
        return f"{self.spell.layer(name)}({args})"

    # the module ------------------------------------------------------------------------
    def build(self):
        rng = self.rng
        if self.library and self.r() < 0.4:
            chosen = rng.sample(LIBRARY_NAMES, rng.randint(1, 3))
            for module, name, _kind in chosen:
                alias = name if self.r() < 0.7 else f"{name}_{self.fresh('a')}"
                self.imports.append(
                    f"from {module} import {name}" + (f" as {alias}" if alias != name else "")
                )
                if name != "Block" and name not in ("CycA", "CycB") or self.r() < 0.5:
                    self.user_layers.append(alias)
        if self.r() < 0.3:
            self.module_factories()
        if self.r() < 0.4:
            self.module_helpers()
        n_classes = max(1, int(rng.randint(1, 4) * self.size))
        for _ in range(n_classes):
            self.klass()
        if self.r() < 0.35:
            self.functional()
        if self.r() < 0.25:
            self.sequential()
        if self.r() < 0.15:
            self.owners_at_module_level()
        if self.r() < 0.1:
            self.emit(0, 'if __name__ == "__main__":')
            cls = self.pick(self.classes)
            self.emit(1, f"model = {cls.name}()")
            self.emit(1, "model(None)")
            self.emit(1, "model(None)")
        return self

    def __str__(self):
        head = ['"""Generated by tools/fuzz.py."""'] + self.spell.lines() + self.imports
        return "\n".join(head + ["", ""] + self.out) + "\n"

    def module_factories(self):
        for _ in range(self.rng.randint(1, 2)):
            name = self.fresh("make_")
            self.emit(0, f"def {name}(kind=None):")
            if self.r() < 0.4:
                self.emit(1, "if kind == 'norm':")
                self.emit(2, f"return {self.ctor(stats_bias=0.8)}")
            self.emit(1, f"return {self.ctor()}")
            self.emit(0, "")
            self.emit(0, "")
            self.user_layers.append(name)

    def module_helpers(self):
        for _ in range(self.rng.randint(1, 3)):
            name = self.fresh("block_")
            style = self.rng.randint(0, 3)
            if style == 0:
                self.emit(0, f"def {name}(x, layer):")
                self.emit(1, "return layer(x)")
            elif style == 1:
                self.emit(0, f"def {name}(x, layer, times=2):")
                self.emit(1, "for _ in range(times):")
                self.emit(2, "x = layer(x)")
                self.emit(1, "return x")
            elif style == 2:
                self.emit(0, f"def {name}(x, layer, *rest, **kw):")
                self.emit(1, "return layer(layer(x)) if kw else layer(x)")
            else:
                self.emit(0, f"def {name}(x, layer, depth=3):")
                self.emit(1, f"return x if depth == 0 else {name}(layer(x), layer, depth - 1)")
            self.emit(0, "")
            self.emit(0, "")
            self.module_funcs.append(name)

    # classes ---------------------------------------------------------------------------
    def klass(self):
        rng = self.rng
        cls = _Class(self.fresh(rng.choice(["Net", "Block", "Tower", "Head", "Encoder"])))
        parent = None
        roll = self.r()
        if roll < 0.15 and self.classes:
            parent = self.pick(self.classes)
            base = parent.name
        elif roll < 0.2:
            base = f"Later{self.counter + 1}"  # defined after, or never: a cycle or unknown
        elif roll < 0.25:
            base = self.pick(["object", "Exception", "SomethingElse"])
        elif roll < 0.32:
            base = self.spell.layer(self.pick(STATS + ["Dense", "Conv2D"]))
            cls.is_layer = True
        elif roll < 0.36 and any(not u.startswith("make_") for u in self.user_layers):
            base = self.pick([u for u in self.user_layers if not u.startswith("make_")])
        else:
            base = self.spell.base("model" if self.r() < 0.5 else "layer")
        extra = ""
        if self.r() < 0.08:
            extra = ", metaclass=abc.ABCMeta" if self.r() < 0.5 else ", Mixin"
        self.emit(0, f"class {cls.name}({base}{extra}):")
        if self.r() < 0.3:
            self.emit(1, '"""A generated class."""')
        if self.r() < 0.08:
            self.emit(1, f"shared = {self.ctor()}")
            cls.attrs.append(_Attr("shared", "one", None))
        if parent is not None:
            cls.attrs.extend(parent.attrs)
            cls.methods.extend(parent.methods)
            cls.properties.extend(parent.properties)
        self.init(cls, parent)
        if self.r() < 0.2:
            self.build_method(cls)
        n_helpers = rng.randint(0, int(4 * self.size) + 1)
        for _ in range(n_helpers):
            self.helper(cls)
        if cls.is_layer and self.r() < 0.5:
            self.emit(1, "def call(self, inputs, training=None):")
            self.emit(2, "return super().call(inputs, training=False)")
        else:
            self.call(cls)
        if self.r() < 0.1:  # a second class with the same name, or a redefined call
            self.emit(1, "def call(self, x):")
            self.emit(2, "return x")
        self.emit(0, "")
        self.emit(0, "")
        if base.startswith("Later") and self.r() < 0.6:
            # define the forward-referenced base, deriving from this class: an inheritance cycle
            self.emit(0, f"class {base}({cls.name}):")
            self.emit(1, "def call(self, x):")
            attr = self.pick(cls.attrs).name if cls.attrs else "missing"
            self.emit(2, f"return self.{attr}(self.{attr}(x))")
            self.emit(0, "")
            self.emit(0, "")
        self.classes.append(cls)

    def init(self, cls, parent):
        rng = self.rng
        params = ["self"]
        if self.r() < 0.3:
            params.append("depth=3")
        if self.r() < 0.2:
            params.append("norm=None")
        if self.r() < 0.2:
            params.append("**kwargs")
        self.emit(1, f"def __init__({', '.join(params)}):")
        self.emit(2, "super().__init__(**kwargs)" if "**kwargs" in params else "super().__init__()")
        if self.r() < 0.3:
            self.emit(2, "self.flag = True")
        n = max(1, int(rng.randint(1, 6) * self.size))
        for _ in range(n):
            self.attribute(cls, 2)
        if "norm=None" in params and self.r() < 0.7:
            self.emit(2, "self.given = norm")
        if self.r() < 0.15 and cls.attrs:
            # a conditional attribute assignment
            name = self.fresh("cond")
            self.emit(2, "if self.r_flag if hasattr(self, 'r_flag') else False:")
            self.emit(3, f"self.{name} = {self.ctor()}")
            self.emit(2, "else:")
            self.emit(3, f"self.{name} = {self.ctor() if self.r() < 0.5 else 'None'}")
            cls.attrs.append(_Attr(name, "one", None))
        self.emit(0, "")

    def attribute(self, cls, level):
        rng = self.rng
        roll = self.r()
        name = self.fresh(rng.choice(["bn", "norm", "dense", "conv", "proj", "act", "emb"]))
        if roll < 0.45:
            self.emit(level, f"self.{name} = {self.ctor(stats_bias=0.25)}")
            cls.attrs.append(_Attr(name, "one", None))
        elif roll < 0.55:
            local = self.fresh("made")
            self.emit(level, f"{local} = {self.ctor(stats_bias=0.3)}")
            self.emit(level, f"self.{name} = {local}")
            cls.attrs.append(_Attr(name, "one", None))
            if self.r() < 0.4:
                other = self.fresh("twin")
                self.emit(level, f"self.{other} = {local}")  # KR004
                cls.attrs.append(_Attr(other, "one", None))
        elif roll < 0.62 and cls.attrs:
            src = self.pick(cls.attrs)
            if src.kind == "one":
                self.emit(level, f"self.{name} = self.{src.name}")  # alias: KR004
                cls.attrs.append(_Attr(name, "one", None))
            else:
                self.emit(level, f"self.{name} = None")
        elif roll < 0.7:
            self.emit(level, f"self.{name} = [{self.ctor()} for _ in range(3)]")
            cls.attrs.append(_Attr(name, "list", None))
        elif roll < 0.76:
            self.emit(
                level,
                f"self.{name} = [{self.ctor(stats_bias=0.3)}] * "
                f"{self.pick(['2', '3', 'depth' if False else '4'])}",
            )
            cls.attrs.append(_Attr(name, "repeat", None))
        elif roll < 0.81:
            local = self.fresh("one")
            self.emit(level, f"{local} = {self.ctor()}")
            if self.r() < 0.5:
                self.emit(level, f"self.{name} = [{local}, {local}]")
                cls.attrs.append(_Attr(name, "list", None))
            else:
                self.emit(level, f"self.{name} = {{'a': {local}, 'b': {local}}}")
                cls.attrs.append(_Attr(name, "dict", None))
        elif roll < 0.86:
            self.emit(level, f"self.{name} = {{'a': {self.ctor()}, 'b': {self.ctor()}}}")
            cls.attrs.append(_Attr(name, "dict", None))
        elif roll < 0.9:
            self.emit(
                level,
                f"self.{name} = {self.ctor()} if self.r() else {self.ctor()}".replace(
                    "self.r()", self.pick(["depth > 2", "norm is None", "True"])
                ),
            )
            cls.attrs.append(_Attr(name, "one", None))
        elif roll < 0.94:
            self.emit(level, f"self.{name} = None")
            cls.attrs.append(_Attr(name, "lazy", None))
        elif roll < 0.97:
            self.emit(level, f"self.{name}, self.{name}_b = {self.ctor()}, {self.ctor()}")
            cls.attrs.append(_Attr(name, "one", None))
            cls.attrs.append(_Attr(name + "_b", "one", None))
        else:
            self.emit(level, f"setattr(self, '{name}', {self.ctor()})")
            cls.attrs.append(_Attr(name, "one", None))

    def build_method(self, cls):
        self.emit(1, "def build(self, input_shape):")
        lazy = [a for a in cls.attrs if a.kind == "lazy"]
        for attr in lazy:
            self.emit(2, f"self.{attr.name} = {self.ctor(stats_bias=0.5)}")
            attr.kind = "one"
        if not lazy or self.r() < 0.5:
            name = self.fresh("built")
            self.emit(2, f"self.{name} = {self.ctor(stats_bias=0.5)}")
            cls.attrs.append(_Attr(name, "one", None))
        if self.r() < 0.5:
            self.emit(2, "super().build(input_shape)")
        self.emit(0, "")

    def helper(self, cls):
        rng = self.rng
        name = self.fresh("_h")
        kind = rng.randint(0, 7)
        if kind == 0:  # a method calling layers
            self.emit(1, f"def {name}(self, x):")
            self.body(cls, 2, depth=1, helper=True)
            cls.methods.append((name, False))
        elif kind == 1:  # takes a layer
            self.emit(1, f"def {name}(self, layer, x):")
            self.emit(2, "return layer(x)" if self.r() < 0.6 else "return layer(layer(x))")
            cls.methods.append((name, True))
        elif kind == 2:  # a property returning a layer
            attr = self.callable_attr(cls)
            if attr is None:
                return
            deco = self.pick(["property", "functools.cached_property"])
            self.emit(1, f"@{deco}")
            self.emit(1, f"def {name}(self):")
            self.emit(2, f"return {attr}")
            cls.properties.append(name)
        elif kind == 3:  # recursion
            self.emit(1, f"def {name}(self, x, n=2):")
            attr = self.callable_attr(cls) or "x.__class__"
            self.emit(2, "if n == 0:")
            self.emit(3, "return x")
            self.emit(2, f"return self.{name}({attr}(x), n - 1)")
            cls.methods.append((name, False))
        elif kind == 4:  # mutual recursion with an existing method
            other = self.pick(cls.methods)[0] if cls.methods else name
            self.emit(1, f"def {name}(self, x):")
            takes = dict(cls.methods).get(other, False)
            attr = self.callable_attr(cls) or "x"
            if other == name:
                self.emit(2, f"return self.{name}(x)")
            else:
                layer = f"self.{cls.attrs[0].name}, " if takes and cls.attrs else ""
                self.emit(2, f"return self.{other}({layer}{attr}(x))")
            cls.methods.append((name, False))
        elif kind == 5:  # static and class methods
            deco = self.pick(["staticmethod", "classmethod"])
            self.emit(1, f"@{deco}")
            first = "cls, " if deco == "classmethod" else ""
            self.emit(1, f"def {name}({first}x):")
            self.emit(2, "return x")
        elif kind == 6:  # returns a fresh layer: made on the path when called in call()
            self.emit(1, f"def {name}(self):")
            self.emit(2, f"return {self.ctor()}")
        else:  # a helper with a nested def and a lambda
            self.emit(1, f"def {name}(self, x):")
            inner = self.fresh("inner")
            attr = self.callable_attr(cls) or "(lambda t: t)"
            self.emit(2, f"def {inner}(t):")
            self.emit(3, f"return {attr}(t)")
            self.emit(2, f"g = lambda t: {inner}({inner}(t)) if t is not None else t")
            self.emit(2, "return g(x)")
            cls.methods.append((name, False))
        self.emit(0, "")

    def callable_attr(self, cls):
        """`self.x`, `self.xs[0]`, `self.d['a']` of some layer attribute, or None."""
        if not cls.attrs:
            return None
        attr = self.pick(cls.attrs)
        if attr.kind in ("list", "repeat"):
            return f"self.{attr.name}[{self.rng.randint(-1, 1)}]"
        if attr.kind == "dict":
            return f"self.{attr.name}['{self.pick('ab')}']"
        if self.r() < 0.05:
            return f"getattr(self, '{attr.name}')"
        return f"self.{attr.name}"

    def call(self, cls):
        args = self.pick(
            [
                "x",
                "x, training=False",
                "x, training=None, mask=None",
                "inputs",
                "x, mode='a'",
                "*args, **kwargs",
                "x, /, training=False",
            ]
        )
        roll = self.r()
        if roll < 0.04:
            self.emit(
                1,
                self.pick(
                    ["@tf.function", "@tf.function(jit_compile=True)", "@functools.wraps(print)"]
                ),
            )
        asynchronous = 0.04 <= roll < 0.07
        self.emit(1, f"{'async ' if asynchronous else ''}def call(self, {args}):")
        if args == "inputs":
            self.emit(2, "x = inputs")
        elif args.startswith("*"):
            self.emit(2, "x = args[0]")
            self.emit(2, "training = kwargs.get('training')")
        if "training" not in args and not args.startswith("*"):
            self.emit(2, "training = False")
        if "mode" not in args:
            self.emit(2, "mode = 'a'")
        self.body(cls, 2, depth=0, asynchronous=asynchronous)
        if self.r() < 0.03:  # call() defined again, as a lambda
            self.emit(1, "call = lambda self, x: self.call(x) if x is None else x")
            self.emit(0, "")

    # bodies ----------------------------------------------------------------------------
    def body(self, cls, level, depth, helper=False, locals_=None, asynchronous=False):
        """Statements ending in a return of x."""
        scope = _Scope(list(locals_ or []), asynchronous)
        n = max(1, int(self.rng.randint(1, 7) * self.size))
        if depth == 0 and cls.attrs and self.r() < 0.5:
            # the plainest reuse, so that a fair share of programs has findings
            attr = self.pick(cls.attrs)
            if attr.kind == "one":
                self.emit(level, f"x = self.{attr.name}(x)")
                self.emit(level, f"x = self.{attr.name}(x)")
        for _ in range(n):
            self.statement(cls, level, depth, scope)
        self.emit(level, f"return {self.expr(cls, depth + 2, scope)}")

    def statement(self, cls, level, depth, scope):
        rng = self.rng
        # Compound statements get rarer with depth, so that sizes stay those of real code;
        # large programs (size > 1) nest deeper.
        deep = depth < (3 if self.size <= 1 else 7) and self.r() >= depth * 0.25 / self.size
        if self.r() < self.odd:
            self.odd_statement(cls, level, depth, scope)
            return
        roll = self.r()
        if roll < 0.3 or not deep:
            target = self.pick(["x", "x", "y", "h"])
            if target != "x" and target not in scope.names:
                scope.names.append(target)
            if self.r() < 0.08:
                self.emit(level, f"{target} += {self.expr(cls, depth, scope)}")
            else:
                self.emit(level, f"{target} = {self.expr(cls, depth, scope)}")
        elif roll < 0.42:
            cond = self.cond(scope)
            self.emit(level, f"if {cond}:")
            self.block(cls, level + 1, depth + 1, scope)
            for _ in range(rng.randint(0, 2)):
                self.emit(level, f"elif {self.cond(scope)}:")
                self.block(cls, level + 1, depth + 1, scope)
            if self.r() < 0.6:
                self.emit(level, "else:")
                self.block(cls, level + 1, depth + 1, scope)
        elif roll < 0.48:
            self.emit(level, f"if {self.cond(scope)}:")
            self.emit(level + 1, f"return {self.expr(cls, depth + 1, scope)}")
        elif roll < 0.55:
            loop = rng.randint(0, 3)
            seqs = [a for a in cls.attrs if a.kind in ("list", "repeat")]
            if loop == 0 and seqs:
                var = self.fresh("layer")
                self.emit(level, f"for {var} in self.{self.pick(seqs).name}:")
                self.emit(level + 1, f"x = {var}(x)")
                if self.r() < 0.3:
                    self.emit(level + 1, "if x is None:")
                    self.emit(level + 2, "break")
            elif loop == 1:
                self.emit(level, f"for i in range({rng.randint(1, 3)}):")
                self.block(cls, level + 1, depth + 1, scope)
            elif loop == 2:
                self.emit(level, "i = 0")
                self.emit(level, "while i < 2:")
                self.emit(level + 1, "i += 1")
                self.block(cls, level + 1, depth + 1, scope)
            else:
                dicts = [a for a in cls.attrs if a.kind == "dict"]
                if dicts:
                    self.emit(level, f"for key, layer in self.{self.pick(dicts).name}.items():")
                    self.emit(level + 1, "x = layer(x)")
                else:
                    self.emit(level, "for t in [x, x]:")
                    self.block(cls, level + 1, depth + 1, scope)
                if self.r() < 0.3:
                    self.emit(level, "else:")
                    self.block(cls, level + 1, depth + 1, scope)
        elif roll < 0.61:
            self.emit(level, "try:")
            self.block(cls, level + 1, depth + 1, scope)
            caught = self.pick(["ValueError", "(TypeError, KeyError)", "Exception as exc"])
            self.emit(level, f"except {caught}:")
            self.block(cls, level + 1, depth + 1, scope)
            if self.r() < 0.3:
                self.emit(level, "else:")
                self.block(cls, level + 1, depth + 1, scope)
            if self.r() < 0.3:
                self.emit(level, "finally:")
                self.block(cls, level + 1, depth + 1, scope)
        elif roll < 0.66 and self.allow_match:
            self.emit(level, f"match {self.pick(['mode', 'training', 'x.shape'])}:")
            for pattern in rng.sample(
                ["'a'", "'b' | 'c'", "True", "[n, *_]", "{'k': v}", "str() as s", "None"],
                rng.randint(1, 3),
            ):
                self.emit(level + 1, f"case {pattern}:")
                self.block(cls, level + 2, depth + 1, scope)
            if self.r() < 0.6:
                self.emit(level + 1, "case _:")
                self.block(cls, level + 2, depth + 1, scope)
        elif roll < 0.71:
            attr = self.callable_attr(cls)
            if attr:
                alias = self.fresh("fn")
                self.emit(level, f"{alias} = {attr}")
                scope.callables.append(alias)
        elif roll < 0.76:
            inner = self.fresh("f")
            self.emit(level, f"def {inner}(t{', layer=None' if self.r() < 0.3 else ''}):")
            self.block(cls, level + 1, depth + 1, _Scope(["t"] + scope.names), result="t", ret=True)
            scope.callables.append(inner)
        elif roll < 0.79:
            inner = self.fresh("g")
            value = self.expr(cls, depth + 1, _Scope(["t"]), var="t")
            self.emit(level, f"{inner} = lambda t: {value}")
            scope.callables.append(inner)
        elif roll < 0.83:
            manager = self.pick(["scope", "tf.name_scope", "ctx"])
            self.emit(level, f"with {manager}('{self.fresh('s')}'):")
            self.block(cls, level + 1, depth + 1, scope)
        elif roll < 0.86:
            self.emit(level, f"x = {self.ctor()}(x)")  # constructed and called at once
        elif roll < 0.88:
            local = self.fresh("tmp")
            self.emit(level, f"{local} = {self.ctor(stats_bias=0.5)}")  # KR003
            self.emit(level, f"x = {local}(x)")
        elif roll < 0.9:
            lazy = [a for a in cls.attrs if a.kind == "lazy"] or cls.attrs
            if lazy:
                attr = self.pick(lazy).name
                self.emit(level, f"if self.{attr} is None:")
                self.emit(level + 1, f"self.{attr} = {self.ctor()}")
                self.emit(level, f"x = self.{attr}(x)")
        elif roll < 0.92:
            first, second = self.expr(cls, depth, scope), self.expr(cls, depth, scope)
            self.emit(level, f"x, y = {first}, {second}")
            if "y" not in scope.names:
                scope.names.append("y")
        elif roll < 0.94:
            self.emit(level, f"if (z := {self.expr(cls, depth, scope)}) is not None:")
            self.emit(level + 1, "x = z")
        elif roll < 0.96:
            self.emit(
                level,
                self.pick(
                    [
                        "pass",
                        "assert x is not None",
                        "del i" if False else "...",
                        "global COUNTER",
                        "print(x)",
                    ]
                ),
            )
        elif roll < 0.98:
            self.emit(level, f"if {self.cond(scope)}:")
            self.emit(level + 1, f"raise ValueError({self.fresh('m')!r})")
        else:
            # a nested class in the body
            self.emit(level, f"class {self.fresh('Local')}:")
            self.emit(level + 1, "pass")

    def odd_statement(self, cls, level, depth, scope):
        """Rarer shapes: unpacking layers, star-args, layers as defaults and closures,
        nonlocal, del, async and yield, dynamic attributes, odd calls of a layer."""
        attr = self.callable_attr(cls) or "self.missing"
        other = self.callable_attr(cls) or "self.missing"
        e = lambda: self.expr(cls, depth + 1, scope)  # noqa: E731
        name = self.fresh("odd")
        variants = [
            lambda: [f"{name}, {name}_b = {attr}, {other}", f"x = {name}({name}_b(x))"],
            lambda: [f"for {name} in ({attr}, {other}, {attr}):", f"    x = {name}(x)"],
            lambda: [
                f"for {name}, m in zip([{attr}, {other}], [{attr}, {other}]):",
                f"    x = m({name}(x))",
            ],
            lambda: [f"for i, {name} in enumerate([{attr}] * 2):", f"    x = {name}(x)"],
            lambda: [
                f"def {name}(t, layer={attr}):",
                "    return layer(layer(t))",
                f"x = {name}(x)",
                f"x = {name}(x, layer={other})",
            ],
            lambda: [f"x = ({name} := {attr})(x)", f"x = {name}(x)"],
            lambda: [f"x = {attr}.__call__(x)", f"x = {attr}.call(x)"],
            lambda: [f"x = functools.partial({attr})(x)", f"x = {attr}(*[x], **{{}})"],
            lambda: ["args = (x,)", f"x = {attr}(*args)", f"x = {attr}(*args, training=True)"],
            lambda: [f"{name} = {{'k': {attr}}}", f"x = {name}['k'](x)", f"x = {name}['k'](x)"],
            lambda: [f"{name} = [{attr}, {other}]", f"x = {name}[0](x)", f"x = {name}[-2](x)"],
            lambda: [f"{name} = {{k: v for k, v in [('a', {attr})]}}", f"x = {name}['a'](x)"],
            lambda: [f"x = [{attr}(t) for t in [x, x] if t is not None][0]"],
            lambda: [f"x = {{t: {attr}(t) for t in [x]}}[x]"],
            lambda: [
                f"def {name}():",
                "    nonlocal x",
                f"    x = {attr}(x)",
                f"{name}()",
                f"{name}()",
            ],
            lambda: [f"del {self.pick(['y', 'h', 'x'])}"],
            lambda: [f"x = await {attr}(x)" if scope.asynchronous else f"y = yield {e()}"],
            lambda: [f"x = getattr(self, {self.pick(['name', 'self.key', repr('bn1')])})(x)"],
            lambda: [f"x = self.__dict__[{attr[5:]!r}](x)", f"x = type(self).{attr[5:]}(x)"],
            lambda: ["x = super().call(x)", f"x = super({cls.name}, self).call(x)"],
            lambda: [f"self.{name} = {attr}", f"x = self.{name}(x)"],
            lambda: ["self.counter += 1", f"self.{name} = None"],
            lambda: [f"x = {attr}(x) if (x := {other}(x)) is not None else {attr}(x)"],
            lambda: [
                "while True:",
                f"    x = {attr}(x)",
                "    if x is None:",
                "        break",
                "else:",
                f"    x = {other}(x)",
            ],
            lambda: ["try:", f"    return {attr}(x)", "finally:", f"    x = {attr}(x)"],
            lambda: [f"with {attr} as {name}:", f"    x = {name}(x)"],
            lambda: [f"assert {attr}(x) is not None, {other}(x)"],
            lambda: [f"x = [*[{attr}(x)], {other}(x)][0]"],
            lambda: [f"x = (lambda t, f={attr}: f(f(t)))(x)"],
            lambda: [f"x = {attr}({attr}, {attr})"],
            lambda: [f"x = {attr}(x)[{attr}(x)]"],
            lambda: [f"{attr}.trainable = False", f"x = {attr}(x)"],
            lambda: ["x = self(x)", "x = self.call(x)"],
            lambda: [f"x = keras.ops.cond(training, lambda: {attr}(x), lambda: {other}(x))"],
            lambda: [f"x = tf.map_fn({attr}, x)", f"x = list(map({attr}, [x, x]))[0]"],
            lambda: [f'print(f"{{{attr}(x)}} {{{attr}(x)!r}}")'],
            lambda: [
                f"if {attr}:",
                f"    x = {attr}(x)",
                f"elif {other} is {attr}:",
                f"    x = {other}(x)",
            ],
        ]
        for line in self.pick(variants)():
            self.emit(level, line)

    def block(self, cls, level, depth, scope, result="x", ret=False):
        n = self.rng.randint(1, 2)
        for _ in range(n):
            self.statement(cls, level, depth, scope)
        if ret:
            self.emit(level, f"return {self.expr(cls, depth, scope, var=result)}")

    def cond(self, scope):
        return self.pick(
            [
                "training",
                "not training",
                "self.flag",
                "x is None",
                "mode == 'a'",
                "training and self.flag",
                "i > 0" if False else "getattr(self, 'flag', False)",
                "isinstance(x, list)",
                "y" if "y" in scope.names else "x",
            ]
        )

    def expr(self, cls, depth, scope, var="x"):
        rng = self.rng
        if depth > 4 + self.size or self.r() < 0.25:
            return self.pick([var] + scope.names)
        roll = self.r()
        inner = lambda: self.expr(cls, depth + 1, scope, var)  # noqa: E731
        if roll < 0.4:
            attr = self.callable_attr(cls)
            if attr:
                extra = self.pick(["", "", "", ", training=training", ", training=True"])
                return f"{attr}({inner()}{extra})"
        if roll < 0.5 and cls.methods:
            name, takes = self.pick(cls.methods)
            if takes:
                attr = self.callable_attr(cls) or "None"
                if self.r() < 0.3:
                    return f"self.{name}(layer={attr}, x={inner()})"
                return f"self.{name}({attr}, {inner()})"
            return f"self.{name}({inner()})"
        if roll < 0.55 and cls.properties:
            return f"self.{self.pick(cls.properties)}({inner()})"
        if roll < 0.62 and scope.callables:
            return f"{self.pick(scope.callables)}({inner()})"
        if roll < 0.66 and self.module_funcs:
            attr = self.callable_attr(cls) or "None"
            return f"{self.pick(self.module_funcs)}({inner()}, {attr})"
        if roll < 0.72:
            return f"{inner()} {self.pick(['+', '*', '-', '@'])} {inner()}"
        if roll < 0.77:
            return f"({inner()} if {self.cond(scope)} else {inner()})"
        if roll < 0.8:
            attr = self.callable_attr(cls)
            if attr:
                # (an assignment expression may not stand in a comprehension's iterable)
                return f"sum({attr}(t) for t in [{var}, {self.pick([var] + scope.names)}])"
        if roll < 0.83:
            return f"concat([{inner()}, {inner()}])"
        if roll < 0.86:
            return f"({self.fresh('w')} := {inner()})"
        if roll < 0.88:
            return f"[{inner()} for _ in range(2)][0]"
        if roll < 0.9:
            return f"(lambda t: {inner()})({var})"
        if roll < 0.92 and rng.random() < 0.5:
            return f"{var}[0]"
        return self.pick([var] + scope.names)

    # graphs ----------------------------------------------------------------------------
    def functional(self):
        api = self.spell.api
        inside = self.r() < 0.6
        level = 1 if inside else 0
        if inside:
            self.emit(0, f"def {self.fresh('build_')}(deep=False):")
        self.emit(level, f"inputs = {api}Input(shape=(8,))")
        layers_ = []
        for _ in range(self.rng.randint(1, 4)):
            name = self.fresh("layer")
            self.emit(level, f"{name} = {self.ctor(stats_bias=0.3)}")
            layers_.append(name)
        self.emit(level, "x = inputs")
        self.graph_statements(level, layers_, 0)
        if self.r() < 0.4:
            listed = ", ".join(self.rng.choice(layers_) for _ in range(3))
            self.emit(level, f"seq = {api}Sequential([{listed}])")
            self.emit(level, "x = seq(x)")
            if self.r() < 0.5:
                self.emit(level, "y = seq(inputs)")
        roll = self.r()
        if roll < 0.15:  # two inputs, outputs in a dict
            self.emit(level, f"second = {api}Input(shape=(8,))")
            self.emit(level, f"z = {self.pick(layers_)}(second)")
            self.emit(
                level, f"model = {api}Model(inputs=[inputs, second], outputs={{'x': x, 'z': z}})"
            )
        elif roll < 0.25:  # two models over parts of one graph
            self.emit(level, f"head = {api}Model(inputs, x)")
            self.emit(level, f"model = {api}Model(inputs, {self.pick(layers_)}(x))")
        elif roll < 0.3:  # a TF1 placeholder graph
            self.emit(level, "p = tf.compat.v1.placeholder(tf.float32, (None, 8))")
            self.emit(level, f"q = {self.pick(layers_)}({self.pick(layers_)}(p))")
            self.emit(level, f"model = {api}Model(inputs, x)")
        else:
            self.emit(level, f"model = {api}Model(inputs, x)")
        roll = self.r()
        if roll < 0.2:
            self.emit(level, "other = model(inputs)")
        elif roll < 0.3:  # a model inside another graph, twice (siamese)
            self.emit(level, f"left, right = {api}Input((8,)), {api}Input((8,))")
            self.emit(level, f"pair = {api}Model([left, right], [model(left), model(right)])")
        elif roll < 0.35:
            self.emit(level, "models = [model, model]")
            self.emit(level, "for m in models:")
            self.emit(level + 1, "x = m(x)")
        elif roll < 0.4:
            self.emit(level, f"outs = [{self.pick(layers_)}(t) for t in [inputs, x]]")
            self.emit(level, f"merged = {self.spell.layer('Concatenate')}()(outs)")
            self.emit(level, f"model = {api}Model(inputs, merged)")
        if inside:
            self.emit(level, "return model")
        self.emit(0, "")
        self.emit(0, "")

    def graph_statements(self, level, layers_, depth):
        for _ in range(self.rng.randint(1, 5)):
            roll = self.r()
            layer = self.pick(layers_)
            if roll < 0.5 or depth > 2:
                src = self.pick(["x", "inputs", "x * 2", "x + inputs"])
                self.emit(level, f"x = {layer}({src})")
            elif roll < 0.6 and self.module_funcs:
                self.emit(level, f"x = {self.pick(self.module_funcs)}(x, {layer})")
            elif roll < 0.7:
                self.emit(level, "if deep:" if level else "if DEEP:")
                self.graph_statements(level + 1, layers_, depth + 1)
                self.emit(level, "else:")
                self.graph_statements(level + 1, layers_, depth + 1)
            elif roll < 0.8:
                self.emit(level, f"for _ in range({self.rng.randint(1, 3)}):")
                self.graph_statements(level + 1, layers_, depth + 1)
            elif roll < 0.9:
                self.emit(level, f"x = {self.ctor()}(x)")
            else:
                self.emit(level, f"outs = [{layer}(t) for t in (x, inputs)]")

    def sequential(self):
        api = self.spell.api
        names = []
        for _ in range(self.rng.randint(1, 3)):
            name = self.fresh("seq_layer")
            self.emit(0, f"{name} = {self.ctor(stats_bias=0.3)}")
            names.append(name)
        model = self.fresh("seq")
        if self.r() < 0.5:
            items = [
                self.pick(names) if self.r() < 0.7 else self.ctor()
                for _ in range(self.rng.randint(1, 5))
            ]
            self.emit(0, f"{model} = {api}Sequential([{', '.join(items)}])")
        else:
            self.emit(0, f"{model} = {api}Sequential()")
            for _ in range(self.rng.randint(1, 5)):
                self.emit(0, f"{model}.add({self.pick(names) if self.r() < 0.7 else self.ctor()})")
        self.emit(0, "")

    def owners_at_module_level(self):
        shared = self.fresh("shared")
        self.emit(0, f"{shared} = {self.ctor(stats_bias=0.5)}")
        cls = self.pick(self.classes)
        self.emit(0, f"left = {cls.name}({shared})")
        self.emit(0, f"right = {cls.name}({shared})")
        self.emit(0, f"pair = [{shared}, {shared}]")
        wrapper = self.spell.layer("TimeDistributed")
        self.emit(0, f"wrapped = [{wrapper}({shared}) for _ in range(2)]")
        self.emit(0, "")


class _Scope:
    def __init__(self, names, asynchronous=False):
        self.names = [n for n in names if n != "x"]
        self.callables = []
        self.asynchronous = asynchronous  # an async def: await may be used, yield may not


class NotebookProgram:
    """An exported notebook: cells at module level, each with its own names (data, loops,
    plots, helpers, training), some building a functional model, one cell after another."""

    def __init__(self, seed, cells):
        self.rng = random.Random(seed)
        self.cells = cells
        self.spell = _Spelling(self.rng)
        self.out = []
        self.data = ["x_train"]
        self.models = []

    def pick(self, seq):
        return self.rng.choice(seq)

    def build(self):
        self.out += [
            "x_train = np.random.rand(64, 8)",
            "y_train = np.zeros(64)",
            "SHOW = False",
            "",
        ]
        kinds = [
            self.data_cell,
            self.loop_cell,
            self.if_cell,
            self.function_cell,
            self.model_cell,
            self.fit_cell,
            self.try_cell,
            self.comprehension_cell,
            self.with_cell,
        ]
        weights = [4, 3, 3, 2, 2, 2, 1, 2, 1]
        for i in range(self.cells):
            self.out.append(f"# %% cell {i}")
            self.rng.choices(kinds, weights)[0](i)
            self.out.append("")
        return self

    def __str__(self):
        head = [
            '"""Exported from a notebook by tools/fuzz.py."""',
            "import numpy as np",
            "import matplotlib.pyplot as plt",
        ] + self.spell.lines()
        return "\n".join(head + [""] + self.out) + "\n"

    def data_cell(self, i):
        name = f"data_{i}"
        self.out.append(f"{name} = {self.pick(self.data)} * {self.rng.randint(1, 9)} + 1")
        if self.rng.random() < 0.5:
            self.out.append(f"mean_{i} = {name}.mean(axis=0)")
        self.data.append(name)

    def loop_cell(self, i):
        self.out += [
            f"for row_{i} in {self.pick(self.data)}[:3]:",
            f"    total_{i} = row_{i}.sum()",
            f"    print(total_{i})",
        ]

    def if_cell(self, i):
        self.out += [
            "if SHOW:",
            f"    plt.plot({self.pick(self.data)}[:, 0])",
            f"    plt.title('cell {i}')",
        ]
        if self.rng.random() < 0.3:
            self.out += ["else:", f"    summary_{i} = {self.pick(self.data)}.shape"]

    def function_cell(self, i):
        self.out += [f"def prep_{i}(values, scale={i + 1}):", "    return values / scale"]
        self.data.append(f"prep_{i}({self.pick(self.data)})")

    def model_cell(self, i):
        api = self.spell.api
        self.out.append(f"inputs_{i} = {api}Input(shape=(8,))")
        layer = f"layer_{i}"
        name = self.pick(["BatchNormalization", "Dense", "LayerNormalization", "ReLU"])
        args = "4" if name == "Dense" else ""
        self.out.append(f"{layer} = {self.spell.layer(name)}({args})")
        self.out.append(f"h_{i} = {layer}(inputs_{i})")
        self.out.append(f"h_{i} = {self.spell.layer('Dense')}(8)(h_{i})")
        if self.rng.random() < 0.5:
            self.out.append(f"h_{i} = {layer}(h_{i})")  # called again in one graph
        self.out.append(f"model_{i} = {api}Model(inputs_{i}, h_{i})")
        self.models.append(f"model_{i}")

    def fit_cell(self, i):
        if not self.models:
            return self.data_cell(i)
        model = self.pick(self.models)
        self.out += [
            f"{model}.compile('adam', 'mse')",
            f"history_{i} = {model}.fit(x_train, y_train, epochs=1, verbose=0)",
            f"for epoch_{i}, loss_{i} in enumerate(history_{i}.history['loss']):",
            f"    print(epoch_{i}, loss_{i})",
        ]

    def try_cell(self, i):
        self.out += [
            "try:",
            f"    value_{i} = float({self.pick(self.data)}[0, 0])",
            "except (IndexError, TypeError) as error:",
            f"    value_{i} = None",
        ]

    def comprehension_cell(self, i):
        self.out.append(f"sizes_{i} = [len(v) for v in [{self.pick(self.data)}]]")

    def with_cell(self, i):
        self.out += [
            f"with open('log_{i}.txt', 'w') as handle_{i}:",
            f"    handle_{i}.write(str({self.pick(self.data)}.shape))",
        ]


def notebook_program(seed, cells=60):
    """The source of the random exported notebook of this seed."""
    return str(NotebookProgram(seed, cells).build())


def keras_program(seed, size=1.0, library=True, allow_match=HAS_MATCH, odd=0.1):
    """The source of the random Keras-shaped program of this seed."""
    return str(KerasProgram(seed, size, library, allow_match, odd).build())


def nested_program(hypo_source):
    """A hypothesmith program as the body of a model's `call()`, between layer calls; None when
    it is not valid there (a `from m import *`, `__future__`, `nonlocal` at the top...)."""
    body = textwrap.indent(hypo_source.strip("\n") or "pass", " " * 8)
    source = (
        "import keras\nfrom keras import layers\n\n\nclass Net(keras.Model):\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.bn = layers.BatchNormalization()\n"
        "        self.dense = layers.Dense(4)\n\n"
        "    def call(self, x, training=False):\n        x = self.bn(x)\n"
        + body
        + "\n        x = self.dense(self.bn(x))\n        return x\n"
    )
    try:
        parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    return source


def parse(source):
    """ast.parse without the SyntaxWarnings odd programs raise (`1()`, `x is 1`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


# -- checking one program in process ----------------------------------------------------------


class _BudgetLog(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.spent = 0

    def emit(self, record):
        if "budget" in record.getMessage():
            self.spent += 1


_HANDLER = None
_LEVEL = None


def budget_log():
    """The handler counting 'the file's work budget ran out' messages (installed once; the
    plugin's logger is set to INFO so that the message is made)."""
    global _HANDLER, _LEVEL
    if _HANDLER is None:
        _HANDLER = _BudgetLog()
        logger = logging.getLogger("flake8.keras_reuse")
        _LEVEL = logger.level
        logger.addHandler(_HANDLER)
        logger.setLevel(logging.INFO)
    return _HANDLER


def remove_budget_log():
    """Undo `budget_log()`: the logger as it was."""
    global _HANDLER
    if _HANDLER is not None:
        logger = logging.getLogger("flake8.keras_reuse")
        logger.removeHandler(_HANDLER)
        logger.setLevel(_LEVEL)
        _HANDLER = None


class Outcome:
    def __init__(self, findings=(), seconds=0.0, budget_spent=False, error=None, frame=None):
        self.findings = list(findings)
        self.seconds = seconds
        self.budget_spent = budget_spent
        self.error = error  # "Type: message" of an internal error
        self.frame = frame  # innermost frame of the plugin in its traceback
        self.budget_used = None  # share of the work budget used, with measure_budget()

    def codes(self):
        return [m.split()[0] for _, _, m in self.findings]


def innermost_plugin_frame(exc):
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "flake8_keras_reuse" in f.filename]
    frame = (ours or frames or [None])[-1]
    if frame is None:
        return "?"
    return f"{os.path.basename(frame.filename)}:{frame.lineno} in {frame.name}"


def check_safely(tree, source, filename):
    """The plugin's findings for one source as (line, col, "KRxxx message"), on the checker's
    deep-stack thread, with its own errors raised (never KR900)."""
    from flake8_keras_reuse import api
    from flake8_keras_reuse.rules import text

    found = api.on_deep_stack(api.analyse_unsafely, tree, source, filename)
    return [(f.line, f.col, text(f)) for f in found]


def check_source(source, filename):
    """Run the plugin (errors raise) on one source; an Outcome."""

    log = budget_log()
    before = log.spent
    tree = parse(source)
    _MeasuredBudget.last = None
    start = time.perf_counter()
    try:
        findings = check_safely(tree, source, filename)
    except Exception as exc:  # noqa: BLE001 - recorded, that is the point
        return Outcome(
            seconds=time.perf_counter() - start,
            error=f"{type(exc).__name__}: {exc}"[:300],
            frame=innermost_plugin_frame(exc),
        )
    seconds = time.perf_counter() - start
    outcome = Outcome(findings, seconds, log.spent > before)
    budget = _MeasuredBudget.last
    if budget is not None and budget.start > 0:
        outcome.budget_used = (budget.start - budget.left) / budget.start
    return outcome


class _MeasuredBudget:
    """Stands in for walk.Budget when `measure_budget()` is on: remembers the last budget
    made, so that the share of it a file used can be read afterwards."""

    last = None


def measure_budget():
    """Record how much of its work budget each file uses (walk.Budget, subclassed)."""
    from flake8_keras_reuse.core import walk as forward

    base = getattr(forward, "Budget", None)
    if base is None or getattr(base, "_fuzz_measured", False):
        return

    class Measured(base):
        _fuzz_measured = True

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.start = getattr(self, "left", 0)
            _MeasuredBudget.last = self

    forward.Budget = Measured


# -- batches through processes ----------------------------------------------------------------


def write_batch(folder, sources):
    """Write the library and each source as fuzz_NNNN.py; returns the file names."""
    os.makedirs(folder, exist_ok=True)
    for name, text in LIBRARY.items():
        with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
            handle.write(text)
    names = []
    for i, source in enumerate(sources):
        name = f"fuzz_{i:04d}.py"
        with open(os.path.join(folder, name), "w", encoding="utf-8", newline="") as handle:
            handle.write(source)
        names.append(name)
    return names


_ROW = re.compile(r"^(?P<path>.+?):(?P<row>\d+):(?P<col>\d+): (?P<msg>[A-Z]+[0-9]+ .*)$")


def _flake8(args, cwd, stdin=None, env=None):
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select=KR", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    if proc.returncode not in (0, 1) or "Traceback" in proc.stderr:
        raise RuntimeError(f"flake8 failed ({proc.returncode}): {proc.stderr[-2000:]}")
    found = collections.defaultdict(list)
    for line in proc.stdout.splitlines():
        match = _ROW.match(line)
        if match:
            path = os.path.basename(match["path"])
            found[path].append((int(match["row"]), int(match["col"]), match["msg"]))
    return {k: sorted(v) for k, v in found.items()}


def flake8_files(folder, names, jobs):
    """{name: [(row, col, message)]} from one flake8 run in file mode over the named files."""
    return _flake8([f"-j{jobs}", *names], folder)


def flake8_stdin(folder, name):
    with open(os.path.join(folder, name), encoding="utf-8", newline="") as handle:
        source = handle.read()
    return _flake8(["--stdin-display-name", name, "-"], folder, stdin=source).get(name, [])


WORKER = r"""
import ast, json, os, sys
from flake8_keras_reuse import api
from flake8_keras_reuse.rules import text
folder, names = sys.argv[1], sys.argv[2:]
out = {}
for name in names:
    path = os.path.join(folder, name)
    with open(path, encoding="utf-8", newline="") as handle:
        source = handle.read()
    found = api.on_deep_stack(api.analyse_unsafely, ast.parse(source), source, path)
    out[name] = [[f.line, f.col, text(f)] for f in found]
print(json.dumps(out))
"""


def hashseed_findings(folder, names, hashseed):
    """{name: [(row, col, message)]} from the plugin in a process with this PYTHONHASHSEED."""
    env = dict(os.environ, PYTHONHASHSEED=str(hashseed), KERAS_REUSE_RAISE="1")
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, folder, *names],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"worker failed: {proc.stderr[-2000:]}")
    # flake8 numbers columns from 1, the plugin from 0: shown as flake8 shows them
    return {
        k: sorted((r, c + 1, m) for r, c, m in v) for k, v in json.loads(proc.stdout).items() if v
    }


def compare(a, b):
    """Names whose findings differ between two {name: findings} results."""
    return sorted(n for n in set(a) | set(b) if a.get(n, []) != b.get(n, []))


# -- hypothesmith programs outside hypothesis's test runner -----------------------------------


def hypothesmith_sources(count, seed):
    """`count` programs drawn from hypothesmith's grammar and node strategies (with hypothesis's
    `find`-free data generation: one `given` run that collects what it is shown)."""
    import hypothesmith
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed
    from hypothesis import strategies as st

    drawn = []
    strategy = st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node())

    @hseed(seed)
    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(source):
        drawn.append(source)

    collect()
    return drawn


# -- the long run -----------------------------------------------------------------------------


def _programs(rng, args):
    """One batch: (label, source) pairs, Keras-shaped and hypothesmith ones."""
    batch = []
    n_hypo = sum(rng.random() < args.hypo_share for _ in range(args.batch))
    for _ in range(args.batch - n_hypo):
        seed, size = rng.randrange(2**32), rng.choice(args.sizes)
        if rng.random() < args.notebook_share:
            cells = int(rng.choice([20, 60, 120]) * size)
            batch.append((f"notebook seed={seed} cells={cells}", notebook_program(seed, cells)))
            continue
        label = f"keras seed={seed} size={size}" + (f" odd={args.odd}" if args.odd != 0.1 else "")
        batch.append((label, keras_program(seed, size, odd=args.odd)))
    if n_hypo:
        drawn = hypothesmith_sources(n_hypo, rng.randrange(2**32))
        for i, source in enumerate(drawn):
            nested = nested_program(source) if i % 2 else None
            if nested is not None:
                batch.append((f"hypothesmith-in-call {i}", nested))
            else:
                batch.append((f"hypothesmith {i}", source))
    return batch


def run(args):
    rng = random.Random(args.seed)
    measure_budget()
    stats = collections.Counter()
    codes = collections.Counter()
    errors = collections.defaultdict(list)
    budget = []
    times = []
    slowest = []
    most_budget = []
    mismatches = collections.defaultdict(list)
    started = time.monotonic()
    deadline = started + args.seconds if args.seconds else None
    tmp_root = args.keep or tempfile.mkdtemp(prefix="kr-fuzz-")
    batch_no = 0

    def out_of_time():
        return (deadline is not None and time.monotonic() > deadline) or (
            args.count and stats["programs"] >= args.count
        )

    while not out_of_time():
        batch_no += 1
        batch = _programs(rng, args)
        folder = os.path.join(tmp_root, f"b{batch_no:03d}")
        names = write_batch(folder, [source for _, source in batch])
        labels = {name: label for name, (label, _) in zip(names, batch)}
        here = {}
        for name, (label, source) in zip(names, batch):
            outcome = check_source(source, os.path.join(folder, name))
            stats["programs"] += 1
            stats[label.split()[0]] += 1
            times.append(outcome.seconds)
            slowest = sorted(
                slowest + [(outcome.seconds, label, len(source.splitlines()))], reverse=True
            )[:5]
            if outcome.budget_used is not None:
                most_budget = sorted(most_budget + [(outcome.budget_used, label)], reverse=True)[:3]
            if outcome.error:
                stats["internal errors"] += 1
                errors[(outcome.error.split(":")[0], outcome.frame)].append(
                    (label, os.path.join(folder, name), outcome.error)
                )
                continue
            if outcome.budget_spent:
                stats["budget exhaustions"] += 1
                budget.append((label, len(source.splitlines()), os.path.join(folder, name)))
            if outcome.findings:
                stats["programs with findings"] += 1
                here[name] = [(r, c + 1, m) for r, c, m in outcome.findings]
            codes.update(outcome.codes())
        if not args.no_processes and batch_no % args.process_every == 0:
            _agreement(folder, names, labels, here, rng, args, stats, mismatches)
        if args.verbose:
            print(
                f"batch {batch_no} after {time.monotonic() - started:.0f}s: {dict(stats)}",
                flush=True,
            )
    elapsed = time.monotonic() - started

    print(f"ran {elapsed:.0f}s, {batch_no} batches, seed {args.seed}")
    print(
        f"programs: {stats['programs']} (keras-shaped {stats['keras']}, notebooks "
        f"{stats['notebook']}, hypothesmith "
        f"{stats['hypothesmith']}, hypothesmith as the body of call() "
        f"{stats['hypothesmith-in-call']})"
    )
    print(f"programs with findings: {stats['programs with findings']}")
    print("findings per code: " + ", ".join(f"{c} {n}" for c, n in sorted(codes.items())))
    print(f"internal errors: {stats['internal errors']}")
    for (kind, frame), where in sorted(errors.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(where)} x {kind} at {frame}; first: {where[0]}")
    print(f"budget exhaustions: {stats['budget exhaustions']}")
    for item in budget[:10]:
        print(f"  {item}")
    if most_budget:
        print(
            "largest shares of the budget used: "
            + "; ".join(f"{share:.1%} {label}" for share, label in most_budget)
        )
    if times:
        print(f"time per program: max {max(times):.3f}s, mean {sum(times) / len(times):.4f}s")
        print(
            "slowest: "
            + "; ".join(f"{t:.3f}s {label} ({lines} lines)" for t, label, lines in slowest)
        )
    print(
        f"process runs: flake8 file mode {stats['flake8 file-mode runs']} (over "
        f"{stats['files through flake8']} files), stdin {stats['flake8 stdin runs']}, "
        f"hash-seed workers {stats['hash-seed worker runs']}"
    )
    print("mismatches: " + (", ".join(f"{k} {len(v)}" for k, v in mismatches.items()) or "none"))
    for kind, where in mismatches.items():
        for item in where[:5]:
            print(f"  {kind}: {item}")
    print(f"batches kept in {tmp_root}")
    bad = (
        stats["internal errors"]
        + stats["budget exhaustions"]
        + sum(len(v) for v in mismatches.values())
    )
    return 1 if bad else 0


def _agreement(folder, names, labels, here, rng, args, stats, mismatches):
    """The batch through processes: flake8 -j1, -j2 and stdin, and hash-seed workers."""

    def note(kind, differing):
        for name in differing:
            mismatches[kind].append((os.path.join(folder, name), labels.get(name)))

    try:
        j1 = flake8_files(folder, names, 1)
        j2 = flake8_files(folder, names, 2)
        stats["flake8 file-mode runs"] += 2
        stats["files through flake8"] += len(names)
        note("flake8 -j1 vs -j2", compare(j1, j2))
        note("flake8 vs this process", compare(j1, here))
        candidates = sorted(j1)  # stdin for files with findings first
        stdin_names = rng.sample(candidates, min(args.stdin_per_batch // 2, len(candidates)))
        stdin_names += rng.sample(names, min(args.stdin_per_batch - len(stdin_names), len(names)))
        for name in stdin_names:
            stats["flake8 stdin runs"] += 1
            if flake8_stdin(folder, name) != j1.get(name, []):
                note("flake8 file vs stdin", [name])
        seeds = [hashseed_findings(folder, names, s) for s in args.hashseeds]
        stats["hash-seed worker runs"] += len(seeds)
        for seed, result in zip(args.hashseeds[1:], seeds[1:]):
            note(f"PYTHONHASHSEED {args.hashseeds[0]} vs {seed}", compare(seeds[0], result))
        note("fresh worker vs flake8", compare(seeds[0], j1))
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        mismatches["process failures"].append((folder, str(exc)[-1500:]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=0, help="run for this long")
    parser.add_argument("--count", type=int, default=0, help="or this many programs")
    parser.add_argument("--seed", type=int, default=0, help="seed of the run")
    parser.add_argument("--batch", type=int, default=100, help="programs per flake8 batch")
    parser.add_argument(
        "--hypo-share", type=float, default=0.2, help="share of hypothesmith programs"
    )
    parser.add_argument("--stdin-per-batch", type=int, default=8)
    parser.add_argument(
        "--process-every",
        type=int,
        default=1,
        metavar="N",
        help="run the process checks on every N-th batch",
    )
    parser.add_argument(
        "--sizes",
        type=lambda s: [float(x) for x in s.split(",")],
        default=[0.5, 1.0, 1.0, 1.5, 3.0],
        help="size factors to draw from (3.0: about 1,800 lines)",
    )
    parser.add_argument("--keep", metavar="DIR", help="write the batches here")
    parser.add_argument(
        "--notebook-share",
        type=float,
        default=0.1,
        help="share of exported-notebook programs (20 to 360 cells)",
    )
    parser.add_argument(
        "--odd",
        type=float,
        default=0.1,
        help="share of rarer statement shapes in Keras-shaped programs",
    )
    parser.add_argument(
        "--hashseeds", type=lambda s: [int(x) for x in s.split(",")], default=[0, 1, 12345]
    )
    parser.add_argument("--no-processes", action="store_true", help="only the in-process checks")
    parser.add_argument(
        "--show",
        type=int,
        metavar="SEED",
        help="print the Keras-shaped program of this seed and exit",
    )
    parser.add_argument(
        "--show-notebook",
        type=int,
        nargs=2,
        metavar=("SEED", "CELLS"),
        help="print the notebook program of this seed and size and exit",
    )
    parser.add_argument("--size", type=float, default=1.0, help="size factor for --show")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", SyntaxWarning)  # hypothesmith's odd programs
    if args.show_notebook:
        sys.stdout.write(notebook_program(*args.show_notebook))
        return 0
    if args.show is not None:
        sys.stdout.write(keras_program(args.show, args.size, odd=args.odd))
        return 0
    if not args.seconds and not args.count:
        args.count = 500
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
