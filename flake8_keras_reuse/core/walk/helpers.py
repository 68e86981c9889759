"""Helper summaries: what a method, nested function or lambda does when the walk calls it.

A helper is walked once per binding of its arguments (memoised by the function object and the
values passed), and its summary (the calls it makes, what it returns, what it constructs) is
applied at each call site. Objects and graphs the helper makes are made anew at every call.
"""
import ast
from dataclasses import dataclass, field

from .values import SELF, Built, Env, Func, Symbolic
from .counting import CallSite
from .graphs import _COPIES_PER_STEP, _rename_graphs
from .paths import Ctx, State, conflict, join

# Beyond this many nested helper calls the rest is taken as calling nothing: a deep chain then
# misses findings instead of overflowing Python's stack.
MAX_HELPER_DEPTH = 40
# Summaries per helper, one per distinct binding of its layer arguments; past this many, more
# bindings are taken as calling nothing (helpers that pass layer pairs on to each other could
# otherwise ask for exponentially many).
MAX_BINDINGS = 32


@dataclass
class _Summary:
    calls: dict  # slot -> [Record] of calls inside the helper
    value: object  # what the helper returns, when it is always the same layer or helper
    made: tuple = ()  # constructions the helper returns: made on the path unless kept
    # Objects and graphs the helper makes: each call of the helper makes new ones.
    allocated: tuple = ()  # Built
    graphs: tuple = ()  # graph ids
    links: tuple = ()  # frozensets of graph ids the helper joined into one graph
    inputs: dict = field(default_factory=dict)  # tensor parameter -> the graph standing for it
    entry: dict = field(default_factory=dict)  # parameter -> its binding's version on entry
    models: tuple = ()  # the calls each model the helper builds holds


_TENSOR = "tensor"  # a tensor argument, in a summary's memo key


