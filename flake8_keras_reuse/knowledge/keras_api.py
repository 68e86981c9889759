"""Keras API facts the analysis relies on, kept by hand as data (the layer catalog,
layers.json, is generated from Keras instead). Each is proven against real Keras 3 by
tests/test_keras_api.py; the comment names where in Keras the fact lives.

Nothing here imports Keras: the names are matched in the user's source by spelling, and
resolution confirms the qualified name where it matters.
"""

from __future__ import annotations

from typing import Tuple

# The method Keras's Layer.__call__ runs: the forward pass (keras.Layer.call).
ENTRY_METHODS: Tuple[str, ...] = ("call",)
# Arguments Keras's __call__ passes on by itself when the caller does not
# (keras.Layer.__call__ fills `training` and `mask` from the call context).
FILLED_BY_KERAS: Tuple[str, ...] = ("training", "mask")
# What starts a functional graph: keras.Input(), and TF1's placeholders
# (tf.compat.v1.placeholder, not in Keras 3; see tests/test_keras_api.py).
GRAPH_INPUTS = frozenset({"Input", "placeholder"})
# Constructions that make a model of the inputs and outputs they are given (keras.Model,
# keras.src.models.functional.Functional).
GRAPH_MODELS = frozenset({"Model", "Functional"})
# The model that is a list of layers (keras.Sequential).
SEQUENTIAL = "Sequential"
# Every model class: a model used as a layer holds every weight of its layers.
MODEL_CLASSES = GRAPH_MODELS | {SEQUENTIAL}
# Functions that return a model object: keras.models.load_model, keras.saving.load_model,
# keras.models.clone_model.
MODEL_FUNCTIONS = frozenset({"load_model", "clone_model"})
# The packages those functions are public in (keras.models, keras.saving).
MODEL_FUNCTION_PACKAGES = frozenset({"models", "saving"})
# keras.applications.<Name>(...) builds a functional model with weights.
APPLICATIONS_PACKAGE = "applications"
# Layer methods that create a variable of the layer's own (keras.Layer.add_weight; Keras 2's
# add_variable).
VARIABLE_MAKERS = frozenset({"add_weight", "add_variable"})
# Methods of a container that keep what they are given (list, dict, set; Keras tracks the
# layers a list or dict attribute holds).
KEEPING_METHODS = frozenset({"append", "extend", "insert", "add", "setdefault", "update"})
# Context managers whose block is expected to raise: unittest's assertRaises family,
# pytest.raises, numpy.testing's assert_raises. Code in them builds no model that lasts.
EXPECTS_ERROR = frozenset(
    {
        "assertRaises",
        "assertRaisesRegex",
        "assertRaisesRegexp",
        "raises",
        "assert_raises",
        "assert_raises_regex",
    }
)
# Decorators that make a method an attribute computed on access.
PROPERTY_DECORATORS = frozenset({"property", "cached_property"})
# Top-level packages recognised by name and never read: their classes are decided from
# qualified names and the catalog, so results never depend on what is installed.
NEVER_READ = frozenset(
    {
        "keras",
        "tensorflow",
        "tf_keras",
        "torch",
        "jax",
        "jaxlib",
        "flax",
        "numpy",
        "tensorflow_addons",
        "tensorflow_hub",
    }
)
# Which category wins when a user layer holds sublayers of several (a composite is reported
# as the strongest state it holds).
CATEGORY_STRENGTH = {"table": 1, "weights": 2, "stats": 3}

# What a second input must match, by the Keras class's name (first match wins): the weights
# are built for the first input's channels, features or normalised axis, nothing else.
WHAT_FAILS = (
    (("Conv", "SeparableConv", "DepthwiseConv"), "an input with another channel count fails"),
    (("Dense", "EinsumDense"), "an input with another last dimension fails"),
    (
        ("LSTM", "GRU", "SimpleRNN", "ConvLSTM", "RNN", "Bidirectional"),
        "an input with another feature size fails",
    ),
    (
        ("LayerNormalization", "GroupNormalization", "UnitNormalization", "RMSNormalization"),
        "an input with another size of the normalised axis fails",
    ),
    (
        ("MultiHeadAttention", "GroupedQueryAttention", "GroupQueryAttention", "Attention"),
        "inputs with other feature sizes fail",
    ),
)


def what_fails(layer_name: str) -> str:
    for prefixes, text in WHAT_FAILS:
        if layer_name.startswith(prefixes):
            return text
    return "an input of another shape fails"
