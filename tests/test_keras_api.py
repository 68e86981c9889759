"""Each fact of flake8_keras_reuse/knowledge/keras_api.py, shown on real Keras 3 (run with
KERAS_BACKEND=jax). A fact that stops holding in a new Keras fails here, not as a silent false
finding. Facts that hold only for Keras 2, TF1 or old Pythons say so and assert what Keras 3 and
this Python do instead.
"""

import importlib.util
import json
import os
import sys
import unittest
from pathlib import Path

import pytest
from expectations import needs_keras

from flake8_keras_reuse.knowledge import keras_api

pytestmark = needs_keras()

os.environ.setdefault("KERAS_BACKEND", "jax")
if importlib.util.find_spec("keras"):  # else needs_keras() skips or the tests fail, as it says
    import keras
    import numpy as np  # Keras's own dependency
    from keras import layers
else:
    keras = layers = np = None

CATALOG = json.loads((Path(keras_api.__file__).with_name("layers.json")).read_text())["layers"]


def ones(*shape, dtype="float32"):
    return np.ones(shape, dtype=dtype)


def test_keras_is_version_3():
    assert int(keras.__version__.split(".")[0]) == 3


# ENTRY_METHODS: Layer.__call__ runs `call`.


def test_calling_a_layer_runs_its_call_method():
    assert keras_api.ENTRY_METHODS == ("call",) and hasattr(keras.Layer, "call")

    class Doubles(keras.Layer):
        def call(self, x):
            return x * 2

    assert np.allclose(Doubles()(ones(2, 3)), 2.0)


# FILLED_BY_KERAS: `training` and `mask` reach call() without the caller passing them.


class Records(keras.Layer if keras else object):
    """Records the `training` and `mask` each call() receives."""

    def __init__(self):
        super().__init__()
        self.supports_masking = True
        self.seen = []

    def call(self, x, training=None, mask=None):
        self.seen.append({"training": training, "mask": mask})
        return x


def test_training_is_filled_from_the_outer_call():
    assert "training" in keras_api.FILLED_BY_KERAS

    class Outer(keras.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Records()

        def call(self, x, training=None):
            return self.inner(x)  # no training= here

    for flag in (True, False):
        outer = Outer()
        outer(ones(2, 3), training=flag)
        assert outer.inner.seen[-1]["training"] is flag


def test_mask_is_filled_from_the_previous_layer():
    assert "mask" in keras_api.FILLED_BY_KERAS
    embed, after = layers.Embedding(10, 4, mask_zero=True), Records()
    after(embed(np.array([[1, 0, 2]])))  # no mask= here
    assert np.array_equal(np.asarray(after.seen[-1]["mask"]), [[True, False, True]])


# GRAPH_INPUTS, GRAPH_MODELS, SEQUENTIAL, MODEL_CLASSES.


def test_input_starts_a_graph_and_model_makes_a_functional_of_it():
    assert "Input" in keras_api.GRAPH_INPUTS
    inputs = keras.Input((3,))
    assert isinstance(inputs, keras.KerasTensor)
    model = keras.Model(inputs, layers.Dense(2)(inputs))
    from keras.src.models.functional import Functional

    assert type(model) is Functional and {"Model", "Functional"} == keras_api.GRAPH_MODELS
    assert model(ones(4, 3)).shape == (4, 2)


def test_placeholder_is_tf1_and_not_keras_3():
    # GRAPH_INPUTS keeps `placeholder` for TF1 code (tf.compat.v1.placeholder); Keras 3 has none.
    # TensorFlow is not installed here, so the TF1 half cannot be shown.
    assert "placeholder" in keras_api.GRAPH_INPUTS
    assert not hasattr(keras, "placeholder") and not hasattr(keras.backend, "placeholder")


def test_sequential_is_a_model_and_models_hold_their_layers_weights():
    assert keras_api.SEQUENTIAL == "Sequential"
    assert keras_api.MODEL_CLASSES == keras_api.GRAPH_MODELS | {"Sequential"}
    assert issubclass(keras.Sequential, keras.Model)
    inner = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.BatchNormalization()])
    inputs = keras.Input((3,))
    outer = keras.Model(inputs, inner(inputs))
    # Used as a layer, a model holds every variable of its layers.
    assert len(inner.weights) == 2 + 4
    assert {id(w) for w in inner.weights} <= {id(w) for w in outer.weights}