class Summaries:
    """The helper-summary part of the walk (forward._Walk)."""

    def _summary(self, func, args, kwargs):
        params = _bind(func, args, kwargs)
        # A tensor argument is summarised as "a tensor of the caller's graphs", whichever they
        # are: one summary serves every call, and _apply puts the caller's graphs in.
        key = (func, tuple((name, _TENSOR if isinstance(value, Symbolic) else value)
                           for name, value in params))
        if key in self.memo:
            return self.memo[key]
        if key in self.active or self.depth >= MAX_HELPER_DEPTH \
                or self.bindings.get(func, 0) >= MAX_BINDINGS:
            # recursion, a very deep chain, or a helper given ever new layers: count nothing
            return _Summary({}, None)
        self.bindings[func] = self.bindings.get(func, 0) + 1
        self.active.add(key)
        self.depth += 1
        self.made.append([])
        self.allocated.append([])
        self.new_graphs.append([])
        self.links.append([])
        self.models.append([])
        try:
            env = Env(func.env)  # the closure, by reference: Python binds late too
            inputs = {}
            for name, value in params:
                if isinstance(value, Symbolic):
                    inputs[name] = ("input", next(self.instances))  # a graph of the caller's
                    value = Symbolic(frozenset({inputs[name]}), frozenset({inputs[name]}))
                self._set(env, name, value)
            entry = {name: dict.__getitem__(env, ("version", name)) for name, _ in params}
            ctx = Ctx(func=func.node)
            returns = []
            if isinstance(func.node, ast.Lambda):
                state = State()
                returns.append(self._expr(func.node.body, env, state, ctx))
                exits = [state]
            else:
                state, exits = self._block(func.node.body, env, State(), ctx, returns)
                exits = exits + ([state] if state is not None else [])
            value = returns[0] if returns and all(r == returns[0] for r in returns) else None
            summary = _escaping(join(exits) or {}, value, tuple(self.made[-1]),
                                self.allocated[-1], self.new_graphs[-1], self.links[-1])
            summary.inputs = inputs
            summary.entry = entry
            summary.models = tuple(self.models[-1])
        finally:
            self.active.discard(key)
            self.depth -= 1
            self.made.pop()
            self.allocated.pop()
            self.new_graphs.pop()
            self.links.pop()
            self.models.pop()
        self.memo[key] = summary
        return summary

    def _apply(self, func, args, kwargs, state, site, ctx, param_keys=None):
        summary = self._summary(func, args, kwargs)
        via = getattr(func.node, "name", "<lambda>") if site is not None else ""
        given = {summary.inputs[name]: value for name, value in _bind(func, args, kwargs)
                 if name in summary.inputs and isinstance(value, Symbolic)}
        inputs = {tag: value.graphs for tag, value in given.items()}
        fresh, graphs = self._renew(summary, ctx, inputs) if site is not None else ({}, inputs)
        # The helper's own records are alternatives or already counted inside it: each is
        # compared with what ran before the helper was called, never with its siblings.
        before = {slot: state.get(fresh.get(slot, slot)) for slot in summary.calls}
        self._step(sum(len(records) for records in summary.calls.values()))
        for slot, records in summary.calls.items():
            for record in records:
                if conflict(record.assume, ctx.assume):
                    continue  # the helper calls it only under a condition false here
                here = site if site is not None else record.site
                args_key = record.args if site is None else _translate(
                    record.args, summary.entry, param_keys)
                made = _rename_graphs(record.graphs, graphs)
                self.counter.count(CallSite(fresh.get(slot, slot), here, args_key, via,
                                            before.get(slot, ()), record.shown, made,
                                            record.listed), state, ctx.assuming(record.assume))
        if site is not None:
            for made in summary.made:  # layers the helper returns are made at this call
                self._made(made, site)
        value = summary.value
        if isinstance(value, Built) and value.key in fresh:
            return self._fresh[fresh[value.key]]
        if site is not None:
            calls = {tag: value.calls for tag, value in given.items()}
            for model in summary.models:  # a model the helper builds holds its calls here
                held = _rename_calls(model, calls, summary, fresh, site)
                if held:  # one that holds only the helper's own objects was judged inside it
                    self.models[-1].append(held)
        if isinstance(value, Symbolic):
            self._step(len(value.calls) // _COPIES_PER_STEP)
            if site is None:
                return Symbolic(_rename_graphs(value.graphs, graphs), value.calls)
            for call in value.calls:  # the helper's own calls, as a model built on it holds them
                if call not in calls and call[1] in summary.calls:
                    self.call_aliases.setdefault(call, set()).add(
                        (id(site), fresh.get(call[1], call[1])))
            return Symbolic(_rename_graphs(value.graphs, graphs),
                            _rename_calls(value.calls, calls, summary, fresh, site))
        return value

    def _renew(self, summary, ctx, inputs):
        """New objects and graphs for what a helper makes, at one of its calls: {old key: new
        key} and {old graph: new graph}; the helper's joins are made again on the new ones."""
        fresh = {}
        for built in summary.allocated:
            new = self._new_built(built.node, built.name, ctx)
            fresh[built.key] = new.key
        graphs = {g: self._new_graph() for g in summary.graphs}
        graphs.update(inputs)
        for linked in summary.links:
            self._link(_rename_graphs(linked, graphs))
        return fresh, graphs

    def _new_built(self, node, name, ctx):
        built = Built(node, name, next(self.instances))
        self.counter.born(built.key, ctx.loops)
        self._fresh[built.key] = built
        self.allocated[-1].append(built)
        return built

    def _method(self, name):
        """One function object per method, so its summaries are shared by every call site."""
        if name not in self.method_funcs:
            self.method_funcs[name] = Func(self.methods[name],
                                           self._module_scope(self.module_functions), True)
        return self.method_funcs[name]


def _bind(func, args, kwargs):
    """Map a helper's parameters to the layer values passed in; others stay unknown."""
    node = func.node
    params = [a.arg for a in node.args.posonlyargs + node.args.args]
    kwonly = [a.arg for a in node.args.kwonlyargs]
    values = ([SELF] if func.self_bound else []) + list(args)
    bound = dict(zip(params, values))
    for name, value in kwargs.items():
        if name in params or name in kwonly:
            bound[name] = value
    names = params + kwonly
    for extra in (node.args.vararg, node.args.kwarg):
        if extra is not None:
            names.append(extra.arg)
    return tuple((name, bound.get(name)) for name in names)


def _translate(key, entry, param_keys):
    """A call's argument key inside a helper, in the caller's terms: when each argument is a
    parameter the helper has not rebound, it is what the caller passed (`self.head(pooled)`
    in a helper given `pooled_output` receives the caller's very tensor). None otherwise."""
    if key is None or not param_keys:
        return None
    texts, names = key
    if len(texts) != len(names):
        return None  # an argument that is not exactly one name
    out_texts, out_names = [], []
    for text, (name, version) in zip(texts, names):
        at = text.find("Name(")
        if entry.get(name, object()) != version or name not in param_keys \
                or text[at:] != ast.dump(ast.Name(id=name, ctx=ast.Load())):
            return None
        caller_text, caller_names = param_keys[name]
        out_texts.append(text[:at] + caller_text)
        out_names.extend(caller_names)
    return tuple(out_texts), tuple(out_names)


def _escaping(calls, value, made, allocated, new_graphs, links):
    """The summary of what a helper's caller can see. Objects the helper makes and does not
    return can never be called again outside it: their calls were judged inside and are left
    out, so that a chain of helpers carries only what escapes it (linear, not the sum of all
    it ever made). Graphs the helper starts are kept when its records or its value name them;
    its joins only between graphs kept or from outside."""
    made_here = {b.key: b for b in allocated}
    returned = {value.key} if isinstance(value, Built) and value.key in made_here else set()
    calls = {slot: records for slot, records in calls.items()
             if slot not in made_here or slot in returned}
    started = set(new_graphs)
    named = {g for records in calls.values() for r in records for g in (r.graphs or ())}
    if isinstance(value, Symbolic):
        named |= value.graphs
    kept_links = _components(links, lambda g: g in named or g not in started)
    for linked in kept_links:
        named |= linked
    return _Summary(calls, value, made, tuple(made_here[k] for k in returned),
                    tuple(started & named), kept_links)


def _components(links, keep):
    """The joined groups of graphs, each reduced to the graphs `keep` accepts (two or more)."""
    parent = {}

    def root(g):
        while parent.get(g, g) != g:
            g = parent[g]
        return g

    for linked in links:
        first, *rest = linked
        for g in rest:
            a, b = root(first), root(g)
            if a != b:
                parent[b] = a
    groups = {}
    for linked in links:
        for g in linked:
            groups.setdefault(root(g), set()).add(g)
    out = []
    for group in groups.values():
        kept = frozenset(g for g in group if keep(g))
        if len(kept) > 1:
            out.append(kept)
    return tuple(out)


def _rename_calls(calls, inputs, summary, fresh, site):
    """A helper's calls as its caller sees them: an input stands for the caller's calls; a call
    of an object from outside (or one the helper returns) is a call at the helper's call site;
    calls of objects that stay inside the helper are left out."""
    out = set()
    for call in calls:
        if call in inputs:
            out |= inputs[call]
            continue
        _, slot = call
        if slot in summary.calls:
            out.add((id(site), fresh.get(slot, slot)))
    return frozenset(out)
