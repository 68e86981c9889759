#!/usr/bin/env python3
"""Derive the layer catalog from real Keras: build every public layer and look at its variables.

    KERAS_BACKEND=jax python tools/gen_catalog.py keras3   # Keras 3: tools/catalog/keras3.json
    python tools/gen_catalog.py keras2   # Keras 2 (tf_keras, needs TensorFlow): keras2.json
    python tools/gen_catalog.py merge                        # both into the plugin's layers.json
    python tools/gen_catalog.py keras3 --check               # exit 1 if the file would change

How a layer maps its input's channels (its last axis) to its output's, and whether its
variables are built for them, is measured the same way (`channels()`), for the shape checks.

A category is decided by building the layer, never by its name:
- stats: has non-trainable variables that a training-mode call changes (moving statistics);
- cell: has variables and its call() takes `states`: a recurrent cell, made to be called once per
  timestep;
- adapted: only non-trainable variables, untouched by the forward pass, set by `adapt()`;
- weights: has variables whose shapes follow the input (built for a 3-channel input, their shapes
  differ from one built for 5 channels);
- table: has variables whose shapes do not depend on the input (an embedding table);
- wrapper: takes another layer, whose state is the wrapped layer's;
- stateless: no variables (a seed generator's state is not a weight: sharing it is harmless).
Layers that cannot be built here are listed in SOURCE_DECISIONS with the category read from their
source and why.
"""

import argparse
import inspect
import json
import os
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "catalog"
PLUGIN_CATALOG = HERE.parent / "flake8_keras_reuse" / "knowledge" / "layers.json"

# Keras flavours: the module to introspect and the public namespaces that hold its layers.
FLAVOURS = {
    "keras3": {"module": "keras", "namespaces": ["layers"]},
    "keras2": {
        "module": "tf_keras",
        "namespaces": ["layers", "layers.experimental", "layers.experimental.preprocessing"],
    },
}

