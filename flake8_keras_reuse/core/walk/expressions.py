"""Expressions for the forward walk: what each evaluates to (values.py), and the Keras idioms at
a call (getattr on self, keeping methods, `partial`, `Sequential([...])` and `.add`, a layer
call, a helper call, a construction).

Each expression costs one step of the budget; a node type without a handler evaluates its
children and is a tensor of their graphs."""

from __future__ import annotations

import ast
import itertools
from typing import AbstractSet, Any, Callable, Dict, FrozenSet, List, Optional, Set, Tuple

from ...knowledge.keras_api import KEEPING_METHODS, SEQUENTIAL
from ..syntax import terminal_name
from .arguments import args_key, param_keys
from .budget import Budget
from .counting import Call, CallCounter, CallSite
from .graphs import GraphBook, _is_sequential, _Method
from .helpers import Frame, Summaries
from .paths import Conditions, Ctx, Facts, State
from .values import NONE, SELF, Built, Env, Func, Slot, Symbolic

Handler = Callable[[Any, Env, State, Ctx], Any]


class Expressions:
    """The walk's state and its expressions; interpreter.Interpreter adds the statements, and
    walks.ClassWalk and walks.GraphWalk what differs between a call() and a graph body."""

    summaries: Summaries  # made by interpreter.Interpreter, which it walks helpers with
    track: FrozenSet[Any] = frozenset()  # objects whose calls tensors remember (graphs.py)
    repeated: AbstractSet[str] = frozenset()  # attributes whose slots hold one instance

    def __init__(
        self,
        budget: Optional[Budget],
        conditions: Optional[Conditions],
        module_functions: Any = (),
        composites: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.constructions: Dict[Tuple[int, int], ast.Call] = {}  # made on the path (KR003)
        self.kept: Set[int] = set()  # calls assigned to self.<attr>: made once, then kept
        self.returned: Set[int] = set()  # calls that are a `return` value: their caller decides
        self.budget = budget if budget is not None else Budget(0)
        self.module_env: Optional[Env] = None
        self.module_functions = module_functions
        self.counter = CallCounter(composites)
        self.instances = itertools.count(1)  # Built objects and graphs, one id each
        self.frames = [Frame()]  # one per helper being summarised, innermost last
        self.book = GraphBook(self.frames, self.instances, self.budget)
        self.objects: Dict[Any, Built] = {}  # Built key -> Built
        self.versions = itertools.count(1)
        self.conditions = conditions or Conditions()
        self._exprs: Dict[type, Handler] = {
            ast.Constant: self._constant,
            ast.Name: self._name,
            ast.Attribute: self._attribute,
            ast.Call: self._call,
            ast.Subscript: self._subscript,
            ast.Lambda: self._lambda,
            ast.IfExp: self._if_exp,
            ast.BoolOp: self._bool_op,
            ast.NamedExpr: self._named,
        }

    def _module_scope(self, module_functions: Any) -> Env:
        """The module's functions, once per walk: every body sees them (and they see each
        other) through its parent scope, without a copy per body."""
        if self.module_env is None:
            self.module_env = Env()
            for func in module_functions:
                self._set(self.module_env, func.name, Func(func, self.module_env))
        return self.module_env

    def _bind_target(
        self,
        target: ast.expr,
        value: Any,
        env: Env,
        state: State,
        ctx: Ctx,
        exact: bool,
        parts: Optional[List[Any]] = None,
    ) -> None:
        raise NotImplementedError  # interpreter.Interpreter

    def _stmt(
        self, stmt: ast.stmt, env: Env, state: State, ctx: Ctx, returns: List[Any]
    ) -> Tuple[Optional[State], List[State]]:
        raise NotImplementedError  # interpreter.Interpreter

    def _facts(self, test: ast.expr, ctx: Ctx) -> Tuple[Facts, Facts]:
        """Facts known in the true and in the false branch of `if test:`."""
        return self.conditions.facts(test, ctx.func)

    def _step(self, steps: int = 1) -> None:
        self.budget.spend(steps)

    def _set(self, env: Env, name: str, value: Any) -> None:
        env[name] = value
        env[("version", name)] = next(self.versions)

    # -- expressions -----------------------------------------------------------------------
    def _expr(self, node: Optional[ast.AST], env: Env, state: State, ctx: Ctx) -> Any:
        self.budget.spend()
        if node is None:
            return None
        handler = self._exprs.get(type(node))
        if handler is None:
            return self.book.tensor(*self._children(node, env, state, ctx))
        return handler(node, env, state, ctx)

    def _constant(self, node: ast.Constant, env: Env, state: State, ctx: Ctx) -> Any:
        return NONE if node.value is None else None

    def _name(self, node: ast.Name, env: Env, state: State, ctx: Ctx) -> Any:
        return env.get(node.id)

    def _attribute(self, node: ast.Attribute, env: Env, state: State, ctx: Ctx) -> Any:
        base = self._expr(node.value, env, state, ctx)
        if base == SELF:
            return self._self_attribute(node.attr, state, ctx, node)
        if isinstance(base, Built) and node.attr == "add":
            return _Method(base)
        return None

    def _subscript(self, node: ast.Subscript, env: Env, state: State, ctx: Ctx) -> Any:
        items = self._expr(node.value, env, state, ctx)
        self._expr(node.slice, env, state, ctx)
        if self._one_instance(items):
            return items
        index = _constant_index(node.slice)
        if isinstance(items, Slot) and "[" not in items.name and index is not None:
            # `self.norms[0]` is one slot of the list: the same slot twice is one layer.
            return Slot(f"{items.name}[{index!r}]", f"{items.shown}[{index!r}]")
        return None

    def _lambda(self, node: ast.Lambda, env: Env, state: State, ctx: Ctx) -> Any:
        return Func(node, env)

    def _if_exp(self, node: ast.IfExp, env: Env, state: State, ctx: Ctx) -> Any:
        self._expr(node.test, env, state, ctx)
        when_true, when_false = self._facts(node.test, ctx)
        a, b = state.fork(), state.fork()
        va = self._expr(node.body, env, a, ctx.assuming(when_true))
        vb = self._expr(node.orelse, env, b, ctx.assuming(when_false))
        state.merge([a, b])
        return va if va == vb else None

    def _bool_op(self, node: ast.BoolOp, env: Env, state: State, ctx: Ctx) -> Any:
        self._expr(node.values[0], env, state, ctx)
        rest = state.fork()
        for value in node.values[1:]:
            self._expr(value, env, rest, ctx)
        state.merge([rest])
        return None

    def _named(self, node: ast.NamedExpr, env: Env, state: State, ctx: Ctx) -> Any:
        value = self._expr(node.value, env, state, ctx)
        self._set(env, node.target.id, value)
        return value

    def _children(
        self, node: ast.AST, env: Env, state: State, ctx: Ctx
    ) -> Tuple[Set[Any], Set[Call]]:
        """Evaluate the children; the graphs and upstream calls of the tensors among them."""
        graphs: Set[Any] = set()
        calls: Set[Call] = set()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                value = self._expr(child, env, state, ctx)
                if isinstance(value, Symbolic):
                    graphs |= value.graphs
                    calls |= value.calls
            elif isinstance(child, (ast.keyword, ast.comprehension, ast.arguments)):
                more_graphs, more_calls = self._children(child, env, state, ctx)
                graphs |= more_graphs
                calls |= more_calls
            elif isinstance(child, ast.stmt):
                self._stmt(child, env, state, ctx, [])
        return graphs, calls

    # -- what differs between a call() and a graph body (walks.py) ---------------------------
    def _one_instance(self, value: Any) -> bool:
        return isinstance(value, Slot) and value.name in self.repeated

    def _self_attribute(self, name: str, state: State, ctx: Ctx, node: ast.expr) -> Any:
        return Slot(name, f"self.{name}")

    def _call_graphs(
        self, node: ast.Call, args: List[Any], kwargs: Dict[str, Any]
    ) -> Tuple[Optional[FrozenSet[Any]], FrozenSet[Call]]:
        """The graphs of a call's result, and the upstream calls it descends from."""
        return None, frozenset()

    def _unknown_call(
        self, node: ast.Call, ctx: Ctx, graphs: Optional[FrozenSet[Any]], upstream: FrozenSet[Call]
    ) -> Any:
        """A call of something unknown (a class, an op)."""
        return self.book.tensor(graphs, upstream)

    # -- calls -----------------------------------------------------------------------------
    def _call(self, node: ast.Call, env: Env, state: State, ctx: Ctx) -> Any:
        if _is_getattr_of_constant(node) and self._expr(node.args[0], env, state, ctx) == SELF:
            return self._self_attribute(
                node.args[1].value,  # type: ignore[attr-defined]
                state,
                ctx,
                node,
            )
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in KEEPING_METHODS
            and on_self(func.value, env)
        ):
            self._keep(node)
        callee = self._expr(func, env, state, ctx)
        name = terminal_name(func)
        if name == "partial" and node.args:
            return self._partial(node, env, state, ctx)
        if name == SEQUENTIAL and node.args and isinstance(node.args[0], (ast.List, ast.Tuple)):
            self._sequential_list(node, node.args[0], env, state, ctx)
            args = [self._expr(a, env, state, ctx) for a in node.args[1:]]
        else:
            args = [self._expr(a, env, state, ctx) for a in node.args]
        kwargs = {}
        for kw in node.keywords:
            value = self._expr(kw.value, env, state, ctx)
            if kw.arg is not None:
                kwargs[kw.arg] = value
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "add"
            and len(args) == 1
            and isinstance(callee, _Method)
            and _is_sequential(callee.of)
        ):
            model = frozenset({self.book.sequential(callee.of)})
            return self._call_layer(args[0], node.args[0], state, ctx, None, model, listed=True)
        graphs, upstream = self._call_graphs(node, args, kwargs)
        if isinstance(callee, (Slot, Built)):
            call = self._call_layer(callee, node, state, ctx, args_key(node, env), graphs)
            if call is not None and call[1] in self.track:
                upstream |= {call}
        elif isinstance(callee, Func):
            return self.summaries.apply(
                callee, args, kwargs, state, node, ctx, param_keys(callee, node, env)
            )
        elif callee is None:
            return self._unknown_call(node, ctx, graphs, upstream)
        return self.book.tensor(graphs, upstream)

    def _keep(self, node: ast.Call) -> None:
        """`self.blocks.append(Dense(4))`: built once and kept, like `self.x = Dense(4)`."""
        for arg in node.args:
            parts: List[Any] = [arg] if isinstance(arg, ast.Call) else getattr(arg, "elts", [])
            for made in parts:
                if isinstance(made, ast.Call):
                    self.kept.add(id(made))

    def _partial(self, node: ast.Call, env: Env, state: State, ctx: Ctx) -> Any:
        """functools.partial(layer, training=True) calls the layer it is given."""
        wrapped = self._expr(node.args[0], env, state, ctx)
        for arg in node.args[1:] + [kw.value for kw in node.keywords]:
            self._expr(arg, env, state, ctx)
        if isinstance(wrapped, (Slot, Built, Func)):
            return wrapped
        return None

    def _sequential_list(
        self, node: ast.Call, listed: Any, env: Env, state: State, ctx: Ctx
    ) -> None:
        """`Sequential([...])`: each listed layer runs when the model runs, so listing one twice
        calls it twice; listing it in two models makes two owners."""
        model = frozenset({self.book.sequential(node)})
        for elt in listed.elts:
            self._call_layer(
                self._expr(elt, env, state, ctx), elt, state, ctx, None, model, listed=True
            )

    def _call_layer(
        self,
        value: Any,
        site: ast.expr,
        state: State,
        ctx: Ctx,
        args: Any,
        graphs: Optional[FrozenSet[Any]] = None,
        listed: bool = False,
    ) -> Optional[Call]:
        """Count a call of a layer. A local layer counts only in a graph (`graphs`: the graphs
        of its symbolic inputs, or of the Sequential model it is listed in)."""
        if isinstance(value, Slot):
            return self.counter.count(
                CallSite(value.name, site, args, shown=value.shown, graphs=graphs), state, ctx
            )
        elif isinstance(value, Built) and graphs:
            # Named as written where it is used: `twice(x)` for a block a builder returned.
            written = site.func if isinstance(site, ast.Call) else site
            shown = written.id if isinstance(written, ast.Name) else value.name
            return self.counter.count(
                CallSite(value.key, site, args, shown=shown, graphs=graphs, listed=listed),
                state,
                ctx,
            )
        return None

    def _made(self, construction: ast.Call, site: ast.expr) -> None:
        """A layer-like object made at `site`'s call: kept, handed up, or made on every pass."""
        if id(site) in self.kept:
            return  # `self.x = Dense()` or `self.x = self._make()`: built once, then kept
        if id(site) in self.returned and len(self.frames) > 1:
            self.frames[-1].made.append(construction)  # the helper's caller decides
        else:
            self.constructions[_position(construction)] = construction

    def _new_built(self, node: ast.Call, name: str, ctx: Ctx) -> Built:
        built = Built(node, name, next(self.instances))
        self.counter.born(built.key, ctx.loops)
        self.objects[built.key] = built
        self.frames[-1].allocated.append(built)
        return built


def on_self(node: ast.AST, env: Env) -> bool:
    """`self.x`, `self.x[k]` or `self.x.y`: a place on the instance (not a local name)."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return env.get(node.value.id) == SELF
        node = node.value
    return False


def _position(node: ast.expr) -> Tuple[int, int]:
    return (node.lineno, node.col_offset)


def _is_getattr_of_constant(node: ast.Call) -> bool:
    return (
        isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) == 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    )


def _constant_index(node: ast.AST) -> Any:
    """The int or str of a constant subscript (`[0]`, `[-1]`, `["age"]`), else None."""
    if isinstance(node, ast.Index):  # Python 3.8's wrapper
        node = node.value  # type: ignore[attr-defined]
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) is int
    ):
        return -node.operand.value
    if isinstance(node, ast.Constant) and type(node.value) in (int, str):
        return node.value
    return None
