"""The forward-path walk: which `self.<attr>` layers run more than once in one pass of `call()`.

Works on the stdlib `ast` tree flake8 already parsed, so it costs next to nothing on files with no
reuse; only what it finds is handed to resolution (astroid) to learn the layer's class.

The walk is a small abstract interpreter. Its state records, for each attribute called on some
path to the current point, where it was called and under which conditions (`if self.pre_norm:`).
Branches that exclude each other (if/else, try/except, early return, conditional expressions,
match) start from the same state and are joined afterwards. A call is a reuse when an earlier
call may have run on the same path: it is not under a condition the earlier one contradicts.
Helpers (methods, properties, nested functions, lambdas) are summarised once per binding of
their layer arguments, and applying a summary at a call site counts the layers it calls there.

The rooms: this module walks statements, expressions.py expressions and the Keras idioms at a
call, walks.py what differs between a class's call() and a graph body (and the entry points);
counting.py decides whether a call is a second call, paths.py holds the path state and the
conditions, values.py the values (which object a call runs), arguments.py the argument keys,
helpers.py the helper summaries, graphs.py the functional and Sequential graphs and budget.py
the work budget.
"""

from __future__ import annotations

import ast
from typing import Any, Callable, Dict, List, Optional, Tuple

from .calls import Calls
from .expressions import on_self
from .helpers import Summaries
from .paths import Ctx, State
from .values import Env, Func, Parts, Symbolic

# What a statement leaves: the state falling through (None when it does not), and the states
# of the paths that returned inside it.
Flow = Tuple[Optional[State], List[State]]
Handler = Callable[[Any, Env, State, Ctx, List[Any]], Flow]


