"""Expressions for the forward walk: what each evaluates to (values.py); calls, with the Keras
idioms they hold, are calls.py's.

Each expression costs one step of the budget; a node type without a handler evaluates its
children and is a tensor of their graphs."""

from __future__ import annotations

import ast
import itertools
from typing import AbstractSet, Any, Callable, Dict, FrozenSet, List, Optional, Set, Tuple

from .budget import Budget
from .counting import Call, CallCounter
from .graphs import GraphBook, _Method
from .helpers import Frame, Summaries
from .paths import Conditions, Ctx, Facts, State
from .values import NONE, OBJECTS, SELF, Built, Env, Func, Instance, Parts, Slot, Symbolic

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
        self.module_names_bound = False  # a module body was walked in module_env (GraphWalk)
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
            ast.Subscript: self._subscript,
            ast.Lambda: self._lambda,
            ast.IfExp: self._if_exp,
            ast.BoolOp: self._bool_op,
            ast.NamedExpr: self._named,
            ast.Tuple: self._sequence,
            ast.List: self._sequence,
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
        if isinstance(base, Instance):
            return self._instance_attribute(base, node.attr, env)
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

    def _sequence(self, node: Any, env: Env, state: State, ctx: Ctx) -> Any:
        """`(a, b)` / `[a, b]`: the objects and tensors it holds (Parts), when it holds some
        object and no starred part; else, as any expression, a tensor of the tensors in it."""
        if any(isinstance(e, ast.Starred) for e in node.elts):
            return self.book.tensor(*self._children(node, env, state, ctx))
        values = [self._expr(e, env, state, ctx) for e in node.elts]
        if any(isinstance(v, OBJECTS) for v in values):
            return Parts(tuple(v if isinstance(v, (*OBJECTS, Symbolic)) else None for v in values))
        tensors = [v for v in values if isinstance(v, Symbolic)]
        return self.book.tensor(
            {g for t in tensors for g in t.graphs}, {c for t in tensors for c in t.calls}
        )

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

    def _instance_attribute(self, instance: Instance, name: str, env: Env) -> Any:
        return None  # walks.GraphWalk: the attributes of a method's instance


def on_self(node: ast.AST, env: Env) -> bool:
    """`self.x`, `self.x[k]` or `self.x.y`: a place on the instance (not a local name)."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return env.get(node.value.id) == SELF
        node = node.value
    return False


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