# Constructor arguments for layers that need some; the rest are built with none.
CTOR_ARGS = {
    "Dense": dict(units=4),
    "EinsumDense": dict(equation="ab,bc->ac", output_shape=4),
    "Embedding": dict(input_dim=10, output_dim=4),
    "ReversibleEmbedding": dict(input_dim=10, output_dim=4),
    "Conv1D": (4, 1),
    "Conv2D": (4, 1),
    "Conv3D": (4, 1),
    "Conv1DTranspose": (4, 1),
    "Conv2DTranspose": (4, 1),
    "Conv3DTranspose": (4, 1),
    "SeparableConv1D": (4, 1),
    "SeparableConv2D": (4, 1),
    "DepthwiseConv1D": (1,),
    "DepthwiseConv2D": (1,),
    "ConvLSTM1D": (4, 1),
    "ConvLSTM2D": (4, 1),
    "ConvLSTM3D": (4, 1),
    "LocallyConnected1D": (4, 1),
    "LocallyConnected2D": (4, 1),
    "SimpleRNN": (4,),
    "LSTM": (4,),
    "GRU": (4,),
    "SimpleRNNCell": (4,),
    "LSTMCell": (4,),
    "GRUCell": (4,),
    "PeepholeLSTMCell": (4,),
    "MultiHeadAttention": dict(num_heads=2, key_dim=4),
    "GroupedQueryAttention": dict(head_dim=4, num_query_heads=2, num_key_value_heads=1),
    "GroupNormalization": dict(groups=1),
    "Activation": ("relu",),
    "Dropout": (0.5,),
    "SpatialDropout1D": (0.5,),
    "SpatialDropout2D": (0.5,),
    "SpatialDropout3D": (0.5,),
    "GaussianDropout": (0.5,),
    "GaussianNoise": (0.5,),
    "AlphaDropout": (0.5,),
    "Reshape": ((-1,),),
    "Permute": ((1,),),
    "RepeatVector": (2,),
    "Rescaling": (0.5,),
    "Resizing": (4, 4),
    "CenterCrop": (4, 4),
    "RandomCrop": (4, 4),
    "RandomRotation": (0.1,),
    "RandomZoom": (0.1,),
    "RandomTranslation": (0.1, 0.1),
    "RandomContrast": (0.1,),
    "RandomBrightness": (0.1,),
    "RandomHeight": (0.1,),
    "RandomWidth": (0.1,),
    "RandomShear": dict(x_factor=0.1),
    "RandomPosterization": dict(factor=(1, 8)),
    "RandomColorJitter": dict(brightness_factor=0.1),
    "RandomColorDegeneration": (0.1,),
    "RandomSaturation": (0.1,),
    "RandomSharpness": (0.1,),
    "RandomHue": (0.1, (0, 255)),
    "RandomErasing": dict(factor=0.5),
    "RandomGaussianBlur": dict(factor=0.5),
    "RandomPerspective": dict(factor=0.5),
    "RandomElasticTransform": dict(factor=0.5),
    "Solarization": dict(addition_factor=0.1),
    "Discretization": dict(bin_boundaries=[0.5]),
    "CategoryEncoding": dict(num_tokens=10),
    "MaxNumBoundingBoxes": dict(max_number=2),
    "Lambda": (lambda x: x,),
    "Masking": (),
    "Cropping1D": (1,),
    "STFTSpectrogram": dict(frame_length=8, frame_step=4, fft_length=8),
    "MelSpectrogram": dict(fft_length=64, sequence_stride=16, sequence_length=64, num_mel_bins=8),
    "AdaptiveAveragePooling1D": (2,),
    "AdaptiveAveragePooling2D": (2,),
    "AdaptiveAveragePooling3D": (2,),
    "AdaptiveMaxPooling1D": (2,),
    "AdaptiveMaxPooling2D": (2,),
    "AdaptiveMaxPooling3D": (2,),
    "RandomFourierFeatures": dict(output_dim=4),
    "ThresholdedReLU": (),
    "AveragePooling1D": (2,),
    "AveragePooling2D": (2,),
    "AveragePooling3D": (2,),
    "Dot": dict(axes=-1),
}

# Layers that take another layer: built around a small Dense (or an RNN where required).
WRAPPED = {
    "TimeDistributed": "Dense",
    "SpectralNormalization": "Dense",
    "Bidirectional": "LSTM",
    "RNN": "SimpleRNNCell",
    "StackedRNNCells": "cells",
    "Wrapper": "Dense",
    "Pipeline": "pipeline",
}

# Layers that cannot be built on a CPU without TensorFlow or outside data: decided by reading
# their source. The reason says what in the source decides it.
SOURCE_DECISIONS = {
    "StringLookup": (
        "adapted",
        "a vocabulary table set by adapt() or the constructor; the "
        "forward pass only reads it (needs TensorFlow to build on JAX)",
    ),
    "IntegerLookup": ("adapted", "as StringLookup"),
    "TextVectorization": (
        "adapted",
        "a StringLookup vocabulary set by adapt(); the forward pass "
        "only reads it (not built here: needs TensorFlow on JAX, and text)",
    ),
    "Hashing": (
        "stateless",
        "hashes its input with a fixed salt; creates no variables (not "
        "built here: needs TensorFlow on JAX, and num_bins)",
    ),
    "HashedCrossing": (
        "stateless",
        "hashes crossed features; creates no variables (not built "
        "here: needs TensorFlow on JAX, and num_bins)",
    ),
    "TFSMLayer": (
        "table",
        "loads its variables from a SavedModel; their shapes do not depend "
        "on the input (needs a SavedModel on disk)",
    ),
    "JaxLayer": ("wrapper", "its variables come from the wrapped function's init"),
    "FlaxLayer": ("wrapper", "its variables come from the wrapped Flax module"),
    "TorchModuleWrapper": (
        "wrapper",
        "its variables are the wrapped torch module's (needs the torch backend)",
    ),
    "InputLayer": ("stateless", "a placeholder for the model's input; never called on tensors"),
    "DynamicEmbedding": ("stats", "its vocabulary is updated by every training call"),
    "DynamicLookup": ("stats", "its vocabulary is updated by every training call"),
    "Layer": ("base", "the base class of every layer"),
    "Wrapper": ("wrapper", "the abstract base of layers that wrap another layer"),
    "AbstractRNNCell": ("cell", "the abstract base of recurrent cells"),
    "DenseFeatures": ("wrapper", "its variables belong to the feature columns it is given"),
    "SpectralNormalization": (
        "stats",
        "a training call updates its power-iteration vector and "
        "rewrites the wrapped layer's kernel (tf_keras 2.21 cannot build "
        "it: it mixes in Keras 3's InputSpec)",
    ),
}

