"""Sizes claim nothing they cannot prove: programs an adversarial review wrote against KR005.

Each runs on Keras 3 (checked by hand with KERAS_BACKEND=jax when the review wrote it: none
raises where a KR005 would say it does; p20 raises where an equal-size claim would say it
runs). The analysis must make no KR005 and no equal-size claim on any of them.
"""

import json
import os
import subprocess
import sys

import pytest
from expectations import needs_keras

from flake8_keras_reuse import analyse

PROGRAMS = {
    # a module factory's own arguments are not the layer's
    "p01_factory": """\
import keras
from keras import layers


def dense(scale, units):
    return layers.Dense(units * scale)


inp = keras.Input(shape=(16,))
shared = layers.Dense(4)
a = layers.Dense(8)(inp)
y1 = shared(a)
b = dense(2, 4)(inp)  # Dense(8): 8 channels
y2 = shared(b)
model = keras.Model(inp, [y1, y2])
""",
    # a factory returning Dense(units * 2)
    "p01b_factory": """\
import keras
from keras import layers


def wide_dense(units):
    return layers.Dense(units * 2)


inp = keras.Input(shape=(16,))
shared = layers.Dense(4)
y1 = shared(layers.Dense(8)(inp))
y2 = shared(wide_dense(4)(inp))  # Dense(8)
model = keras.Model(inp, [y1, y2])
""",
    # a list appended to before Concatenate
    "p02_append": """\
import keras
from keras import layers

inp = keras.Input(shape=(8,))
shared = layers.Dense(3)
y1 = shared(inp)
feats = [layers.Dense(2)(inp), layers.Dense(2)(inp)]
feats.append(layers.Dense(4)(inp))
cat = layers.Concatenate()(feats)  # 8 channels (tool: 4)
y2 = shared(cat)
model = keras.Model(inp, [y1, y2])
""",
    # a walrus rebinds the input
    "p03_walrus": """\
import keras
from keras import layers

inp = keras.Input(shape=(8,))
shared = layers.Dense(3)
h = shared(inp)
print((h := layers.Dense(8)(h)))
y2 = shared(h)
model = keras.Model(inp, [y2])
""",
    # a helper rebinds it through `global`
    "p04_global": """\
import keras
from keras import layers

inp = keras.Input(shape=(8,))
shared = layers.Dense(3)
h = shared(inp)


def widen():
    global h
    h = layers.Dense(8)(h)


widen()
y2 = shared(h)
model = keras.Model(inp, [y2])
""",
    # a loop of one pass has no second pass
    "p06_range1": """\
import keras
from keras import layers

inp = keras.Input(shape=(4,))
x = inp
shared = layers.Dense(8)
for _ in range(1):
    x = shared(x)
model = keras.Model(inp, x)
""",
    # a loop over nothing
    "p07_empty": """\
import keras
from keras import layers

inp = keras.Input(shape=(4,))
x = layers.Dense(4)(inp)
shared = layers.Dense(8)
for _ in []:
    x = shared(x)
model = keras.Model(inp, x)
""",
    # a while loop may stop after one pass
    "p08_while": """\
import keras
from keras import layers

inp = keras.Input(shape=(4,))
x = inp
shared = layers.Dense(8)
i = 0
while i < 1:
    x = shared(x)
    i += 1
model = keras.Model(inp, x)
""",
    # output_shape sets MultiHeadAttention's width
    "p09_mha": """\
import keras
from keras import layers

inp = keras.Input(shape=(5, 16))
shared = layers.Dense(2)
mha = layers.MultiHeadAttention(num_heads=2, key_dim=4, output_shape=8)
att = mha(inp, inp)  # 8 channels
y1 = shared(att)
y2 = shared(layers.Dense(8)(inp))
model = keras.Model(inp, [y1, y2])
""",
    # output_mode sets Discretization's width
    "p10_disc": """\
import keras
from keras import layers

inp = keras.Input(shape=(8,))
shared = layers.Dense(2)
d = layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode="multi_hot")
y1 = shared(d(inp))  # 4 channels
y2 = shared(layers.Dense(4)(inp))
model = keras.Model(inp, [y1, y2])
""",
    # factories of another module and a static factory
    "p12_modfactory": """\
import keras
from keras import layers

import kr_fact


class Factory:
    @staticmethod
    def dense(units):
        return layers.Dense(units * 2)


inp = keras.Input(shape=(16,))
shared = layers.Dense(4)
y1 = shared(layers.Dense(8)(inp))
y2 = shared(kr_fact.wide_dense(4)(inp))  # Dense(8)
y3 = shared(Factory.dense(4)(inp))  # Dense(8)
model = keras.Model(inp, [y1, y2, y3])
""",
    # a PyTorch-style conv(in, out) factory in __init__
    "p14_init_factory": """\
import keras
from keras import layers


def conv(in_channels, out_channels):
    return layers.Conv2D(out_channels, 3, padding="same")


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.stem = conv(3, 16)
        self.mid = conv(16, 16)
        self.head = layers.Conv2D(3, 1)

    def call(self, x):
        a = self.head(self.stem(x))  # head built on 16
        b = self.head(self.mid(a))  # 16 again: runs
        return b
""",
    # a decorated helper runs its decorator's code
    "p17_decorator": """\
import keras
from keras import layers


def residual_concat(fn):
    def wrapped(x):
        return layers.Concatenate()([x, fn(x)])
    return wrapped


@residual_concat
def block(x):
    return layers.Dense(4)(x)


inp = keras.Input(shape=(4,))
shared = layers.Dense(2)
y1 = shared(layers.Dense(8)(inp))
y2 = shared(block(inp))  # 4 + 4 = 8 channels
model = keras.Model(inp, [y1, y2])
""",
    # a subclass overrides the method call() runs
    "p18_template": """\
import keras
from keras import layers


class Base(keras.Model):
    def __init__(self):
        super().__init__()
        self.a = layers.Dense(4)
        self.b = layers.Dense(8)
        self.shared = layers.Dense(2)

    def features(self, x):
        return self.a(x)

    def call(self, x):
        y1 = self.shared(self.b(x))
        y2 = self.shared(self.features(x))
        return y1 + y2


class Wide(Base):
    def features(self, x):
        return self.b(x)
""",
    # a list item replaced before Concatenate
    "p19_setitem": """\
import keras
from keras import layers

inp = keras.Input(shape=(8,))
shared = layers.Dense(3)
y1 = shared(inp)
feats = [layers.Dense(2)(inp), layers.Dense(2)(inp)]
feats[0] = layers.Dense(6)(inp)
y2 = shared(layers.Concatenate()(feats))  # 6 + 2 = 8
model = keras.Model(inp, [y1, y2])
""",
    # a walrus rebinds: no equal claim either
    "p20_equal_wrong": """\
import keras
from keras import layers

inp = keras.Input(shape=(8,))
shared = layers.Dense(8)
h = shared(inp)
print((h := layers.Dense(3)(h)))
y2 = shared(h)  # 3 channels: raises
model = keras.Model(inp, [y2])
""",
    # the attribute is replaced from outside the class
    "p21_patched_attr": """\
import keras
from keras import layers


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.narrow = layers.Dense(4)
        self.wide = layers.Dense(8)
        self.shared = layers.Dense(2)

    def call(self, x):
        return self.shared(self.wide(x)) + self.shared(self.narrow(x))


net = Net()
net.narrow = layers.Dense(8)
""",
    # a loop over one item
    "p22_one_item": """\
import keras
from keras import layers

inp = keras.Input(shape=(4,))
x = inp
shared = layers.Dense(8)
for name in ["only"]:
    x = shared(x)
model = keras.Model(inp, x)
""",
    # a helper appends to the list
    "p24_helper_mutates": """\
import keras
from keras import layers


def add_branch(feats, x):
    feats.append(layers.Dense(4)(x))


inp = keras.Input(shape=(8,))
shared = layers.Dense(3)
y1 = shared(inp)
feats = [layers.Dense(2)(inp), layers.Dense(2)(inp)]
add_branch(feats, inp)
y2 = shared(layers.Concatenate()(feats))  # 8
model = keras.Model(inp, [y1, y2])
""",
    # a name imported and assigned later
    "p27_import_then_assign": """\
import keras
from keras import layers
from kr_width import width

inp = keras.Input(shape=(8,))
shared = layers.Dense(3)
y1 = shared(inp)
y2 = shared(layers.Dense(width)(inp))  # kr_width.width == 8
width = 4
model = keras.Model(inp, [y1, y2])
""",
    # a helper's first parameter is not self
    "p28_helper_first_param": """\
import keras
from keras import layers


def project(block, x):
    return block.proj(x)


class Inner(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.proj = layers.Dense(8)

    def call(self, x):
        return self.proj(x)


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.proj = layers.Dense(4)
        self.wide = layers.Dense(8)
        self.inner = Inner()
        self.shared = layers.Dense(2)

    def call(self, x):
        y1 = self.shared(self.wide(x))
        y2 = self.shared(project(self.inner, x))  # inner.proj: 8 channels
        return y1 + y2 + self.proj(x)[:, :2]
""",
    # a function adds to the stack it closes over
    "p29_stack_in_function": """\
import keras
from keras import layers

model = keras.Sequential()
model.add(keras.Input(shape=(8,)))
shared = layers.Dense(8)
model.add(shared)
model.add(layers.Dense(4))


def widen():
    model.add(layers.Dense(8))


widen()
model.add(shared)  # gets 8
""",
    # a factory builds the reused layer on another axis than its class's default
    "p30_norm_factory": """\
import keras
from keras import layers


def make_norm():
    return layers.BatchNormalization(axis=1)


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.a = layers.Conv2D(6, 3, padding="same")
        self.b = layers.Conv2D(16, 3, padding="same")
        self.norm = make_norm()

    def call(self, x):
        x = self.norm(self.a(x))
        return self.norm(self.b(x))
""",
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_no_size_claim_without_a_proof(name):
    findings = analyse(PROGRAMS[name], f"{name}.py")
    assert not [f for f in findings if f.code == "KR005"], findings
    assert not [f for f in findings if "equal" in f.args], findings


# What runs each program's model once, after its module body (graphs are built by the body).
CALLS = {
    "p14_init_factory": "Net()(np.zeros((1, 8, 8, 3)))",
    "p18_template": "Wide()(np.zeros((1, 5)))",
    "p21_patched_attr": "net(np.zeros((1, 5)))",
    "p28_helper_first_param": "Net()(np.zeros((1, 5)))",
    "p30_norm_factory": "Net()(np.zeros((1, 8, 8, 3)))",
}
# The modules two programs import (never read by the analysis: it does not import code).
MODULES = {
    "kr_fact": (
        "from keras import layers\n\n\ndef wide_dense(units):\n    return layers.Dense(units * 2)\n"
    ),
    "kr_width": "width = 8\n",
}
RUNNER = """\
import json, os, sys, traceback
os.environ["KERAS_BACKEND"] = "jax"
import numpy as np
programs, calls = json.loads(sys.stdin.read())
verdicts = {}
for name, source in programs.items():
    space = {"__name__": name, "np": np}
    try:
        exec(compile(source, name + ".py", "exec"), space)
        if name in calls:
            eval(calls[name], space)
        verdicts[name] = "runs"
    except Exception as error:  # the verdict is whether Keras raises
        verdicts[name] = type(error).__name__
print(json.dumps(verdicts))
"""


@needs_keras()
def test_keras_runs_every_program_the_sizes_make_no_claim_on(tmp_path):
    for module, text in MODULES.items():
        (tmp_path / f"{module}.py").write_text(text)
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER],
        input=json.dumps([PROGRAMS, CALLS]),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path), "KERAS_BACKEND": "jax"},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    verdicts = json.loads(proc.stdout.splitlines()[-1])
    raising = {name for name, verdict in verdicts.items() if verdict != "runs"}
    assert raising == {"p20_equal_wrong"}, verdicts  # where an equal claim would say it runs
