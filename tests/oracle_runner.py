"""Run fixture models on real Keras 3 and report how often each layer attribute ran in one pass.

    KERAS_BACKEND=jax python tests/oracle_runner.py < SPECS_JSON

SPECS_JSON maps a fixture path to {class name: spec}; a spec is
{"init": {...}, "inputs": [shape, ...], "kwargs": {...}}; an
input shape whose first item is "int" gives integers, a list of shapes gives a list of tensors.
The fixtures import Keras in every spelling; here each spelling is Keras 3 itself (tf.keras is
Keras 3 in TensorFlow >= 2.16), so no TensorFlow is needed. Prints {path: {class: result}}.
"""

import json
import os
import runpy
import sys
import traceback
import types

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402


def install_spellings():
    """Make `tensorflow.keras`, `tf_keras` and `tensorflow.python.keras` name Keras 3.

    Keras itself asks whether TensorFlow is importable; it must keep hearing "no", or it would
    take the stand-in for the real thing.
    """
    from keras.src.utils import module_utils

    module_utils.tensorflow._available = False
    tf = types.ModuleType("tensorflow")
    tf.keras = keras
    python = types.ModuleType("tensorflow.python")
    python.keras = keras
    tf.python = python
    modules = {"tensorflow": tf, "tensorflow.python": python, "tf_keras": keras}
    for prefix in ("tensorflow.keras", "tensorflow.python.keras", "tf_keras"):
        modules[prefix] = keras
        modules[prefix + ".layers"] = keras.layers
        modules[prefix + ".models"] = keras.models
    sys.modules.update(modules)


def tensor(spec, rng):
    if spec and isinstance(spec[0], list):
        return [tensor(s, rng) for s in spec]
    if spec and spec[0] == "int":
        return rng.integers(0, 9, size=spec[1:]).astype("int32")
    return rng.uniform(0.1, 1.0, size=spec).astype("float32")


def run_class(cls, spec):
    """Call the model once; per layer, the most calls it got within one run of the model's call().

    Keras may run call() more than once for one model(...) (a symbolic pass to build, then the
    real one), so calls are counted per run of call(), not per model(...).
    """
    rng = np.random.default_rng(0)
    model = cls(**spec.get("init", {}))
    passes = []  # one {id(layer): calls} per run of the model's call()
    depth = [0]
    original_call = cls.call
    original = keras.layers.Layer.__call__

    def counting(layer, *args, **kwargs):
        if layer is not model and passes and depth[0]:
            passes[-1][id(layer)] = passes[-1].get(id(layer), 0) + 1
        return original(layer, *args, **kwargs)

    def call(self, *args, **kwargs):
        if self is model and not depth[0]:
            passes.append({})
        depth[0] += self is model
        try:
            return original_call(self, *args, **kwargs)
        finally:
            depth[0] -= self is model

    inputs = [tensor(s, rng) for s in spec["inputs"]]
    kwargs = {
        k: tensor(v, rng) if isinstance(v, list) else v for k, v in spec.get("kwargs", {}).items()
    }
    keras.layers.Layer.__call__ = counting
    cls.call = call
    error = None
    try:
        model(*inputs, **kwargs)
    except Exception as exc:  # noqa: BLE001 - a crash is a verdict, reported to the test
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    finally:
        keras.layers.Layer.__call__ = original
        cls.call = original_call
    counts = {}
    for one in passes:
        for key, n in one.items():
            counts[key] = max(counts.get(key, 0), n)
    attrs = {}
    names = set(vars(model)) | {n for c in type(model).__mro__ for n in vars(c)}
    for name in sorted(names):
        try:
            value = getattr(model, name)
        except Exception:  # noqa: BLE001 - properties that fail outside a call
            continue
        slots = {name: value}
        if isinstance(value, (list, tuple)):  # `[Norm()] * n`: the slots of one list
            slots = {f"{name}[{i}]": item for i, item in enumerate(value)}
        elif isinstance(value, dict):  # `{"age": Dense(1)}`: a slot per key, as the plugin names it
            slots = {f"{name}[{key!r}]": item for key, item in value.items()}
        for slot, item in slots.items():
            if isinstance(item, keras.layers.Layer) and item is not model:
                attrs[slot] = {
                    "calls": counts.get(id(item), 0),
                    "class": type(item).__name__,
                    "variables": len(item.weights),
                    "instance": id(item),
                }
    return {"error": error, "passes": len(passes), "attrs": attrs}