BASES = ["Layer", "Model", "Sequential", "Functional"]


def load(flavour):
    if flavour == "keras3":
        os.environ.setdefault("KERAS_BACKEND", "jax")
    module = __import__(FLAVOURS[flavour]["module"])
    return module


def public_layers(keras, flavour):
    """{class: {public names}} under the flavour's layer namespaces."""
    base = keras.layers.Layer
    found = {}
    for namespace in FLAVOURS[flavour]["namespaces"]:
        obj = keras
        for part in namespace.split("."):
            obj = getattr(obj, part, None)
        if obj is None:
            continue
        for name in dir(obj):
            value = getattr(obj, name)
            if inspect.isclass(value) and issubclass(value, base) and not name.startswith("_"):
                found.setdefault(value, set()).add(name)
    return found


def construct(keras, cls, variant=0):
    import numpy as np  # noqa: F401  (keras needs it; kept local so --help works without it)

    name = cls.__name__
    inner = WRAPPED.get(name)
    given = {
        "Dense": lambda: keras.layers.Dense(4),
        "LSTM": lambda: keras.layers.LSTM(4),
        "SimpleRNNCell": lambda: keras.layers.SimpleRNNCell(4),
    }.get(inner)
    if given is not None:
        layer = given()
        wrapper = cls(layer)
        wrapper._given = layer  # for keeps_argument(); never part of the catalog
        return wrapper
    if inner == "cells":
        return cls([keras.layers.SimpleRNNCell(4), keras.layers.SimpleRNNCell(4)])
    if inner == "pipeline":
        return cls([keras.layers.Rescaling(0.5)])
    args = CTOR_ARGS.get(name, ())
    return cls(**args) if isinstance(args, dict) else cls(*args)


def candidate_inputs(channels, tensor=None):
    """Inputs to try, most common first: (args, kwargs) pairs."""
    import numpy as np

    rng = np.random.default_rng(0)
    tensor = tensor or (lambda array: array)

    def f(*shape):
        return tensor(rng.uniform(0.1, 1.0, size=shape).astype("float32"))

    def i(*shape):
        return tensor(rng.integers(0, 9, size=shape).astype("int32"))

    c = channels
    return [
        ((f(2, 8, 8, c),), {}),
        ((f(2, 8, c),), {}),
        ((f(2, c),), {}),
        ((f(2, 4, 8, 8, c),), {}),
        ((f(2, 4, 4, 4, 4, c),), {}),
        (([f(2, 8, c), f(2, 8, c)],), {}),
        ((), {"query": f(2, 8, c), "value": f(2, 8, c)}),
        ((f(2, c), [f(2, 4)]), {}),
        ((f(2, c), [f(2, 4), f(2, 4)]), {}),
        ((f(2, c), [[f(2, 4)], [f(2, 4)]]), {}),
        ((i(2, c),), {}),
        ((f(2, 64 * c),), {}),
    ]


