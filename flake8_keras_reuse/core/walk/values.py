"""Object identity: the values the forward walk computes for expressions.

A call runs a known object: a layer held by the instance (`Slot`, one per attribute or constant
container slot), a layer made in a body (`Built`, one per evaluation of its construction), a
function (`Func`), or a symbolic tensor (`Symbolic`, with the graphs it descends from). Anything
else is unknown (None), and unknown never makes a finding.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, FrozenSet, Optional, Tuple, Union


@dataclass(frozen=True)
class Slot:
    """A layer held by the instance: `self.<name>` (`name` is the attribute that owns it when
    several attributes hold one instance; `shown` is the one written at the call)."""

    name: str
    shown: str = field(default="", compare=False)


@dataclass(frozen=True)
class Built:
    """A layer made in a function or module body and kept in a local name (functional API).

    One object per evaluation of its construction: a function that constructs it and runs twice
    makes two (`instance` tells them apart), and so does a loop body on each pass.
    """

    node: ast.Call  # the construction
    name: str = field(default="", compare=False)
    instance: int = 0

    @property
    def key(self) -> Tuple[str, ast.Call, int]:
        return ("built", self.node, self.instance)


@dataclass(frozen=True)
class Instance:
    """The instance a method of a class (any class, Keras or not) runs on, in a graph body:
    what `self` holds in `__init__` or a builder method that assembles functional models."""

    owner: ast.ClassDef


@dataclass(frozen=True)
class Attr:
    """`self.<name>` read in a graph body when the body did not assign it a known object: one
    object from one assignment (`serial`) until the instance is handed to code that may rebind
    it. Its class is what every assignment of the attribute in the class agrees on."""

    owner: ast.ClassDef
    name: str
    serial: int

    @property
    def key(self) -> Tuple[str, ast.ClassDef, str, int]:
        return ("attr", self.owner, self.name, self.serial)

    @property
    def shown(self) -> str:
        return f"self.{self.name}"


@dataclass(frozen=True)
class Assigned:
    """What a graph body last assigned to an attribute (`self.x = ...`), and in which epoch
    of the walk: a later epoch (a method of the instance ran since) may have rebound it."""

    epoch: int
    value: Any


def is_attr_key(slot: Any) -> bool:
    """Whether a graph reuse's slot is an attribute's (Attr.key) rather than a Built's."""
    return isinstance(slot, tuple) and len(slot) == 4 and slot[0] == "attr"


@dataclass(frozen=True, eq=False)
class Func:
    """Something whose body runs when it is called: a method, a nested def or a lambda.

    Compared and hashed by identity: each evaluation of a def is its own function object, and
    hashing a closure by value would hash every function it captures, and theirs, again.
    """

    node: Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda]
    env: Optional[Env] = None  # closure: the Env of the enclosing function or module
    self_bound: bool = False  # a method reached through self: its first parameter is self


@dataclass(frozen=True)
class Parts:
    """A tuple or list literal holding objects (`return encoder, decoder` from a builder, or
    `return layer(x), layer`): unpacked by an assignment, each target gets its part. One that
    holds only tensors is a tensor instead (a list of tensors stands for all of them)."""

    items: Tuple[Any, ...]


OBJECTS = (Slot, Built, Attr, Func)  # the values that are objects a call may run


SELF = "self"  # the value of the instance itself
NONE = "None"  # a local name known to hold None (`key_value = None`): its branches are known


@dataclass(frozen=True)
class Symbolic:
    """A symbolic tensor of a functional graph: what `keras.Input()` returns, and what a layer
    or an op returns when given one. Only calls on these build a graph; eager calls (a test
    calling a layer on arrays twice) are separate passes, not reuse. `graphs` names the inputs
    (or Sequential models) it descends from: calls on tensors that never meet are two models.
    """

    graphs: FrozenSet[Any]
    # The layer calls it descends from, as (id(call site), object key): a model built on it
    # holds exactly these calls, so two calls are in one forward pass when one model holds both.
    calls: FrozenSet[Tuple[int, Any]] = frozenset()


@dataclass(frozen=True)
class Reuse:
    """A call site that runs an attribute's layer again in the same forward pass."""

    slot: Any  # an attribute name, or Built.key for a local layer
    line: int
    col: int
    first_line: int
    in_loop: bool  # the site itself repeats (a loop), rather than a second site
    via: str = ""  # the helper through which this site calls the layer, if any
    same_input: bool = False  # every earlier call had the very same, unchanged arguments
    shown: str = ""  # how the layer is written at this site: "self.norm", "norm"
    listed: bool = False  # listed in a Sequential model (or added to it), not called
    separate: bool = False  # the earlier calls are in graphs this one never meets: two models
    # (graphs here, graphs of earlier calls), and (this call, the earlier calls), in a graph
    graphs: Tuple[Any, ...] = field(default=(), compare=False)
    calls: Tuple[Any, ...] = field(default=(), compare=False)
    earlier_lines: Tuple[int, ...] = field(default=(), compare=False)  # of calls[1], in order
    end_line: Optional[int] = field(default=None, compare=False)  # where the call site ends
    end_col: Optional[int] = field(default=None, compare=False)


class Env(dict):
    """A function's names, falling back to the enclosing scope's: a branch is a child holding
    only what it binds, and a def captures its closure by reference, so neither costs more as
    the enclosing scope grows."""

    __slots__ = ("parent",)

    def __init__(self, parent: Optional[Env] = None) -> None:
        super().__init__()
        self.parent = parent

    def get(self, key: Any, default: Any = None) -> Any:
        env: Optional[Env] = self
        while env is not None:
            if dict.__contains__(env, key):
                return dict.__getitem__(env, key)
            env = env.parent
        return default

    def child(self) -> Env:
        return Env(self)
