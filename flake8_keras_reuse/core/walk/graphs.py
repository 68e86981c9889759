"""Graph specifics: functional models and Sequential lists.

Symbolic tensors carry the layer calls they descend from. A model built on some outputs
(`keras.Model(inputs, outputs)`) holds exactly the calls those outputs descend from: two calls
of one layer are in one forward pass when one model holds both; held by two models that never
hold both, the layer has two owners (KR004); held by no model, the calls only computed shapes.
A file that builds no model at all is judged by its graphs alone (calls whose tensors met are
one graph), and so is TF1 code (placeholders have no model object: one session graph holds
every call whose tensors met; union-find over the graphs they descend from). A Sequential list
is a model of its own.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    AbstractSet,
    Any,
    Dict,
    FrozenSet,
    Iterable,
    List,
    Optional,
    Set,
    overload,
)

from ...knowledge.keras_api import SEQUENTIAL
from ..syntax import terminal_name
from .budget import Budget
from .values import Built, Reuse, Symbolic

if TYPE_CHECKING:
    from .counting import Call
    from .helpers import Frame

# A tensor's calls are copied into each tensor made from it (C-level set copies, far cheaper
# than a step of the walk): they cost the budget this many to a step.
_COPIES_PER_STEP = 64


def _order(graph: Any) -> tuple:
    """Graphs are numbers; inside a helper's summary, its tensor parameters are placeholders
    ("input", n) that the caller's graphs replace. Numbers first, then placeholders."""
    return (1, graph[1]) if isinstance(graph, tuple) else (0, graph)