def build(keras, cls, channels):
    """A built instance and the (args, kwargs) it was called with, or raise the last error."""
    error = None
    tensor = None
    if keras.__name__ == "tf_keras":  # Keras 2 cells want tensors, not arrays, as states
        import tensorflow as tf

        tensor = tf.convert_to_tensor
    for args, kwargs in candidate_inputs(channels, tensor):
        try:
            layer = construct(keras, cls)
            layer(*args, **kwargs)
            return layer, (args, kwargs)
        except Exception as exc:  # noqa: BLE001 - try the next input shape
            error = exc
    raise RuntimeError(f"{type(error).__name__}: {str(error).splitlines()[0][:160]}")


def decide(keras, cls):
    """(category, how it was decided, variable counts)."""
    import numpy as np

    name = cls.__name__
    try:
        if name == "Layer":
            raise RuntimeError("the base class")
        layer, (args, kwargs) = build(keras, cls, channels=3)
    except RuntimeError as exc:
        if name in SOURCE_DECISIONS:
            category, reason = SOURCE_DECISIONS[name]
            return category, f"source: {reason}", None
        return None, f"not built: {exc}", None
    weights = list(layer.weights)
    counts = {
        "trainable": len(layer.trainable_weights),
        "non_trainable": len(layer.non_trainable_weights),
    }
    if WRAPPED.get(name) in ("Dense", "pipeline") and name != "SpectralNormalization":
        return "wrapper", "building: its variables are the wrapped layer's", counts
    if not weights:
        return "stateless", "building: no variables", counts
    before = [np.array(w.numpy()) for w in layer.non_trainable_weights]
    try:
        layer(*args, **kwargs, training=True)
    except TypeError:
        layer(*args, **kwargs)
    after = [np.array(w.numpy()) for w in layer.non_trainable_weights]
    if any(not np.array_equal(b, a) for b, a in zip(before, after)):
        return "stats", "building: a training call changed its non-trainable variables", counts
    if "states" in inspect.signature(cls.call).parameters:
        return "cell", "building: variables, and call() takes `states` (a recurrent cell)", counts
    if not layer.trainable_weights and hasattr(layer, "adapt"):
        return "adapted", "building: only non-trainable variables, set by adapt()", counts
    other, _ = build(keras, cls, channels=5)
    shapes = sorted(tuple(w.shape) for w in weights)
    if shapes != sorted(tuple(w.shape) for w in other.weights):
        return "weights", "building: variable shapes follow the input's", counts
    return "table", "building: variables whose shapes do not depend on the input", counts


# Layers whose output's last axis is set by arguments that are not sizes (a permutation, a
# target shape, a function): how they map the axis is never read from one sample.
SHAPED_BY_ARGUMENTS = {"Permute", "Reshape", "Lambda", "Dot", "Einsum", "EinsumDense"}
# Constructor parameters that move the axis a layer's variables are built for, or its output's.
AXIS_PARAMETERS = ("axis", "data_format")


def _first_input(keras, cls, channels):
    """(layer, output's last axis) for the first sample input of these channels it takes."""
    for args, kwargs in candidate_inputs(channels):
        # Random layers (AugMix picks its operations per call) measure the same on every run.
        keras.utils.set_random_seed(0)
        try:
            layer = construct(keras, cls)
            out = layer(*args, **kwargs)
        except Exception:  # noqa: BLE001 - try the next input shape
            continue
        if isinstance(out, (list, tuple)) or not hasattr(out, "shape") or not out.shape:
            return None
        return layer, (args, kwargs), int(out.shape[-1])
    return None


# Keyword arguments every layer may be given (Layer.__init__'s own and the ones it accepts in
# **kwargs); each is kept only if Keras takes it (layer_keywords()).
LAYER_KEYWORDS = {
    "name": "n",
    "dtype": "float32",
    "trainable": True,
    "autocast": True,
    "activity_regularizer": None,
    "input_shape": (3,),
    "input_dim": 3,
    "batch_input_shape": (None, 3),
    "batch_size": 2,
    "weights": None,
}


