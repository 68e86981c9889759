"""Statements that choose or repeat: if, loops, with, try and match; the branches start from
the same state and are joined after (paths.py), so calls under conditions that exclude each
other are never a second call."""

from __future__ import annotations

import ast
from typing import Any, List, Optional, Set, Tuple

from ...knowledge.keras_api import EXPECTS_ERROR
from ..syntax import MATCH, TRY, bound_names, terminal_name
from .interpreter import Flow, Interpreter
from .paths import Ctx, State
from .values import NONE, Env, Symbolic


class Branches(Interpreter):
    """The compound statements, added to the interpreter's table of statement handlers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # Expressions' own arguments
        super().__init__(*args, **kwargs)
        self._stmts.update(
            {
                ast.If: self._if,
                ast.For: self._loop,
                ast.AsyncFor: self._loop,
                ast.While: self._loop,
                ast.With: self._with,
                ast.AsyncWith: self._with,
            }
        )
        for kind in TRY:
            self._stmts[kind] = self._try
        if MATCH:
            self._stmts[MATCH] = self._match

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