class GraphBook:
    """The graphs of one walk: which graphs met (union-find), the models built and the calls
    each holds, TF1 placeholders, Sequential models, and what a helper's calls are held as.

    `frames` is the walk's stack of helper frames (helpers.Frame): graphs started, joins and
    models go to the innermost; the outermost holds the models the walked bodies build.
    `instances` numbers graphs and objects alike (one counter per walk).
    """

    def __init__(self, frames: List[Frame], instances: Iterable[int], budget: Budget) -> None:
        self.frames = frames
        self.instances = iter(instances)
        self.budget = budget
        self.placeholders: Set[Any] = set()  # graphs a TF1 placeholder started (one session)
        self.joined: Dict[Any, Any] = {}  # union-find over graph ids: graphs whose tensors met
        self.sequential_graph: Dict[Any, Any] = {}  # Built key of a Sequential -> its graph
        # a call in a helper -> the helper calls a model holds it as
        self.call_aliases: Dict[Call, Set[Call]] = {}

    def new_graph(self, placeholder: bool = False) -> int:
        graph = next(self.instances)
        self.frames[-1].new_graphs.append(graph)
        if placeholder:
            self.placeholders.add(graph)
        return graph

    def link(self, graphs: Iterable[Any]) -> None:
        """The tensors of these graphs met in one op or layer: they are one graph now."""
        roots = {self.root(g) for g in graphs}
        if len(roots) > 1:
            first = min(roots, key=_order)
            for root in roots:
                self.joined[root] = first
            self.frames[-1].links.append(frozenset(graphs))

    def root(self, graph: Any) -> Any:
        while self.joined.get(graph, graph) != graph:
            graph = self.joined[graph]
        return graph

    def model(self, args: List[Any], kwargs: Dict[str, Any]) -> None:
        """`keras.Model(inputs, outputs)`: the model holds the calls its outputs descend from."""
        outputs = args[1] if len(args) > 1 else kwargs.get("outputs")
        if isinstance(outputs, Symbolic):
            self.frames[-1].models.append(outputs.calls)

    def alias(self, call: Call, held_as: Call) -> None:
        """A call inside a helper, held by a model as the call of the helper (`held_as`)."""
        self.call_aliases.setdefault(call, set()).add(held_as)

    def sequential(self, model: Any) -> Any:
        """The graph of a Sequential model: its construction (a Built, or the call itself)."""
        key = model.key if isinstance(model, Built) else ("sequential", id(model))
        if key not in self.sequential_graph:
            self.sequential_graph[key] = self.new_graph()
        return self.sequential_graph[key]

    def tensor(
        self, graphs: Optional[AbstractSet[Any]], calls: AbstractSet[Any] = frozenset()
    ) -> Optional[Symbolic]:
        """What an op returns given tensors of these graphs and calls: one tensor of their
        joined graph, descending from all those calls."""
        if not graphs:
            return None
        self.link(graphs)
        self.budget.spend(len(calls) // _COPIES_PER_STEP)
        return Symbolic(frozenset(graphs), frozenset(calls))

    def classify(self, reuse: Reuse) -> Optional[Reuse]:
        """The verdict on a second call of a local layer in graph code: the reuse as it is (one
        model holds both calls), a second owner (two models hold one each), or None (no model
        holds it, as in a test that checks output shapes)."""
        if reuse.listed or not reuse.calls:
            return self._by_graphs(reuse)
        here, earlier = reuse.calls
        models = self.frames[0].models
        if not models:  # no model built in this file: its graphs are the best evidence
            return self._by_graphs(reuse, owners=False)
        here = self._as_held(here)
        each = [self._as_held(e) for e in earlier]
        holding = [m for m in models if here & m]
        for held, line in zip(each, reuse.earlier_lines):
            if any(held & m for m in holding):
                # "first called on line N" names the first call in the same model.
                return dataclasses.replace(reuse, first_line=line)
        if reuse.in_loop and holding:
            return reuse
        earlier = set().union(*each)
        if holding and any(earlier & m for m in models):
            return dataclasses.replace(reuse, separate=True)
        if self._in_session_graph(reuse):
            return self._by_graphs(reuse, owners=False)
        return None

    def _as_held(self, call: Call) -> Set[Call]:
        """A call and what a model holds it as: a call inside a helper is held as the call of
        the helper that returned its tensor (helpers.py records these), through every level."""
        found, todo = {call}, [call]
        while todo:
            for outer in self.call_aliases.get(todo.pop(), ()):
                if outer not in found:
                    found.add(outer)
                    todo.append(outer)
        return found

    def _in_session_graph(self, reuse: Reuse) -> bool:
        here, earlier = reuse.graphs
        return bool(self.placeholders) and any(
            self.root(g) in {self.root(p) for p in self.placeholders} for g in here or ()
        )

    def _by_graphs(self, reuse: Reuse, owners: bool = True) -> Optional[Reuse]:
        """For Sequential lists (and code that builds no model object): calls whose graphs met
        are one forward pass; calls whose graphs never met are two models when the graphs are
        models (`owners`: Sequential lists), else nothing is known."""
        if not reuse.graphs or reuse.in_loop:
            return reuse
        here, earlier = reuse.graphs
        if here is None or any(g is None for g in earlier):
            return reuse
        roots = {self.root(g) for g in here}
        if any(roots & {self.root(g) for g in graphs} for graphs in earlier):
            return reuse
        return dataclasses.replace(reuse, separate=True) if owners else None


@dataclass(frozen=True)
class _Method:
    """`x.add` where x is a layer kept in a local name: the Sequential API's add()."""

    of: Built


def _is_sequential(built: Built) -> bool:
    return terminal_name(built.node.func) == SEQUENTIAL


@overload
def _rename_graphs(graphs: FrozenSet[Any], renamed: Dict[Any, Any]) -> FrozenSet[Any]: ...


@overload
def _rename_graphs(
    graphs: Optional[FrozenSet[Any]], renamed: Dict[Any, Any]
) -> Optional[FrozenSet[Any]]: ...


def _rename_graphs(
    graphs: Optional[FrozenSet[Any]], renamed: Dict[Any, Any]
) -> Optional[FrozenSet[Any]]:
    """Graphs with each renamed: to a new graph, or to the caller's graphs for an input."""
    if not graphs or not renamed:
        return graphs
    out: Set[Any] = set()
    for graph in graphs:
        new = renamed.get(graph, graph)
        out.update(new if isinstance(new, frozenset) else (new,))
    return frozenset(out)
