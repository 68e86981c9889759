"""The codes and their messages, in one table, so the set of codes is visible at a glance.

`RULES` holds one record per code (what it finds, its README anchor); the flake8 plugin, the
`keras-reuse` command and the README are all read from it.

A message is a subject (which attribute, of which class, where), then the code's consequence
and fix. Subjects differ by how the reuse happens: a second call site, or one site in a loop.
"""

import os
import traceback
from dataclasses import dataclass

DOCS = "https://github.com/flake8-keras-reuse/flake8-keras-reuse#"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str  # a short kebab-case name, as pylint's symbols
    summary: str  # one line: what it finds
    anchor: str  # the README section of its rule page

    @property
    def help_uri(self):
        return DOCS + self.anchor


RULES = {r.code: r for r in (
    Rule("KR001", "reused-stats-layer", "A layer with moving statistics is called again",
         "kr001-a-layer-with-moving-statistics-is-called-again"),
    Rule("KR002", "reused-weight-layer", "A layer with weights is called again",
         "kr002-a-layer-with-weights-is-called-again"),
    Rule("KR003", "layer-built-in-call",
         "A layer with variables is constructed in the forward pass",
         "kr003-a-layer-with-variables-is-constructed-in-the-forward-pass"),
    Rule("KR004", "two-owners", "One instance is bound to two owners",
         "kr004-one-instance-is-bound-to-two-owners"),
    Rule("KR900", "internal-error", "The checker failed on this file",
         "kr900-the-checker-failed-on-this-file"),
)}

# What sharing does, per layer category (catalog.py), and the fix.
CONSEQUENCES = {
    "stats": "Its moving statistics would be shared: give each use its own instance.",
    "weights": (
        "Its weights are shared, and {fails}: give each use its own "
        "instance, or mark deliberate weight tying with '# noqa: KR002'."
    ),
    "table": (
        "Its table is shared by both uses: give each use its own instance, or mark deliberately "
        "shared embeddings with '# noqa: KR002'."
    ),
    "model": (
        "The model's weights are shared by both uses: build one model per use, or mark "
        "deliberate Siamese sharing with '# noqa: KR002'."
    ),
}

# What a layer of each category keeps, for the messages that are about the instance itself.
STATE = {"stats": "moving statistics", "weights": "weights", "table": "table",
         "model": "weights"}

SUBJECTS = {
    "again": "'{attr}' ({cls}) is called again here{via}; first called on line {first}.",
    "loop": (
        "'{attr}' ({cls}) is called again on every pass of this loop{via} "
        "(first called on line {first}, in its first pass)."
    ),
    "listed": "'{attr}' ({cls}) is listed again here, in the same model{via}; first used on "
              "line {first}.",
}

CONSTRUCTED = (
    "KR003 '{name}' ({cls}) is constructed inside the forward pass: every call makes new, "
    "untrained {state} that Keras tracks badly or not at all, and tf.function rejects. "
    "Create it once in __init__ or build() and call it here."
)

SEPARATE_MODELS = (
    "KR004 '{name}' ({cls}) is {verb} here for a second model; its use on line {first} belongs "
    "to another model, and no model holds both. Both models share one instance and its {state}: "
    "give each model its own instance, or mark deliberate sharing with '# noqa: KR004'."
)

LAYERS_BORROWED = (
    "KR004 '{name}' ({cls}) is given to a second model here, {owner}; {model} holds those "
    "layers since line {first}. Both models share them and their weights: training one changes "
    "the other. Give the new model its own layers (keras.models.clone_model), or mark deliberate "
    "sharing with '# noqa: KR004'."
)

BOUND_AGAIN = (
    "KR004 '{name}' ({cls}) is bound again here, to {owner}; first bound on line {first}. "
    "Both owners share one instance and its {state}, whatever the channel counts: give each "
    "owner its own instance."
)


# What a second input must match, by the Keras class's name (first match wins): the weights
# are built for the first input's channels, features or normalised axis, nothing else.
WHAT_FAILS = (
    (("Conv", "SeparableConv", "DepthwiseConv"), "an input with another channel count fails"),
    (("Dense", "EinsumDense"), "an input with another last dimension fails"),
    (("LSTM", "GRU", "SimpleRNN", "ConvLSTM", "RNN", "Bidirectional"),
     "an input with another feature size fails"),
    (("LayerNormalization", "GroupNormalization", "UnitNormalization", "RMSNormalization"),
     "an input with another size of the normalised axis fails"),
    (("MultiHeadAttention", "GroupedQueryAttention", "GroupQueryAttention", "Attention"),
     "inputs with other feature sizes fail"),
)


def what_fails(layer_name):
    for prefixes, text in WHAT_FAILS:
        if layer_name.startswith(prefixes):
            return text
    return "an input of another shape fails"


def describe(held):
    """The class as the user wrote it, with the Keras class it derives from when they differ."""
    if held.name == held.layer.name:
        return held.name
    return f"{held.name}, a {held.layer.name}"


def _through(helper):
    if not helper:
        return ""
    return " through a lambda" if helper == "<lambda>" else f" through {helper}()"


def format_reuse(code, reuse, held):
    if reuse.separate:
        return SEPARATE_MODELS.format(name=reuse.shown, cls=describe(held),
                                      verb="listed" if reuse.listed else "called",
                                      first=reuse.first_line, state=STATE[held.layer.category])
    kind = "loop" if reuse.in_loop else "listed" if reuse.listed else "again"
    subject = SUBJECTS[kind].format(
        attr=reuse.shown, cls=describe(held), first=reuse.first_line,
        via=_through(reuse.via))
    consequence = CONSEQUENCES[held.layer.category].format(fails=what_fails(held.layer.name))
    return f"{code} {subject} {consequence}"


def format_construction(name, held):
    return CONSTRUCTED.format(name=name, cls=describe(held), state=STATE[held.layer.category])


def format_binding(binding, held):
    if binding.borrows_layers:
        return LAYERS_BORROWED.format(name=binding.shown, cls=describe(held), owner=binding.owner,
                                      model=binding.shown.split(".")[0],
                                      first=binding.first_line)
    return BOUND_AGAIN.format(name=binding.shown, cls=describe(held), owner=binding.owner,
                              first=binding.first_line, state=STATE[held.layer.category])


INTERNAL_ERROR = (
    "KR900 flake8-keras-reuse could not check this file ({error} in {where}); please report it"
)


def format_internal_error(exc):
    """Where in the plugin an exception came from: the innermost frame of our own package."""
    here = os.path.dirname(os.path.abspath(__file__))
    where = "?"
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.dirname(os.path.abspath(frame.filename)) == here:
            where = f"{os.path.basename(frame.filename)}:{frame.lineno}"
    return INTERNAL_ERROR.format(error=type(exc).__name__, where=where)
