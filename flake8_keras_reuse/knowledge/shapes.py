"""How each Keras layer class maps its input's channels (the last axis) to its output's, and
whether its variables are built for them: measured on real Keras by tools/gen_catalog.py
(`channels()`), kept in layers.json beside the categories, read here."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Dict, FrozenSet, Optional, Tuple


@dataclass(frozen=True)
class Rule:
    maps: str  # "keep", "replace", "times", "sum" or "same" (gen_catalog.channels)
    bound: bool  # built on one size, a call on another raises
    param: str = ""  # the constructor parameter that is the size ("replace") or factor ("times")
    position: Optional[int] = None  # its position among the constructor's parameters
    axis_params: Tuple[str, ...] = ()  # parameters that move the axis (axis, data_format)
    axis_positions: Tuple[int, ...] = ()
    params: FrozenSet[str] = frozenset()  # the constructor's named parameters
    positionals: int = 0  # how many it takes by position


def _load() -> Tuple[Dict[str, Rule], FrozenSet[str]]:
    data = json.loads(resources.files(__package__).joinpath("layers.json").read_text("utf-8"))
    rules = {
        name: Rule(
            entry["maps"],
            bool(entry["bound"]),
            entry.get("param", ""),
            entry.get("position"),
            tuple(entry.get("axis_params", ())),
            tuple(entry.get("axis_positions", ())),
            frozenset(entry.get("params", ())),
            int(entry.get("positionals", 0)),
        )
        for name, entry in data.get("channels", {}).items()
    }
    return rules, frozenset(data.get("layer_keywords", ()))


_RULES, _LAYER_KEYWORDS = _load()


def rule(keras_class: str) -> Optional[Rule]:
    """The rule of a Keras class (as the catalog names it: `Conv2D`), or None if unmeasured."""
    return _RULES.get(keras_class)


def written_for(ctor: ast.Call, found: Rule) -> bool:
    """Whether a construction is written as this Keras takes it: every keyword one of its
    parameters or a layer's, no more positions than it has. Code for another Keras (Keras 1's
    `Convolution2D(16, 3, 3, border_mode=...)`) had other defaults: its sizes are not read."""
    if len(ctor.args) > found.positionals:
        return False
    if found.maps != "replace" and any(_SETS_OUTPUT.match(str(k.arg)) for k in ctor.keywords):
        return False  # `output_shape=8`, `output_mode="multi_hot"`: not the measured default
    return all(k.arg in found.params or k.arg in _LAYER_KEYWORDS for k in ctor.keywords if k.arg)


# A keyword that sets what a layer outputs (MultiHeadAttention's output_shape, Discretization's
# output_mode): the table measured the default, which keeps the channels. output_size is spatial.
_SETS_OUTPUT = re.compile(r"output(?!_size$)")
