"""Layer knowledge: which Keras class a qualified name denotes and what sharing it means.

The knowledge itself is data (`layers.json`); this module only reads it and recognises Keras's
public and private spellings from the qualified name, so nothing of Keras is ever imported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Dict, FrozenSet, Mapping, Optional, Tuple

from .keras_api import APPLICATIONS_PACKAGE, MODEL_CLASSES, MODEL_FUNCTION_PACKAGES, MODEL_FUNCTIONS

# A functional or Sequential model used as a layer: it holds every weight of its layers.
MODEL = "model"
# Categories whose instance holds state a second owner or a rebuild would get wrong.
STATEFUL = frozenset({"stats", "weights", "table"})
# Categories whose instance two owners would share (KR004): a model holds its layers' state.
OWNED = STATEFUL | {MODEL}
# A layer that holds another (TimeDistributed): its category is the held layer's.
WRAPPER = "wrapper"


@dataclass(frozen=True)
class LayerClass:
    name: str  # the class Keras defines (aliases resolved)
    category: str


def _load() -> Tuple[Dict[str, Any], FrozenSet[str], FrozenSet[str]]:
    data = json.loads(resources.files(__package__).joinpath("layers.json").read_text("utf-8"))
    return data["layers"], frozenset(data["bases"]), frozenset(data["copies_layer_argument"])


_LAYERS, _BASES, _COPIES = _load()


def copies_layer_argument(qname: str) -> bool:
    """Whether a Keras class copies the layer it is given (Bidirectional) instead of keeping it."""
    entry = _LAYERS.get(qname.rsplit(".", 1)[-1])
    return is_keras_name(qname) and entry is not None and entry["class"] in _COPIES


def wrapper_name(name: Optional[str]) -> bool:
    """Whether a class name is a Keras wrapper of another layer (TimeDistributed, Wrapper), in
    some flavour: resolution then reads the layer it is given."""
    entry = _LAYERS.get(name or "")
    return entry is not None and entry["category"] == WRAPPER


def flavour(qname: str) -> str:
    """Which Keras a qualified name comes from: tf_keras and tensorflow.python.keras are Keras 2;
    keras and tensorflow.keras are Keras 3 (TensorFlow's default since 2.16)."""
    parts = qname.split(".")
    if parts[0] == "tf_keras" or parts[:3] == ["tensorflow", "python", "keras"]:
        return "keras2"
    return "keras3"


def harmless_name(name: Optional[str]) -> bool:
    """Whether a class name is a Keras layer whose reuse is never reported, in every flavour.

    A syntax-only shortcut that saves resolving `self.drop = Dropout(0.1)`; a user class of the
    same name would only lose findings, never gain one. A wrapper is as harmful as the layer
    it holds, which only resolution reads.
    """
    entry = _LAYERS.get(name) if name is not None else None
    if entry is None:
        return False
    category = entry["category"]
    categories = category.values() if isinstance(category, dict) else [category]
    return not any(c in OWNED or c == WRAPPER for c in categories)


def is_keras_name(qname: str) -> bool:
    """Whether a dotted name lives in Keras: keras, tf_keras, or any tensorflow...keras path."""
    parts = qname.split(".")
    if parts[0] == "tensorflow":
        return "keras" in parts[1:-1]
    return parts[0] in ("keras", "tf_keras")


def keras_layer(qname: str, extra: Optional[Mapping[str, str]] = None) -> Optional[LayerClass]:
    """The catalogued layer class a qualified name denotes, or None when it is not one.

    `extra` maps user-configured qualified names to categories and wins over the catalog.
    """
    if extra and qname in extra:
        return LayerClass(qname.rsplit(".", 1)[-1], extra[qname])
    if not is_keras_name(qname):
        return None
    parts = qname.split(".")
    name = parts[-1]
    if extra:  # a Keras class named in the options in one spelling matches all of them
        for configured, category in extra.items():
            if configured.rsplit(".", 1)[-1] == name and is_keras_name(configured):
                return LayerClass(name, category)
    if name in MODEL_CLASSES:
        return LayerClass(name, MODEL)
    if name in MODEL_FUNCTIONS and MODEL_FUNCTION_PACKAGES.intersection(parts[:-1]):
        return LayerClass("Model", MODEL)
    if APPLICATIONS_PACKAGE in parts[:-1] and name[:1].isupper():
        # keras.applications.ResNet50(...) and friends build a functional model with weights.
        return LayerClass(name, MODEL)
    # Layer classes are public under a `layers` package (keras.layers, keras.src.layers.x.y,
    # tensorflow.python.keras.layers...), never as keras.X.
    entry = _LAYERS.get(name)
    if entry is None or "layers" not in parts[:-1]:
        return None
    category = entry["category"]
    if isinstance(category, dict):  # the flavours disagree: follow the import
        category = category.get(flavour(qname)) or next(iter(category.values()))
    return LayerClass(entry["class"], category)


def spells(name: str, keras_class: str) -> bool:
    """Whether a name is one of a Keras layer class's public spellings (`MaxPool2D` of
    `MaxPooling2D`)."""
    entry = _LAYERS.get(name)
    return name == keras_class or entry is not None and entry["class"] == keras_class


def is_keras_base(qname: str) -> bool:
    """Whether a class with this qualified name makes its subclasses Keras layers or models."""
    if not is_keras_name(qname):
        return False
    return qname.rsplit(".", 1)[-1] in _BASES or keras_layer(qname) is not None
