"""Layer knowledge: which Keras class a qualified name denotes and what sharing it means.

The knowledge itself is data (`layers.json`); this module only reads it and recognises Keras's
public and private spellings from the qualified name, so nothing of Keras is ever imported.
"""
import json
from dataclasses import dataclass
from importlib import resources

# Categories whose reuse is reported, and by which code (see messages.py).
REPORTED = {"stats": "KR001", "weights": "KR002", "table": "KR002"}


@dataclass(frozen=True)
class LayerClass:
    name: str  # the class Keras defines (aliases resolved)
    category: str


def _load():
    data = json.loads(resources.files(__package__).joinpath("layers.json").read_text("utf-8"))
    category = {name: cat for cat, names in data["categories"].items() for name in names}
    for alias, target in data["aliases"].items():
        category.setdefault(alias, category[target])
    return category, dict(data["aliases"]), frozenset(data["bases"])


_CATEGORY, _ALIASES, _BASES = _load()


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
    if name not in _CATEGORY or "layers" not in parts[:-1]:
        return None
    return LayerClass(_ALIASES.get(name, name), _CATEGORY[name])


def is_keras_base(qname):
    """Whether a class with this qualified name makes its subclasses Keras layers or models."""
    if not is_keras_name(qname):
        return False
    return qname.rsplit(".", 1)[-1] in _BASES or keras_layer(qname) is not None
