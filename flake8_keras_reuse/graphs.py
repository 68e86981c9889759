"""Graph specifics: functional models and Sequential lists.

Symbolic tensors carry the graphs they descend from (`keras.Input()`, a TF1 placeholder, a
Sequential model's list); an op given tensors of several graphs joins them (union-find). A layer
called in two graphs that never meet is one instance owned by two models, not a second call in
one forward pass.
"""
import dataclasses
from dataclasses import dataclass

from .objects import Built, Symbolic
from .syntax import terminal_name

# What starts a graph: keras.Input(), and TF1's placeholders (tf.compat.v1.placeholder).
_GRAPH_INPUTS = frozenset({"Input", "placeholder"})


class Graphs:
    """The graph part of the walk (forward._Walk)."""

    def _new_graph(self):
        graph = next(self.instances)
        self.new_graphs[-1].append(graph)
        return graph

    def _link(self, graphs):
        """The tensors of these graphs met in one op or layer: they are one graph now."""
        roots = {self._root(g) for g in graphs}
        if len(roots) > 1:
            first = min(roots)
            for root in roots:
                self.joined[root] = first
            self.links[-1].append(frozenset(graphs))

    def _root(self, graph):
        while self.joined.get(graph, graph) != graph:
            graph = self.joined[graph]
        return graph

    def classify(self, reuse):
        """A graph reuse whose earlier calls are all in graphs this call never meets is a
        second owner (two models), not a second call in one forward pass."""
        if not reuse.graphs or reuse.in_loop:
            return reuse
        here, earlier = reuse.graphs
        if here is None or any(g is None for g in earlier):
            return reuse
        roots = {self._root(g) for g in here}
        if any(roots & {self._root(g) for g in graphs} for graphs in earlier):
            return reuse
        return dataclasses.replace(reuse, separate=True)

    def _sequential_graph(self, model, state):
        """The graph of a Sequential model: its construction (a Built, or the call itself)."""
        key = model.key if isinstance(model, Built) else ("sequential", id(model))
        if key not in self.sequential_graph:
            self.sequential_graph[key] = self._new_graph()
        return self.sequential_graph[key]

    def _tensor(self, graphs):
        """What an op returns given tensors of these graphs: one tensor of their joined graph."""
        if not graphs:
            return None
        self._link(graphs)
        return Symbolic(frozenset(graphs))


@dataclass(frozen=True)
class _Method:
    """`x.add` where x is a layer kept in a local name: the Sequential API's add()."""

    of: Built


def _is_sequential(built):
    return terminal_name(built.node.func) == "Sequential"


def _rename_graphs(graphs, renamed):
    """Graphs with each renamed: to a new graph, or to the caller's graphs for an input."""
    if not graphs or not renamed:
        return graphs
    out = set()
    for graph in graphs:
        new = renamed.get(graph, graph)
        out.update(new if isinstance(new, frozenset) else (new,))
    return frozenset(out)
