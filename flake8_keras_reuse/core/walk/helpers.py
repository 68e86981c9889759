"""Helper summaries: what a method, nested function or lambda does when the walk calls it.

A helper is walked once per binding of its arguments (memoised by the function object and the
values passed), and its summary (the calls it makes, what it returns, what it constructs) is
applied at each call site. Objects and graphs the helper makes are made anew at every call.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, List, Optional, Set, Tuple

from .counting import Call, CallSite
from .graphs import _COPIES_PER_STEP, _rename_graphs
from .paths import Ctx, Record, State, conflict, join
from .values import SELF, Built, Env, Func, Parts, Symbolic

if TYPE_CHECKING:
    from .interpreter import Interpreter

# Beyond this many nested helper calls the rest is taken as calling nothing: a deep chain then
# misses findings instead of overflowing Python's stack.
MAX_HELPER_DEPTH = 40
# Summaries per helper, one per distinct binding of its layer arguments; past this many, more
# bindings are taken as calling nothing (helpers that pass layer pairs on to each other could
# otherwise ask for exponentially many).
MAX_BINDINGS = 32


@dataclass
class _Summary:
    calls: Dict[Any, Tuple[Record, ...]]  # slot -> records of calls inside the helper
    value: Any  # what the helper returns, when it is always the same layer or helper
    made: tuple = ()  # constructions the helper returns: made on the path unless kept
    # Objects and graphs the helper makes: each call of the helper makes new ones.
    allocated: Tuple[Built, ...] = ()
    graphs: tuple = ()  # graph ids
    links: Tuple[FrozenSet[Any], ...] = ()  # groups of graphs the helper joined into one graph
    inputs: Dict[str, Any] = field(default_factory=dict)  # tensor parameter -> its graph
    entry: Dict[str, Any] = field(default_factory=dict)  # parameter -> its version on entry
    models: tuple = ()  # the calls each model the helper builds holds


@dataclass
class Frame:
    """What one helper being summarised has made so far (the walk's first frame: what the
    walked bodies themselves made)."""

    made: List[ast.Call] = field(default_factory=list)  # constructions it returns (KR003)
    allocated: List[Built] = field(default_factory=list)  # Built objects it made
    new_graphs: List[Any] = field(default_factory=list)  # graphs it started
    links: List[FrozenSet[Any]] = field(default_factory=list)  # graphs it joined
    models: List[FrozenSet[Call]] = field(default_factory=list)  # calls each model it builds holds


_TENSOR = "tensor"  # a tensor argument, in a summary's memo key


class Summaries:
    """Helper summaries, made by walking each helper's body with the interpreter that asks."""

    def __init__(self, walk: Interpreter) -> None:
        self.walk = walk
        self.memo: Dict[Any, _Summary] = {}
        self.active: Set[Any] = set()
        self.depth = 0
        self.bindings: Dict[Func, int] = {}  # Func -> summaries made for it (MAX_BINDINGS)
        self.free: Dict[ast.AST, Tuple[str, ...]] = {}  # a helper -> the outer names it reads

    def summary(self, func: Func, args: List[Any], kwargs: Dict[str, Any]) -> _Summary:
        params = _bind(func, args, kwargs)
        # A tensor argument is summarised as "a tensor of the caller's graphs", whichever they
        # are: one summary serves every call, and apply() puts the caller's graphs in. The
        # names it reads from enclosing scopes are taken as bound now: a call after one of
        # them is rebound (`layer = Dense(4)` again) gets a summary of its own.
        key = (
            func,
            tuple(
                (name, _TENSOR if isinstance(value, Symbolic) else value) for name, value in params
            ),
            self._outer_versions(func),
        )
        if key in self.memo:
            return self.memo[key]
        if (
            key in self.active
            or self.depth >= MAX_HELPER_DEPTH
            or self.bindings.get(func, 0) >= MAX_BINDINGS
        ):
            # recursion, a very deep chain, or a helper given ever new layers: count nothing
            return _Summary({}, None)
        self.bindings[func] = self.bindings.get(func, 0) + 1
        self.active.add(key)
        self.depth += 1
        frame = Frame()
        self.walk.frames.append(frame)
        try:
            summary = self._walk_body(func, params, frame)
        finally:
            self.active.discard(key)
            self.depth -= 1
            self.walk.frames.pop()
        self.memo[key] = summary
        return summary

    def _outer_versions(self, func: Func) -> Tuple[Any, ...]:
        # Only a walk of a module body binds names its functions read (walks.GraphWalk); a
        # method's scope holds the module's functions alone, which are never rebound.
        if func.env is None or not self.walk.module_names_bound:
            return ()
        names = self.free.get(func.node)
        if names is None:
            names = self.free[func.node] = _free_names(func.node)
        return tuple(func.env.get(("version", name)) for name in names)

    def _walk_body(self, func: Func, params: Tuple[Tuple[str, Any], ...], frame: Frame) -> _Summary:
        walk = self.walk
        env = Env(func.env)  # the closure, by reference: Python binds late too
        inputs: Dict[str, Any] = {}
        for name, value in params:
            if isinstance(value, Symbolic):
                inputs[name] = ("input", next(walk.instances))  # a graph of the caller's
                value = Symbolic(frozenset({inputs[name]}), frozenset({inputs[name]}))
            walk._set(env, name, value)
        entry = {name: dict.__getitem__(env, ("version", name)) for name, _ in params}
        ctx = Ctx(func=func.node)
        returns: List[Any] = []
        if isinstance(func.node, ast.Lambda):
            body_state = State()
            returns.append(walk._expr(func.node.body, env, body_state, ctx))
            exits = [body_state]
        else:
            state, exits = walk._block(func.node.body, env, State(), ctx, returns)
            exits = exits + ([state] if state is not None else [])
        value = returns[0] if returns and all(r == returns[0] for r in returns) else None
        summary = _escaping(
            join(exits) or {},
            value,
            tuple(frame.made),
            frame.allocated,
            frame.new_graphs,
            frame.links,
        )
        summary.inputs = inputs
        summary.entry = entry
        summary.models = tuple(frame.models)
        return summary

    def apply(
        self,
        func: Func,
        args: List[Any],
        kwargs: Dict[str, Any],
        state: State,
        site: Optional[ast.expr],
        ctx: Ctx,
        param_keys: Optional[Dict[str, Any]] = None,
    ) -> Any:
        walk = self.walk
        summary = self.summary(func, args, kwargs)
        via = getattr(func.node, "name", "<lambda>") if site is not None else ""
        given = {
            summary.inputs[name]: value
            for name, value in _bind(func, args, kwargs)
            if name in summary.inputs and isinstance(value, Symbolic)
        }
        inputs = {tag: value.graphs for tag, value in given.items()}
        fresh, graphs = self._renew(summary, ctx, inputs) if site is not None else ({}, inputs)
        # The helper's own records are alternatives or already counted inside it: each is
        # compared with what ran before the helper was called, never with its siblings.
        before = {slot: state.get(fresh.get(slot, slot)) for slot in summary.calls}
        walk.budget.spend(sum(len(records) for records in summary.calls.values()))
        for slot, records in summary.calls.items():
            for record in records:
                if conflict(record.assume, ctx.assume):
                    continue  # the helper calls it only under a condition false here
                here = site if site is not None else record.site
                args_key = (
                    record.args
                    if site is None
                    else _translate(record.args, summary.entry, param_keys)
                )
                made = _rename_graphs(record.graphs, graphs)
                walk.counter.count(
                    CallSite(
                        fresh.get(slot, slot),
                        here,
                        args_key,
                        via,
                        before.get(slot, ()),
                        record.shown,
                        made,
                        record.listed,
                    ),
                    state,
                    ctx.assuming(record.assume),
                )
        if site is not None:
            for construction in summary.made:  # layers the helper returns are made at this call
                walk._made(construction, site)
        calls = {tag: value.calls for tag, value in given.items()}
        if site is not None:
            # A model the helper builds (and perhaps returns) holds its calls here.
            for model in summary.models:
                held = _rename_calls(model, calls, summary, fresh, site)
                if held:  # one that holds only the helper's own objects was judged inside it
                    walk.frames[-1].models.append(held)
        value = summary.value
        if isinstance(value, Parts):  # `return x, layer`: each part as if returned alone
            return Parts(
                tuple(self._returned(v, summary, fresh, graphs, calls, site) for v in value.items)
            )
        return self._returned(value, summary, fresh, graphs, calls, site)

    def _returned(
        self,
        value: Any,
        summary: _Summary,
        fresh: Dict[Any, Any],
        graphs: Dict[Any, Any],
        calls: Dict[Any, Any],
        site: Optional[ast.expr],
    ) -> Any:
        """What the helper returns, at this call: an object it made is the one made anew here,
        a tensor is of the caller's graphs and holds the calls as the caller sees them."""
        walk = self.walk
        if isinstance(value, Built) and value.key in fresh:
            return walk.objects[fresh[value.key]]
        if isinstance(value, Symbolic):
            walk.budget.spend(len(value.calls) // _COPIES_PER_STEP)
            if site is None:
                return Symbolic(_rename_graphs(value.graphs, graphs), value.calls)
            for call in value.calls:  # the helper's own calls, as a model built on it holds them
                if call not in calls and call[1] in summary.calls:
                    walk.book.alias(call, (id(site), fresh.get(call[1], call[1])))
            return Symbolic(
                _rename_graphs(value.graphs, graphs),
                _rename_calls(value.calls, calls, summary, fresh, site),
            )
        return value

    def _renew(
        self, summary: _Summary, ctx: Ctx, inputs: Dict[Any, Any]
    ) -> Tuple[Dict[Any, Any], Dict[Any, Any]]:
        """New objects and graphs for what a helper makes, at one of its calls: {old key: new
        key} and {old graph: new graph}; the helper's joins are made again on the new ones."""
        fresh = {}
        for built in summary.allocated:
            new = self.walk._new_built(built.node, built.name, ctx)
            fresh[built.key] = new.key
        graphs: Dict[Any, Any] = {g: self.walk.book.new_graph() for g in summary.graphs}
        graphs.update(inputs)
        for linked in summary.links:
            self.walk.book.link(_rename_graphs(linked, graphs))
        return fresh, graphs


def _free_names(node: ast.AST) -> Tuple[str, ...]:
    """The names a helper reads and never binds itself (its nested defs included): what it
    takes from enclosing scopes when it runs."""
    loaded: Set[str] = set()
    bound: Set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            (loaded if isinstance(sub.ctx, ast.Load) else bound).add(sub.id)
        elif isinstance(sub, ast.arg):
            bound.add(sub.arg)
    return tuple(sorted(loaded - bound))


def _bind(func: Func, args: List[Any], kwargs: Dict[str, Any]) -> Tuple[Tuple[str, Any], ...]:
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


def _translate(key: Any, entry: Dict[str, Any], param_keys: Optional[Dict[str, Any]]) -> Any:
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
        if (
            entry.get(name, object()) != version
            or name not in param_keys
            or text[at:] != ast.dump(ast.Name(id=name, ctx=ast.Load()))
        ):
            return None
        caller_text, caller_names = param_keys[name]
        out_texts.append(text[:at] + caller_text)
        out_names.extend(caller_names)
    return tuple(out_texts), tuple(out_names)


def _escaping(
    calls: Dict[Any, Tuple[Record, ...]],
    value: Any,
    made: tuple,
    allocated: List[Built],
    new_graphs: List[Any],
    links: List[FrozenSet[Any]],
) -> _Summary:
    """The summary of what a helper's caller can see. Objects the helper makes and does not
    return can never be called again outside it: their calls were judged inside and are left
    out, so that a chain of helpers carries only what escapes it (linear, not the sum of all
    it ever made). Graphs the helper starts are kept when its records or its value name them;
    its joins only between graphs kept or from outside."""
    made_here = {b.key: b for b in allocated}
    values = value.items if isinstance(value, Parts) else (value,)
    returned = {v.key for v in values if isinstance(v, Built) and v.key in made_here}
    calls = {
        slot: records
        for slot, records in calls.items()
        if slot not in made_here or slot in returned
    }
    started = set(new_graphs)
    named = {g for records in calls.values() for r in records for g in (r.graphs or ())}
    for part in values:
        if isinstance(part, Symbolic):
            named |= part.graphs
    kept_links = _components(links, lambda g: g in named or g not in started)
    for linked in kept_links:
        named |= linked
    return _Summary(
        calls,
        value,
        made,
        tuple(b for b in allocated if b.key in returned),  # in the order they were made
        tuple(started & named),
        kept_links,
    )


def _components(links: List[FrozenSet[Any]], keep: Any) -> Tuple[FrozenSet[Any], ...]:
    """The joined groups of graphs, each reduced to the graphs `keep` accepts (two or more)."""
    parent: Dict[Any, Any] = {}

    def root(g: Any) -> Any:
        while parent.get(g, g) != g:
            g = parent[g]
        return g

    for linked in links:
        first, *rest = linked
        for g in rest:
            a, b = root(first), root(g)
            if a != b:
                parent[b] = a
    groups: Dict[Any, Set[Any]] = {}
    for linked in links:
        for g in linked:
            groups.setdefault(root(g), set()).add(g)
    out = []
    for group in groups.values():
        kept = frozenset(g for g in group if keep(g))
        if len(kept) > 1:
            out.append(kept)
    return tuple(out)


def _rename_calls(
    calls: FrozenSet[Call],
    inputs: Dict[Any, FrozenSet[Call]],
    summary: _Summary,
    fresh: Dict[Any, Any],
    site: ast.expr,
) -> FrozenSet[Call]:
    """A helper's calls as its caller sees them: an input stands for the caller's calls; a call
    of an object from outside (or one the helper returns) is a call at the helper's call site;
    calls of objects that stay inside the helper are left out."""
    out: Set[Call] = set()
    for call in calls:
        if call in inputs:
            out |= inputs[call]
            continue
        _, slot = call
        if slot in summary.calls:
            out.add((id(site), fresh.get(slot, slot)))
    return frozenset(out)