# Helpers the fixtures' Keras claims (`# keras: ...`, expectations.claims) are written with.
def arr(*shape):
    return np.random.default_rng(0).uniform(0.1, 1.0, size=shape).astype("float32")


def raises(fn):
    try:
        fn()
    except Exception:  # noqa: BLE001 - the claim is that Keras fails here
        return True
    return False


def nodes(layer):
    """How many times a layer was called in the functional graphs built so far."""
    return len(layer._inbound_nodes)


def shared(model, cls):
    """Layers of a class that a functional model calls at more than one place."""
    return [layer for layer in model.layers if isinstance(layer, cls) and nodes(layer) > 1]


def calls(model, *inputs, **kwargs):
    """{id(layer): how often it ran} over one call of a built model, sublayers included."""
    model(*inputs, **kwargs)
    counts = {}
    original = keras.layers.Layer.__call__

    def counting(layer, *args, **kwargs):
        counts[id(layer)] = counts.get(id(layer), 0) + 1
        return original(layer, *args, **kwargs)

    keras.layers.Layer.__call__ = counting
    try:
        model(*inputs, **kwargs)
    finally:
        keras.layers.Layer.__call__ = original
    return counts


def made_per_call(model, x):
    """Layer classes constructed while the model runs, on its second call (after building)."""
    model(x)
    made = {}
    original = keras.layers.Layer.__init__

    def counting(layer, *args, **kwargs):
        made[type(layer).__name__] = made.get(type(layer).__name__, 0) + 1
        original(layer, *args, **kwargs)

    keras.layers.Layer.__init__ = counting
    try:
        model(x)
    finally:
        keras.layers.Layer.__init__ = original
    return made


def raises_at(fn, path, line):
    """Whether fn raises, and the call on this line of the fixture is where it fails."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the claim is that Keras fails here
        seen, error = set(), exc
        while error is not None and id(error) not in seen:
            seen.add(id(error))
            for frame, lineno in traceback.walk_tb(error.__traceback__):
                if frame.f_code.co_filename == path and lineno == line:
                    return True
            error = error.__cause__ or error.__context__
        return False
    return False


def runs(fn):
    """Whether fn runs without raising."""
    fn()
    return True


def attr_calls(model, attr, *inputs):
    """How often a model's attribute layer runs in one call of the model (after building)."""
    return calls(model, *inputs).get(id(getattr(model, attr)), 0)


def run_checks(namespace, checks):
    helpers = {
        "keras": keras,
        "np": np,
        "arr": arr,
        "raises": raises,
        "nodes": nodes,
        "shared": shared,
        "made_per_call": made_per_call,
        "calls": calls,
    }
    results = {}
    path = namespace.get("__file__", "")
    for line, expression in checks.items():
        here = {
            "raises_here": lambda fn, line=line: raises_at(fn, path, int(line)),
            "runs": runs,
            "attr_calls": attr_calls,
        }
        try:
            results[line] = bool(eval(expression, {**namespace, **helpers, **here}))  # noqa: S307
        except Exception as exc:  # noqa: BLE001 - reported to the test as a failed claim
            results[line] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return results


def main():
    install_spellings()
    results = {}
    for path, specs in json.load(sys.stdin).items():
        namespace = runpy.run_path(path, run_name="fixture")
        checks = specs.pop("__checks__", {})
        results[path] = {name: run_class(namespace[name], spec) for name, spec in specs.items()}
        results[path]["__checks__"] = run_checks(namespace, checks)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
