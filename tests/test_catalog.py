"""The layer catalog: categories as data, and Keras recognised from qualified names alone."""

import json
from importlib import resources

import pytest

from flake8_keras_reuse.knowledge import catalog
from flake8_keras_reuse.rules.reused_layer import REPORTED


@pytest.mark.parametrize(
    "qname, name, category",
    [
        ("keras.layers.BatchNormalization", "BatchNormalization", "stats"),
        ("tensorflow.keras.layers.BatchNormalization", "BatchNormalization", "stats"),
        ("tf_keras.layers.experimental.SyncBatchNormalization", "SyncBatchNormalization", "stats"),
        (
            "tensorflow.python.keras.layers.normalization.BatchNormalization",
            "BatchNormalization",
            "stats",
        ),
        ("keras.src.layers.convolutional.conv2d.Conv2D", "Conv2D", "weights"),
        ("keras.layers.Convolution2D", "Conv2D", "weights"),
        ("tensorflow.compat.v1.keras.layers.Dense", "Dense", "weights"),
        ("keras.layers.Embedding", "Embedding", "table"),
        ("keras.layers.MaxPool2D", "MaxPooling2D", "stateless"),
        ("keras.layers.LSTMCell", "LSTMCell", "cell"),
    ],
)
def test_keras_spellings(qname, name, category):
    assert catalog.keras_layer(qname) == catalog.LayerClass(name, category)


@pytest.mark.parametrize(
    "qname",
    [
        "torch.nn.BatchNorm2d",
        "keras_hub.layers.BatchNormalization",  # another package whose name starts with keras
        "tensorflow.nn.batch_normalization",
        "keras.BatchNormalization",  # not public there: no guess
        "keras.layers.NoSuchLayer",
        "mylib.layers.Dense",
    ],
)
def test_not_keras_layers(qname):
    assert catalog.keras_layer(qname) is None


def test_bases():
    for qname in (
        "keras.Model",
        "keras.models.Model",
        "keras.layers.Layer",
        "keras.Layer",
        "tensorflow.keras.Model",
        "tf_keras.layers.Layer",
        "keras.Sequential",
        "keras.layers.Dense",
    ):
        assert catalog.is_keras_base(qname), qname
    assert not catalog.is_keras_base("torch.nn.Module")


def test_user_classes_extend_the_catalog():
    extra = {"mylib.layers.GhostBatchNorm": "stats", "keras.layers.Dense": "stateless"}
    assert catalog.keras_layer("mylib.layers.GhostBatchNorm", extra).category == "stats"
    assert catalog.keras_layer("keras.layers.Dense", extra).category == "stateless"


def test_catalog_data_is_consistent():
    data = json.loads(
        resources.files("flake8_keras_reuse.knowledge").joinpath("layers.json").read_text()
    )
    known = {"stats", "weights", "table", "cell", "adapted", "wrapper", "stateless"}
    for name, entry in data["layers"].items():
        categories = entry["category"]
        categories = set(categories.values()) if isinstance(categories, dict) else {categories}
        assert categories <= known, name
        assert entry["class"] in data["layers"], f"{name} is an alias of an unlisted class"
    assert set(REPORTED) <= known | {catalog.MODEL}
    assert data["layers"]["Convolution2D"]["class"] == "Conv2D"
    assert data["layers"]["GroupQueryAttention"]["class"] == "GroupedQueryAttention"