def layer_keywords(keras):
    """The keywords of LAYER_KEYWORDS that a layer (a Dense) accepts."""
    taken = []
    for name, value in sorted(LAYER_KEYWORDS.items()):
        try:
            keras.layers.Dense(4, **{name: value})
        except Exception:  # noqa: BLE001 - refused: not a keyword of this Keras
            continue
        taken.append(name)
    return taken


def _positional_names(cls):
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def channels(keras, cls):
    """How a layer maps its input's last axis (the channels, with Keras' default channels_last)
    to its output's, measured on inputs of 3 and 5 channels, and whether its variables are
    built for that axis: built on one size, a call on another raises (`bound`).

    maps: "keep" (the output has the input's size), "replace" (the size is the constructor
    argument `param`, at `position`), "times" (the input's size times `param`), "sum" (a list
    of inputs, their sizes added: Concatenate), "same" (a list of inputs of one size: Add).
    """
    name = cls.__name__
    if name in SHAPED_BY_ARGUMENTS or name in WRAPPED or name in SOURCE_DECISIONS:
        return None
    three, five = _first_input(keras, cls, 3), _first_input(keras, cls, 5)
    if three is None or five is None:
        return None
    layer, (args, kwargs), out3 = three
    out5 = five[2]
    listed = bool(args) and isinstance(args[0], list)
    positional = _positional_names(cls)
    rule = None
    if (out3, out5) == (3, 5):
        rule = {"maps": "same" if listed else "keep"}
        multiplier = "depth_multiplier"
        if multiplier in positional:
            try:
                doubled = cls(*CTOR_ARGS.get(name, ()), **{multiplier: 2})
                if int(doubled(*args, **kwargs).shape[-1]) == 6:
                    rule = {"maps": "times", "param": multiplier}
            except Exception:  # noqa: BLE001 - not measurable: keep the default's rule
                pass
    elif (out3, out5) == (6, 10) and listed:
        rule = {"maps": "sum"}
    elif out3 == out5:
        given = CTOR_ARGS.get(name, ())
        named = given if isinstance(given, dict) else dict(zip(positional, given))
        sizes = [k for k, v in named.items() if v == out3 and not isinstance(v, bool)]
        if len(sizes) == 1:
            rule = {"maps": "replace", "param": sizes[0]}
    if rule is None:
        return None
    if "param" in rule and rule["param"] in positional:
        rule["position"] = positional.index(rule["param"])
    # What the constructor takes: arguments of another Keras (Keras 1's `border_mode`) mean
    # the code was written for other defaults, and its sizes are not read.
    rule["params"] = sorted(
        p.name
        for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    )
    rule["positionals"] = len(positional)
    moved = [p for p in AXIS_PARAMETERS if p in inspect.signature(cls.__init__).parameters]
    if moved:
        rule["axis_params"] = moved
        rule["axis_positions"] = [positional.index(p) for p in moved if p in positional]
    rule["bound"] = bool(layer.weights) and all(
        _refuses(keras, cls, built, then) for built, then in ((3, 5), (3, 1), (1, 3))
    )
    return rule


def _refuses(keras, cls, built, then):
    """Whether a layer first called on `built` channels raises when called on `then`."""
    first = _first_input(keras, cls, built)
    if first is None:
        return False
    layer, (args, _), _ = first
    again = [c for c in candidate_inputs(then) if _same_rank(c[0], args)]
    if not again:
        return False
    keras.utils.set_random_seed(0)
    try:
        layer(*again[0][0], **again[0][1])
    except Exception:  # noqa: BLE001 - the refusal is the measurement
        return True
    return False


def _same_rank(one, other):
    def ranks(value):
        if hasattr(value, "shape"):
            return len(value.shape)
        return [ranks(v) for v in value]

    return ranks(one) == ranks(other)


