"""Argument keys: whether two calls receive the very same tensors, and a helper's parameters in
its caller's terms."""

from __future__ import annotations

import ast
from typing import Any, Dict, List, Optional, Tuple, cast

from .values import Env, Func

# (the texts of the arguments, their names with the binding each had)
ArgsKey = Tuple[Tuple[str, ...], Tuple[Tuple[str, Any], ...]]
ArgKey = Tuple[str, Tuple[Tuple[str, Any], ...]]

_SIMPLE_ARGS = (
    ast.Name,
    ast.Attribute,
    ast.Subscript,
    ast.Constant,
    ast.Slice,
    ast.Tuple,
    ast.Load,
    ast.UnaryOp,
    ast.USub,
    ast.expr_context,
)


def args_key(call: ast.Call, env: Env) -> Optional[ArgsKey]:
    """The call's arguments as a comparable key, naming each variable with its current binding.

    None when an argument computes something (a call, arithmetic): two such calls are not known
    to receive the same tensor.
    """
    # Constant keywords (`training=True`, `return_attention_scores=True`) change what the call
    # returns, not which tensors it gets: the same tensors twice are still a recomputation.
    keywords = [kw for kw in call.keywords if not isinstance(kw.value, ast.Constant)]
    parts = [arg_key(e, env) for e in call.args] + [arg_key(kw.value, env) for kw in keywords]
    if None in parts:
        return None
    known = cast(List[ArgKey], parts)
    text = [t for t, _ in known[: len(call.args)]] + [
        f"{kw.arg}={t}" for kw, (t, _) in zip(keywords, known[len(call.args) :])
    ]
    return (tuple(text), tuple(n for _, names in known for n in names))


def arg_key(expr: ast.AST, env: Env) -> Optional[ArgKey]:
    """One argument's part of args_key: (its text, its names with their bindings), or None."""
    names = []
    for node in ast.walk(expr):
        if not isinstance(node, _SIMPLE_ARGS):
            return None
        if isinstance(node, ast.Name):
            names.append((node.id, env.get(("version", node.id))))
    return ast.dump(expr), tuple(names)


def param_keys(func: Func, call: ast.Call, env: Env) -> Dict[str, ArgKey]:
    """For a call of a helper: {parameter: arg_key of the argument the caller passes}, for the
    arguments that are simple enough to compare (helpers.py translates the helper's own
    argument keys with it)."""
    args = func.node.args
    params = [a.arg for a in args.posonlyargs + args.args]
    if func.self_bound:
        params = params[1:]
    pairs: List[Tuple[str, ast.expr]] = (
        [] if any(isinstance(a, ast.Starred) for a in call.args) else list(zip(params, call.args))
    )
    pairs += [(kw.arg, kw.value) for kw in call.keywords if kw.arg is not None]
    keys = {}
    for name, expr in pairs:
        key = arg_key(expr, env)
        if key is not None:
            keys[name] = key
    return keys