# MODEL_FUNCTIONS and MODEL_FUNCTION_PACKAGES; APPLICATIONS_PACKAGE.


def test_model_functions_live_in_the_model_packages():
    assert keras_api.MODEL_FUNCTIONS == {"load_model", "clone_model"}
    assert keras_api.MODEL_FUNCTION_PACKAGES == {"models", "saving"}
    assert callable(keras.models.load_model) and callable(keras.saving.load_model)
    assert callable(keras.models.clone_model)
    assert not hasattr(keras.saving, "clone_model")  # clone_model is public in models only


def test_clone_model_and_load_model_return_models(tmp_path):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layers.Dense(2)(inputs))
    clone = keras.models.clone_model(model)
    assert isinstance(clone, keras.Model) and clone.layers[-1] is not model.layers[-1]
    path = tmp_path / "m.keras"
    model.save(path)
    assert isinstance(keras.saving.load_model(path), keras.Model)


def test_applications_hold_model_builders():
    assert keras_api.APPLICATIONS_PACKAGE == "applications"
    model = keras.applications.MobileNetV2(
        weights=None, input_shape=(32, 32, 3), alpha=0.35, include_top=False
    )
    assert isinstance(model, keras.Model) and len(model.weights) > 0


# VARIABLE_MAKERS.


