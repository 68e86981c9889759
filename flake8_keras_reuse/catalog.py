"""Layer knowledge: which Keras class a qualified name denotes and what sharing it means.

The knowledge itself is data (`layers.json`); this module only reads it and recognises Keras's
public and private spellings from the qualified name, so nothing of Keras is ever imported.
"""
import json
from dataclasses import dataclass
from importlib import resources

# Categories whose reuse is reported, and by which code (see messages.py). The categories are
# derived from real Keras by tools/gen_catalog.py, which documents each.
REPORTED = {"stats": "KR001", "weights": "KR002", "table": "KR002"}


@dataclass(frozen=True)
class LayerClass:
    name: str  # the class Keras defines (aliases resolved)
    category: str


def _load():
    data = json.loads(resources.files(__package__).joinpath("layers.json").read_text("utf-8"))
    return data["layers"], frozenset(data["bases"])


_LAYERS, _BASES = _load()


def flavour(qname):
    """Which Keras a qualified name comes from: tf_keras and tensorflow.python.keras are Keras 2;
    keras and tensorflow.keras are Keras 3 (TensorFlow's default since 2.16)."""
    parts = qname.split(".")
    if parts[0] == "tf_keras" or parts[:3] == ["tensorflow", "python", "keras"]:
        return "keras2"
    return "keras3"


def is_keras_name(qname):
    """Whether a dotted name lives in Keras: keras, tf_keras, or any tensorflow...keras path."""
    parts = qname.split(".")
    return parts[0] in ("keras", "tf_keras") or (parts[0] == "tensorflow" and "keras" in parts[1:-1])


def keras_layer(qname, extra=None):
    """The catalogued layer class a qualified name denotes, or None when it is not one.

    `extra` maps user-configured qualified names to categories and wins over the catalog.
    """
    if extra and qname in extra:
        return LayerClass(qname.rsplit(".", 1)[-1], extra[qname])
    if not is_keras_name(qname):
        return None
    parts = qname.split(".")
    name = parts[-1]
    # Layer classes are public under a `layers` package (keras.layers, keras.src.layers.x.y,
    # tensorflow.python.keras.layers...), never as keras.X.
    entry = _LAYERS.get(name)
    if entry is None or "layers" not in parts[:-1]:
        return None
    category = entry["category"]
    if isinstance(category, dict):  # the flavours disagree: follow the import
        category = category.get(flavour(qname)) or next(iter(category.values()))
    return LayerClass(entry["class"], category)


def is_keras_base(qname):
    """Whether a class with this qualified name makes its subclasses Keras layers or models."""
    if not is_keras_name(qname):
        return False
    return qname.rsplit(".", 1)[-1] in _BASES or keras_layer(qname) is not None