def keeps_argument(keras, cls):
    """For a layer that takes another layer: whether it keeps that very instance (True) or a
    copy (False, as Bidirectional does). Handing one instance to two keepers shares it."""
    if cls.__name__ not in WRAPPED or cls.__name__ in ("Wrapper", "Pipeline"):
        return None
    try:
        wrapper = construct(keras, cls)
    except Exception:  # noqa: BLE001 - not constructible here: say nothing
        return None
    inner = [
        v for k, v in vars(wrapper).items() if k != "_given" and isinstance(v, keras.layers.Layer)
    ]
    given = getattr(wrapper, "_given", None)
    return any(v is given for v in inner) if given is not None else None


def generate(flavour):
    keras = load(flavour)
    entries = {}
    for cls, names in sorted(public_layers(keras, flavour).items(), key=lambda kv: kv[0].__name__):
        category, decided_by, counts = decide(keras, cls)
        entry = {
            "category": category,
            "public_names": sorted(names),
            "module": cls.__module__,
            "decided_by": decided_by,
        }
        if counts is not None:
            entry["variables"] = counts
        if flavour == "keras3":
            rule = channels(keras, cls)
            if rule is not None:
                entry["channels"] = rule
        keeps = keeps_argument(keras, cls)
        if keeps is not None:
            entry["keeps_layer_argument"] = keeps
        entries[cls.__name__] = entry
    version = getattr(keras, "__version__", "?")
    extra = {"layer_keywords": layer_keywords(keras)} if flavour == "keras3" else {}
    return {
        **extra,
        "flavour": flavour,
        "library": FLAVOURS[flavour]["module"],
        "version": version,
        "namespaces": FLAVOURS[flavour]["namespaces"],
        "classes": entries,
    }


def merge(parts):
    """The plugin's catalog: every public name with its category, per flavour where they differ."""
    classes = {}
    for part in parts:
        for cls, entry in part["classes"].items():
            if entry["category"] in (None, "base"):
                continue
            for name in [cls] + entry["public_names"]:
                record = classes.setdefault(name, {"class": cls, "category": {}})
                record["category"][part["flavour"]] = entry["category"]
    for record in classes.values():
        values = set(record["category"].values())
        if len(values) == 1:
            record["category"] = values.pop()
    copies = sorted(
        {
            cls
            for part in parts
            for cls, e in part["classes"].items()
            if e.get("keeps_layer_argument") is False
        }
    )
    return {
        "copies_layer_argument": copies,
        "_comment": (
            "Generated by tools/gen_catalog.py from "
            + ", ".join(f"{p['library']} {p['version']}" for p in parts)
            + "; do not edit by hand. Public name -> the class Keras defines and its category "
            "(one for all flavours, or per flavour where they differ). See the categories in "
            "tools/gen_catalog.py."
        ),
        "layers": dict(sorted(classes.items())),
        "bases": BASES,
        # How each class maps its input's channels (measured on Keras 3 only: TensorFlow is
        # not installed here; Keras 2's layers of these names map them alike).
        "layer_keywords": next(
            (p["layer_keywords"] for p in parts if p["flavour"] == "keras3"), []
        ),
        "channels": {
            cls: entry["channels"]
            for part in parts
            if part["flavour"] == "keras3"
            for cls, entry in sorted(part["classes"].items())
            if "channels" in entry
        },
    }


def dump(data):
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["keras3", "keras2", "merge"])
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 when the checked-in file differs"
    )
    args = parser.parse_args()
    if args.what == "merge":
        parts = [
            json.loads((OUT / f"{f}.json").read_text())
            for f in FLAVOURS
            if (OUT / f"{f}.json").exists()
        ]
        target, text = PLUGIN_CATALOG, dump(merge(parts))
    else:
        target, text = OUT / f"{args.what}.json", dump(generate(args.what))
    if args.check:
        same = target.exists() and target.read_text() == text
        print(f"{target.name}: {'up to date' if same else 'differs'}")
        return 0 if same else 1
    target.parent.mkdir(exist_ok=True)
    target.write_text(text)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