class Interpreter(Calls):
    """Statements, by a table of one handler per node type; expressions.py evaluates what they
    hold."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # Expressions' own arguments
        super().__init__(*args, **kwargs)
        self.summaries = Summaries(self)
        # Comprehensions are loops: they bind their targets as loops do.
        for kind in (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp):
            self._exprs[kind] = self._comprehension
        self.falls_under: Any = None  # facts the statement just run leaves on its fall-through
        self._stmts: Dict[type, Handler] = {
            ast.Return: self._return,
            ast.Raise: self._raise,
            ast.Assign: self._assign,
            ast.AnnAssign: self._assign,
            ast.AugAssign: self._assign,
            ast.FunctionDef: self._def,
            ast.AsyncFunctionDef: self._def,
            ast.ClassDef: self._class,
        }

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
        if isinstance(target, ast.Name):
            self._set(env, target.id, value if exact else None)
        elif isinstance(target, (ast.Tuple, ast.List)):
            # `a, b = x, y` binds pairwise; the parts of a symbolic result are symbolic; so do
            # the objects a builder returns (`enc0, enc1 = build_encoders()`).
            if (
                isinstance(value, Parts)
                and exact
                and not parts
                and len(value.items) == len(target.elts)
                and not any(isinstance(e, ast.Starred) for e in target.elts)
            ):
                parts = list(value.items)
            for i, elt in enumerate(target.elts):
                part = (
                    parts[i]
                    if parts and len(parts) == len(target.elts)
                    else (value if isinstance(value, Symbolic) else None)
                )
                self._bind_target(elt, part, env, state, ctx, exact=part is not None)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, None, env, state, ctx, exact=False)
        elif not (
            isinstance(target, ast.Attribute) and self._bind_attribute(target, value, env, exact)
        ):
            self._children(target, env, state, ctx)

    def _bind_attribute(self, target: ast.Attribute, value: Any, env: Env, exact: bool) -> bool:
        """Bind `obj.attr = value` when the walk tracks obj's attributes (walks.GraphWalk)."""
        return False

    def _comprehension(self, node: Any, env: Env, state: State, ctx: Ctx) -> Any:
        inner = env.child()
        looped = ctx.inside_loop(node)
        for i, gen in enumerate(node.generators):
            # The first iterable is evaluated once, outside the loop; everything else repeats.
            items = self._expr(gen.iter, inner, state, looped if i else ctx)
            tensors = isinstance(items, Symbolic) and isinstance(gen.target, ast.Name)
            self._bind_target(
                gen.target, items if tensors else None, inner, state, looped, exact=tensors
            )
            for cond in gen.ifs:
                self._expr(cond, inner, state, looped)
        elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        values = [self._expr(elt, inner, state, looped) for elt in elements]
        # `[head(level) for level in levels]` is a list of tensors: it stands for all of them.
        return values[-1] if isinstance(values[-1], Symbolic) else None

    def _block(
        self, body: List[ast.stmt], env: Env, state: Optional[State], ctx: Ctx, returns: List[Any]
    ) -> Flow:
        """Run statements; return (state falling through or None, [states that returned])."""
        exits: List[State] = []
        for stmt in body:
            if state is None:
                break
            self.falls_under = None
            state, more = self._stmt(stmt, env, state, ctx, returns)
            exits.extend(more)
            if self.falls_under:
                # `if self.pre_norm: return ...`: what follows runs only when it is false.
                ctx = ctx.assuming(self.falls_under)
        return state, exits

    def _stmt(self, stmt: ast.stmt, env: Env, state: State, ctx: Ctx, returns: List[Any]) -> Flow:
        self.budget.spend()
        handler = self._stmts.get(type(stmt))
        if handler is not None:
            return handler(stmt, env, state, ctx, returns)
        self._children(stmt, env, state, ctx)
        return state, []

    def _return(
        self, stmt: ast.Return, env: Env, state: State, ctx: Ctx, returns: List[Any]
    ) -> Flow:
        if isinstance(stmt.value, ast.Call):
            self.returned.add(id(stmt.value))
        value = self._expr(stmt.value, env, state, ctx) if stmt.value else None
        returns.append(value)
        self._step(len(state.own))
        return None, [state.snapshot()]

    def _raise(self, stmt: ast.Raise, env: Env, state: State, ctx: Ctx, returns: List[Any]) -> Flow:
        self._children(stmt, env, state, ctx)
        return None, []

    def _assign(self, stmt: Any, env: Env, state: State, ctx: Ctx, returns: List[Any]) -> Flow:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if isinstance(stmt.value, ast.Call) and all(on_self(t, env) for t in targets):
            # lazily built once: `self.dense = Dense(4)`, `self.heads[name] = Dense(4)`
            self.kept.add(id(stmt.value))
        parts = None
        if isinstance(stmt.value, (ast.Tuple, ast.List)) and not any(
            isinstance(e, ast.Starred) for e in stmt.value.elts
        ):
            parts = [self._expr(e, env, state, ctx) for e in stmt.value.elts]
            # Bound whole (`outputs = [a, b]`), a list of tensors stands for all of them.
            tensors = [p for p in parts if isinstance(p, Symbolic)]
            value = self.book.tensor(
                {g for t in tensors for g in t.graphs}, {c for t in tensors for c in t.calls}
            )
        else:
            value = self._expr(stmt.value, env, state, ctx) if stmt.value else None
        value = self._assigned(stmt, targets, value, ctx)
        for target in targets:
            self._bind_target(
                target,
                value,
                env,
                state,
                ctx,
                exact=not isinstance(stmt, ast.AugAssign),
                parts=parts,
            )
        return state, []

    def _assigned(self, stmt: Any, targets: List[ast.expr], value: Any, ctx: Ctx) -> Any:
        """The value an assignment binds (walks.GraphWalk: a construction is an object)."""
        return value

    def _def(self, stmt: Any, env: Env, state: State, ctx: Ctx, returns: List[Any]) -> Flow:
        self._set(env, stmt.name, Func(stmt, env))
        return state, []

    def _class(
        self, stmt: ast.ClassDef, env: Env, state: State, ctx: Ctx, returns: List[Any]
    ) -> Flow:
        self._set(env, stmt.name, None)
        return state, []
