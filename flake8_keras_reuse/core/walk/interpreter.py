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
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from ...knowledge.keras_api import EXPECTS_ERROR
from ..syntax import MATCH, TRY, bound_names, terminal_name
from .budget import Budget
from .expressions import Expressions, on_self
from .helpers import Summaries
from .paths import Conditions, Ctx, State
from .values import NONE, Env, Func, Symbolic

# What a statement leaves: the state falling through (None when it does not), and the states
# of the paths that returned inside it.
Flow = Tuple[Optional[State], List[State]]
Handler = Callable[[Any, Env, State, Ctx, List[Any]], Flow]


class Interpreter(Expressions):
    """Statements, by a table of one handler per node type; expressions.py evaluates what they
    hold."""

    def __init__(
        self,
        budget: Optional[Budget],
        conditions: Optional[Conditions],
        module_functions: Any = (),
        composites: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(budget, conditions, module_functions, composites)
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
            ast.If: self._if,
            ast.For: self._loop,
            ast.AsyncFor: self._loop,
            ast.While: self._loop,
            ast.With: self._with,
            ast.AsyncWith: self._with,
            ast.FunctionDef: self._def,
            ast.AsyncFunctionDef: self._def,
            ast.ClassDef: self._class,
        }
        for kind in TRY:
            self._stmts[kind] = self._try
        if MATCH:
            self._stmts[MATCH] = self._match

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
            # `a, b = x, y` binds pairwise; the parts of a symbolic result are symbolic.
            for i, elt in enumerate(target.elts):
                part = (
                    parts[i]
                    if parts and len(parts) == len(target.elts)
                    else (value if isinstance(value, Symbolic) else None)
                )
                self._bind_target(elt, part, env, state, ctx, exact=part is not None)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, None, env, state, ctx, exact=False)
        else:
            self._children(target, env, state, ctx)

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

    def _if(self, stmt: ast.If, env: Env, state: State, ctx: Ctx, returns: List[Any]) -> Flow:
        self._expr(stmt.test, env, state, ctx)
        known = _known_truth(stmt.test, env)
        if known is not None:  # `if key_value is not None:` right after `key_value = None`
            return self._block(stmt.body if known else stmt.orelse, env, state, ctx, returns)
        when_true, when_false = self._facts(stmt.test, ctx)
        out, exits, fell = self._alternatives(
            [
                (stmt.body, ctx.assuming(when_true).once_in(stmt.test)),
                (stmt.orelse, ctx.assuming(when_false)),
            ],
            env,
            state,
            returns,
        )
        if fell == [0]:
            self.falls_under = when_true
        elif fell == [1]:
            self.falls_under = when_false
        return out, exits

    def _with(self, stmt: Any, env: Env, state: State, ctx: Ctx, returns: List[Any]) -> Flow:
        if any(_expects_error(item.context_expr) for item in stmt.items):
            # `with self.assertRaises(...)`: code meant to fail builds nothing that lasts
            # (a test that Keras refuses a graph). Not walked; what it binds is unknown.
            for name in bound_names(stmt):
                self._set(env, name, None)
            return state, []
        for item in stmt.items:
            self._expr(item.context_expr, env, state, ctx)
            if item.optional_vars is not None:
                self._bind_target(item.optional_vars, None, env, state, ctx, exact=False)
        return self._block(stmt.body, env, state, ctx, returns)

    def _match(self, stmt: Any, env: Env, state: State, ctx: Ctx, returns: List[Any]) -> Flow:
        self._expr(stmt.subject, env, state, ctx)
        bodies = [(case.body, ctx) for case in stmt.cases] + [([], ctx)]
        out, exits, _ = self._alternatives(bodies, env, state, returns)
        return out, exits

    def _def(self, stmt: Any, env: Env, state: State, ctx: Ctx, returns: List[Any]) -> Flow:
        self._set(env, stmt.name, Func(stmt, env))
        return state, []

    def _class(
        self, stmt: ast.ClassDef, env: Env, state: State, ctx: Ctx, returns: List[Any]
    ) -> Flow:
        self._set(env, stmt.name, None)
        return state, []

    def _alternatives(
        self, branches: List[Tuple[List[ast.stmt], Ctx]], env: Env, state: State, returns: List[Any]
    ) -> Tuple[Optional[State], List[State], List[int]]:
        """Branches that exclude each other, each from the same state: the joined state, the
        exits, and which branches fell through."""
        falls, exits, envs, fell = [], [], [], []
        for i, (body, ctx) in enumerate(branches):
            branch_env = env.child()  # holds only what the branch binds
            out, more = self._block(body, branch_env, state.fork(), ctx, returns)
            exits.extend(more)
            if out is not None:
                falls.append(out)
                envs.append(branch_env)
                fell.append(i)
        self._join_env(env, envs)
        return (state.merge(falls) if falls else None), exits, fell

    def _loop(self, stmt: Any, env: Env, state: State, ctx: Ctx, returns: List[Any]) -> Flow:
        inner = ctx.inside_loop(stmt)
        self.counter.enter_loop(stmt)
        if isinstance(stmt, ast.While):
            self._expr(stmt.test, env, state, inner)
        else:
            items = self._expr(stmt.iter, env, state, ctx)
            if (self._one_instance(items) or isinstance(items, Symbolic)) and isinstance(
                stmt.target, ast.Name
            ):
                # Every slot of `[Norm()] * n` is the same layer: each pass calls it again;
                # every item of a list of symbolic tensors is a tensor of their graphs.
                self._bind_target(stmt.target, items, env, state, ctx, exact=True)
            else:
                # The loop variable changes with each pass: whatever it holds is not one layer.
                self._bind_target(stmt.target, None, env, state, ctx, exact=False)
        body_env = env.child()
        body_state, exits = self._block(stmt.body, body_env, state.fork(), inner, returns)
        # The body may run zero times, so what follows sees both the state before and after it.
        self._join_env(env, [body_env], env)
        after = state.merge([body_state]) if body_state is not None else state
        out, more = self._block(stmt.orelse, env, after, ctx, returns)
        return out, exits + more

    def _try(self, stmt: Any, env: Env, state: State, ctx: Ctx, returns: List[Any]) -> Flow:
        body_out, exits = self._block(stmt.body, env, state.fork(), ctx, returns)
        if body_out is not None and stmt.orelse:
            body_out, more = self._block(stmt.orelse, env, body_out, ctx, returns)
            exits += more
        # A handler replaces the part of the body that raised: count it as an alternative.
        falls = [body_out] if body_out is not None else []
        for handler in stmt.handlers:
            out, more = self._block(handler.body, env.child(), state.fork(), ctx, returns)
            exits += more
            if out is not None:
                falls.append(out)
        joined = state.merge(falls) if falls else None
        if stmt.finalbody:
            joined, more = self._block(
                stmt.finalbody, env, joined if joined is not None else state.fork(), ctx, returns
            )
            exits += more
        return joined, exits

    def _join_env(self, env: Env, branch_envs: List[Env], also: Optional[Env] = None) -> None:
        """After alternatives, a name keeps its value only when every branch agrees on it.

        The branches are children of `env` holding only what they bound, so the join costs
        what the branches bound, not every name in scope. `also` is a path that bound nothing
        (a loop body that may run zero times: `env` itself).
        """
        paths = branch_envs + ([also] if also is not None else [])
        if not branch_envs:
            return
        names: Set[Any] = set()
        for branch in branch_envs:
            names.update(dict.keys(branch))
        self._step(len(names))
        for name in names:
            values = [p.get(name) for p in paths]
            if all(v == values[0] for v in values):
                env[name] = values[0]
            elif all(isinstance(v, Symbolic) for v in values):
                # A tensor from either branch: it descends from what either descends from.
                env[name] = Symbolic(
                    frozenset().union(*(v.graphs for v in values)),
                    frozenset().union(*(v.calls for v in values)),
                )
            elif isinstance(name, tuple):
                env[name] = next(self.versions)
            else:
                env[name] = None


def _expects_error(expr: ast.expr) -> bool:
    """`self.assertRaises(E)`, `pytest.raises(E)` and the like: a block expected to raise."""
    return isinstance(expr, ast.Call) and terminal_name(expr.func) in EXPECTS_ERROR


def _known_truth(test: ast.expr, env: Env) -> Optional[bool]:
    """The value of a test on a local known to hold None (`x is None`, `x is not None`, `x`,
    `not x`), else None when it is not known."""
    negate = False
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, negate = test.operand, True
    if isinstance(test, ast.Name):
        truth = False if env.get(test.id) == NONE else None
    elif (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.left, ast.Name)
        and env.get(test.left.id) == NONE
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
        and isinstance(test.ops[0], (ast.Is, ast.IsNot))
    ):
        truth = isinstance(test.ops[0], ast.Is)
    else:
        return None
    return None if truth is None else truth != negate
