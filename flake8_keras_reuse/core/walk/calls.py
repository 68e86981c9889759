"""Calls in the forward walk, and the Keras idioms at a call: getattr on self, keeping methods,
`partial`, `Sequential([...])` and `.add`, a layer call, a helper call, a construction."""

from __future__ import annotations

import ast
from typing import Any, Dict, FrozenSet, List, Optional, Set, Tuple

from ...knowledge.keras_api import KEEPING_METHODS, SEQUENTIAL
from ..syntax import terminal_name
from .arguments import args_key, param_keys
from .counting import Call, CallSite
from .expressions import Expressions, on_self
from .graphs import _is_sequential, _Method
from .paths import Ctx, State
from .values import SELF, Attr, Built, Env, Func, Slot


class Calls(Expressions):
    """What a call evaluates to, and what it runs (a layer, a helper, a construction)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # Expressions' own arguments
        super().__init__(*args, **kwargs)
        self._exprs[ast.Call] = self._call
        self._track_nodes: Optional[Set[int]] = None  # id() of tracked constructions

    def _call_graphs(
        self, node: ast.Call, callee: Any, args: List[Any], kwargs: Dict[str, Any]
    ) -> Tuple[Optional[FrozenSet[Any]], FrozenSet[Call]]:
        """The graphs of a call's result, and the upstream calls it descends from; `callee`
        is what the called expression evaluates to (None when unknown)."""
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
        graphs, upstream = self._call_graphs(node, callee, args, kwargs)
        if isinstance(callee, (Slot, Built, Attr)):
            call = self._call_layer(callee, node, state, ctx, args_key(node, env), graphs)
            if call is not None and self._tracked(call[1]):
                upstream |= {call}
        elif isinstance(callee, Func):
            return self.summaries.apply(
                callee, args, kwargs, state, node, ctx, param_keys(callee, node, env)
            )
        elif callee is None:
            return self._unknown_call(node, ctx, graphs, upstream)
        return self.book.tensor(graphs, upstream)

    def _tracked(self, key: Any) -> bool:
        """Whether tensors remember the calls of this object: a candidate of the first walk,
        or, inside a helper, the helper's own making of one (its summary is in the helper's
        terms; each call site makes it anew, as the candidate the first walk found)."""
        if key in self.track:
            return True
        if len(self.frames) == 1 or not (isinstance(key, tuple) and key[0] == "built"):
            return False
        if self._track_nodes is None:
            self._track_nodes = {
                id(k[1]) for k in self.track if isinstance(k, tuple) and k[0] == "built"
            }
        return id(key[1]) in self._track_nodes

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
        if isinstance(wrapped, (Slot, Built, Attr, Func)):
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
        elif isinstance(value, (Built, Attr)) and graphs:
            # Named as written where it is used: `twice(x)` for a block a builder returned.
            written = site.func if isinstance(site, ast.Call) else site
            if isinstance(written, ast.Name):
                shown = written.id
            elif isinstance(written, ast.Attribute) and isinstance(written.value, ast.Name):
                shown = f"{written.value.id}.{written.attr}"  # `self.critic`
            else:
                shown = value.shown if isinstance(value, Attr) else value.name
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