@pytest.mark.parametrize("method", ["add_weight", "add_variable"])
def test_variable_makers_create_a_variable_of_the_layer(method):
    # keras_api calls add_variable Keras 2's; Keras 3 (3.x) has it too, the same as add_weight.
    assert method in keras_api.VARIABLE_MAKERS

    class Scale(keras.Layer):
        def build(self, shape):
            self.w = getattr(self, method)(shape=(shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w

    layer = Scale()
    layer(ones(2, 3))
    assert len(layer.weights) == 1 and layer.weights[0].shape == (3,)


# KEEPING_METHODS: a layer put into a list, dict or set attribute of a layer is tracked.


def keeps(method):
    """A layer whose __init__ puts a Dense into a container attribute by `method`."""
    dense = layers.Dense(2)
    make = {
        "append": lambda: [],
        "extend": lambda: [],
        "insert": lambda: [],
        "update": lambda: {},
        "setdefault": lambda: {},
        "add": lambda: set(),
    }[method]
    put = {
        "append": lambda c: c.append(dense),
        "extend": lambda c: c.extend([dense]),
        "insert": lambda c: c.insert(0, dense),
        "update": lambda c: c.update({"a": dense}),
        "setdefault": lambda c: c.setdefault("a", dense),
        "add": lambda c: c.add(dense),
    }[method]

    class Keeps(keras.Layer):
        def __init__(self):
            super().__init__()
            self.held = make()
            put(self.held)

        def call(self, x):
            for layer in self.held.values() if isinstance(self.held, dict) else self.held:
                x = layer(x)
            return x

    model = Keeps()
    model(ones(2, 3))
    return model, dense


@pytest.mark.parametrize("method", ["append", "extend", "insert", "update", "add"])
def test_a_layer_kept_by_a_container_attribute_is_tracked(method):
    assert method in keras_api.KEEPING_METHODS
    model, dense = keeps(method)
    assert model._layers == [dense]
    assert {id(w) for w in model.weights} == {id(w) for w in dense.weights} and dense.weights


def test_setdefault_keeps_the_layer_but_keras_does_not_track_it():
    # Keras 3's TrackedDict tracks __setitem__ and update, not setdefault (dict's C method skips
    # __setitem__): the dict holds the layer and it runs, but its weights are not the model's.
    # KEEPING_METHODS is right that the container holds the layer; Keras just does not see it.
    assert "setdefault" in keras_api.KEEPING_METHODS
    model, dense = keeps("setdefault")
    assert model.held["a"] is dense and dense.built
    assert model._layers == [] and model.weights == []


def test_dict_update_with_keywords_fails_on_a_tracked_dict():
    # Keras 3's TrackedDict.update takes one mapping: `self.d.update(a=layer)` raises.
    class Keywords(keras.Layer):
        def __init__(self):
            super().__init__()
            self.held = {}
            self.held.update(a=layers.Dense(2))

    with pytest.raises(TypeError):
        Keywords()


# EXPECTS_ERROR: context managers whose block is expected to raise.


def test_expects_error_names_exist_where_they_are_said_to():
    import numpy.testing

    names = keras_api.EXPECTS_ERROR
    assert {"assertRaises", "assertRaisesRegex"} <= names
    assert hasattr(unittest.TestCase, "assertRaises")
    assert hasattr(unittest.TestCase, "assertRaisesRegex")
    # The deprecated alias is gone from Python 3.12: kept for code written for older Pythons.
    assert "assertRaisesRegexp" in names
    assert hasattr(unittest.TestCase, "assertRaisesRegexp") == (sys.version_info < (3, 12))
    assert "raises" in names and callable(pytest.raises)
    assert {"assert_raises", "assert_raises_regex"} <= names
    assert callable(numpy.testing.assert_raises) and callable(numpy.testing.assert_raises_regex)


def test_expects_error_blocks_swallow_what_they_expect():
    case = unittest.TestCase()
    with case.assertRaises(ValueError):
        raise ValueError
    with pytest.raises(ValueError):
        raise ValueError
    import numpy.testing

    with numpy.testing.assert_raises(ValueError):
        raise ValueError


# PROPERTY_DECORATORS.


def test_property_decorators_compute_on_access():
    import builtins
    import functools

    assert keras_api.PROPERTY_DECORATORS == {"property", "cached_property"}
    assert hasattr(builtins, "property") and hasattr(functools, "cached_property")

    class Holder:
        made = 0

        @functools.cached_property
        def layer(self):
            Holder.made += 1
            return object()

    holder = Holder()
    assert holder.layer is holder.layer and Holder.made == 1


# CATEGORY_STRENGTH: stats over weights over a table.


def test_stats_are_changed_by_a_call_and_weights_are_not():
    # "stats": a training call changes the layer's state; "weights": only training steps do.
    norm, dense = layers.BatchNormalization(), layers.Dense(3)
    norm(ones(4, 3), training=False)
    dense(ones(4, 3))
    before = [keras.ops.convert_to_numpy(w) for w in norm.non_trainable_weights]
    kernel = keras.ops.convert_to_numpy(dense.kernel)
    norm(ones(4, 3) * 5, training=True)
    dense(ones(4, 3) * 5)
    after = [keras.ops.convert_to_numpy(w) for w in norm.non_trainable_weights]
    assert len(before) == 2 and all(not np.allclose(b, a) for b, a in zip(before, after))
    assert np.allclose(kernel, keras.ops.convert_to_numpy(dense.kernel))
    strength = keras_api.CATEGORY_STRENGTH
    assert strength["stats"] > strength["weights"] > strength["table"]


def test_a_table_takes_ids_of_any_shape_and_weights_do_not():
    # "table": a second use with another input shape runs; a Dense's does not (WHAT_FAILS).
    table = layers.Embedding(10, 4)
    table(ones(2, 3, dtype="int32"))
    assert table(ones(5, 7, dtype="int32")).shape == (5, 7, 4)


# WHAT_FAILS: a second input other than the first in the built dimension fails.

CASES = [  # (name, make, first shape, second shape with another built dimension)
    ("Dense", lambda: layers.Dense(4), (2, 3), (2, 5)),
    ("EinsumDense", lambda: layers.EinsumDense("ab,bc->ac", output_shape=4), (2, 3), (2, 5)),
    ("Conv2D", lambda: layers.Conv2D(4, 3), (1, 8, 8, 3), (1, 8, 8, 5)),
    ("Conv1D", lambda: layers.Conv1D(4, 3), (1, 8, 3), (1, 8, 5)),
    ("SeparableConv2D", lambda: layers.SeparableConv2D(4, 3), (1, 8, 8, 3), (1, 8, 8, 5)),
    ("DepthwiseConv2D", lambda: layers.DepthwiseConv2D(3), (1, 8, 8, 3), (1, 8, 8, 5)),
    ("LSTM", lambda: layers.LSTM(4), (2, 5, 3), (2, 5, 6)),
    ("GRU", lambda: layers.GRU(4), (2, 5, 3), (2, 5, 6)),
    ("SimpleRNN", lambda: layers.SimpleRNN(4), (2, 5, 3), (2, 5, 6)),
    ("Bidirectional", lambda: layers.Bidirectional(layers.LSTM(4)), (2, 5, 3), (2, 5, 6)),
    ("RNN", lambda: layers.RNN(layers.LSTMCell(4)), (2, 5, 3), (2, 5, 6)),
    ("ConvLSTM2D", lambda: layers.ConvLSTM2D(2, 3), (1, 2, 6, 6, 3), (1, 2, 6, 6, 5)),
    ("LayerNormalization", lambda: layers.LayerNormalization(), (2, 3), (2, 5)),
    ("GroupNormalization", lambda: layers.GroupNormalization(groups=1), (2, 4), (2, 6)),
    ("RMSNormalization", lambda: layers.RMSNormalization(), (2, 3), (2, 5)),
    ("MultiHeadAttention", lambda: layers.MultiHeadAttention(2, 4), (2, 5, 3), (2, 5, 6)),
    ("GroupQueryAttention", lambda: layers.GroupQueryAttention(4, 2, 1), (2, 5, 3), (2, 5, 6)),
]
WORDS = {  # what the message says for each family: the dimension the test changes
    "Dense": "last dimension",
    "EinsumDense": "last dimension",
    "Conv2D": "channel count",
    "Conv1D": "channel count",
    "SeparableConv2D": "channel count",
    "DepthwiseConv2D": "channel count",
    "LSTM": "feature size",
    "GRU": "feature size",
    "SimpleRNN": "feature size",
    "Bidirectional": "feature size",
    "RNN": "feature size",
    "ConvLSTM2D": "channel count",  # "Conv" matches first: the recurrent "ConvLSTM" never does
    "LayerNormalization": "normalised axis",
    "GroupNormalization": "normalised axis",
    "RMSNormalization": "normalised axis",
    "MultiHeadAttention": "feature sizes",
    "GroupQueryAttention": "feature sizes",
}


def run(layer, name, shape):
    x = ones(*shape)
    return layer(x, x) if name.endswith("Attention") else layer(x)


@pytest.mark.parametrize("name, make, first, second", CASES, ids=[c[0] for c in CASES])
def test_a_second_input_of_another_size_fails(name, make, first, second):
    assert WORDS[name] in keras_api.what_fails(name)
    layer = make()
    run(layer, name, first)
    assert layer.weights  # the weights are built for the first input
    other_batch = (first[0] + 1,) + tuple(first[1:])
    run(layer, name, other_batch)  # control: only the built dimension matters
    with pytest.raises((ValueError, TypeError)):
        run(layer, name, second)


@pytest.mark.parametrize("name", ["UnitNormalization", "Attention"])
def test_weightless_layers_in_what_fails_do_not_fail(name):
    # WHAT_FAILS names UnitNormalization and Attention, but they hold no variables and take a
    # second input of another size: the text would be false. The catalog calls them stateless
    # (or does not list them), so they are never reported and the text is never shown.
    layer = getattr(layers, name)()
    call = (
        (lambda s: layer([ones(*s), ones(*s)]))
        if name == "Attention"
        else (lambda s: layer(ones(*s)))
    )
    call((2, 5, 3))
    call((2, 5, 6))
    assert layer.weights == []
    assert CATALOG.get(name, {}).get("category", "stateless") == "stateless"
