"""Which sublayers one call of a composite layer reaches, by the constants it is called with.

A layer class of the linted module may dispatch on an argument: keras-hub's `DismantledBlock`
runs its pre-attention sublayers when called with `pre_attention=True` and its post-attention
ones with `False`. Two such calls of one instance use no weight twice, so they are no reuse.
The footprint of a call is the set of the class's own layer attributes its `call()` may use,
with the parameters bound to the call's constant arguments (or their constant defaults) and
each test they decide taken one way. Anything it cannot follow (the instance or a method handed
on, `super()`, a nested def, recursion) makes the footprint unknown (None), and an unknown
footprint never removes a finding.
"""

from __future__ import annotations

import ast
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Optional, Sequence, Set, cast

from ..knowledge.keras_api import ENTRY_METHODS, FILLED_BY_KERAS
from .owners import attribute_aliases
from .syntax import (
    FUNCTIONS,
    Assignment,
    Function,
    blocks,
    bound_names,
    class_like,
    instance_assignments,
    is_self_attr,
)

MAX_DEPTH = 8  # helper methods followed from call()
_UNKNOWN: Any = object()  # a value that is not a known constant; as a truth: undecided

Bound = Dict[str, Any]  # parameter -> its constant, or _UNKNOWN
Footprint = Optional[FrozenSet[str]]


class Composite:
    """A class of the linted module whose instances a model keeps and calls."""

    def __init__(self, classes: Sequence[ast.ClassDef], methods: Mapping[str, Function]) -> None:
        self.methods = methods  # name -> FunctionDef, the class's and its same-module bases'
        assigns = [row for cls in classes for row in instance_assignments(cls)]
        self.aliases = attribute_aliases(assigns)
        # Attributes that may hold a layer: assigned anything but plain data somewhere.
        self.layers = {
            target.attr
            for _, instance, stmt in assigns
            for target in stmt.targets
            if is_self_attr(target, instance) and not _plain_data(stmt.value)
        }

    def footprint(self, site: ast.Call) -> Footprint:
        """The layer attributes one call (`site`, an ast.Call of an instance) may use, or
        None when that cannot be followed."""
        call = self.methods.get(ENTRY_METHODS[0])
        if call is None:
            return None
        bound = _bind_constants(call, site.args, site.keywords, {})
        if bound is None:
            return None
        for name in FILLED_BY_KERAS:
            if not any(k.arg == name for k in site.keywords):
                bound[name] = _UNKNOWN
        walk = _FootprintWalk(self)
        try:
            walk.function(call, bound, 0)
        except _Unknown:
            return None
        return frozenset(self.aliases.get(a, a) for a in walk.used)


def composites(
    assigns: Sequence[Assignment],
    module_classes: Mapping[str, ast.ClassDef],
    class_methods: Callable[[ast.ClassDef, Mapping[str, ast.ClassDef]], Mapping[str, Function]],
) -> Dict[str, Composite]:
    """{attribute: Composite} for the attributes (of a model, from its instance_assignments)
    every assignment of which constructs one class of the module that has a `call()`."""
    made: Dict[str, Set[Optional[str]]] = {}
    for _, instance, stmt in assigns:
        for target in stmt.targets:
            if is_self_attr(target, instance):
                value = stmt.value
                name = (
                    value.func.id
                    if isinstance(value, ast.Call)
                    and isinstance(value.func, ast.Name)
                    and class_like(value.func)
                    else None
                )
                made.setdefault(target.attr, set()).add(name if name in module_classes else None)
    found: Dict[str, Composite] = {}
    for attr, names in made.items():
        if len(names) == 1 and None not in names:
            classdef = module_classes[cast(str, next(iter(names)))]
            methods = class_methods(classdef, module_classes)
            if ENTRY_METHODS[0] in methods:
                found[attr] = Composite(_same_module_bases(classdef, module_classes), methods)
    return found


def disjoint(first: Footprint, second: Footprint) -> bool:
    """Whether two footprints are known and share no layer."""
    return first is not None and second is not None and not first & second


def _same_module_bases(
    classdef: ast.ClassDef, module_classes: Mapping[str, ast.ClassDef]
) -> List[ast.ClassDef]:
    order: List[ast.ClassDef] = []
    todo = [classdef]
    while todo:
        cls = todo.pop(0)
        if cls not in order:
            order.append(cls)
            todo.extend(
                module_classes[b.id]
                for b in cls.bases
                if isinstance(b, ast.Name) and b.id in module_classes
            )
    return order


def _plain_data(value: ast.expr) -> bool:
    return isinstance(
        value, (ast.Constant, ast.BinOp, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.JoinedStr)
    )


class _Unknown(Exception):
    """The call path does something a footprint cannot follow."""


class _FootprintWalk:
    """One call's path through a composite's methods: the layer attributes it uses."""

    def __init__(self, composite: Composite) -> None:
        self.methods = composite.methods
        self.layers = composite.layers
        self.used: Set[str] = set()
        self.active: Set[int] = set()  # id() of the methods being walked

    def function(self, func: Function, bound: Bound, depth: int) -> None:
        if depth > MAX_DEPTH or id(func) in self.active:
            raise _Unknown  # recursion, or a chain too long to follow
        params = func.args.posonlyargs + func.args.args
        if not params:
            raise _Unknown
        # A parameter the body rebinds keeps no constant.
        stored = bound_names(func)
        bound = {name: value for name, value in bound.items() if name not in stored}
        self.active.add(id(func))
        self._block(func.body, bound, params[0].arg, depth)
        self.active.discard(id(func))

    def _block(self, body: List[ast.stmt], bound: Bound, instance: str, depth: int) -> bool:
        """Walk statements; True when every way through them leaves (return, raise), so the
        statements after them do not run on this call."""
        for stmt in body:
            if isinstance(stmt, (ast.If, ast.While)):
                # A test reads configuration; only the calls in it run anything.
                self._uses(
                    [n for n in ast.walk(stmt.test) if isinstance(n, ast.Call)],
                    bound,
                    instance,
                    depth,
                )
                truth = _truth(stmt.test, bound)
                if isinstance(stmt, ast.While) and truth is True:
                    truth = _UNKNOWN
                leaves: List[bool] = []
                if truth is not False:
                    leaves.append(self._block(stmt.body, bound, instance, depth))
                if truth is not True:
                    leaves.append(self._block(stmt.orelse, bound, instance, depth))
                if isinstance(stmt, ast.If) and all(leaves):
                    return True
                continue
            if isinstance(stmt, (ast.ClassDef,) + FUNCTIONS):
                raise _Unknown  # a nested def may run later, with the instance
            self._uses(
                [
                    c
                    for c in ast.iter_child_nodes(stmt)
                    if not isinstance(c, (ast.stmt, ast.excepthandler))
                ],
                bound,
                instance,
                depth,
            )
            for nested in blocks(stmt):
                self._block(nested, bound, instance, depth)
            if isinstance(stmt, (ast.Return, ast.Raise)):
                return True
        return False

    def _uses(self, roots: Sequence[ast.AST], bound: Bound, instance: str, depth: int) -> None:
        """The layer attributes the expressions use, following calls of the class's methods."""
        todo = list(roots)
        while todo:
            node = todo.pop()
            if (
                isinstance(node, ast.Call)
                and is_self_attr(node.func, instance)
                and node.func.attr in self.methods
            ):
                method = self.methods[node.func.attr]
                args = _bind_constants(method, node.args, node.keywords, bound)
                if args is None:
                    raise _Unknown
                self.function(method, args, depth + 1)
                todo.extend(node.args)
                todo.extend(k.value for k in node.keywords)
                continue
            if is_self_attr(node, instance):
                if node.attr in self.methods:
                    raise _Unknown  # a method handed on (or a property): it may run anywhere
                if node.attr in self.layers:
                    self.used.add(node.attr)
                continue
            if isinstance(node, ast.Name) and node.id in (instance, "super"):
                raise _Unknown  # the instance handed on (`helper(self)`), or a base's call
            if isinstance(node, (ast.Lambda,) + FUNCTIONS):
                raise _Unknown
            todo.extend(ast.iter_child_nodes(node))


def _bind_constants(
    func: Function, args: Sequence[ast.expr], keywords: Sequence[ast.keyword], outer: Bound
) -> Optional[Bound]:
    """{parameter: constant or _UNKNOWN} for a call of a method (its instance parameter left
    out), or None when the call passes what cannot be matched to parameters."""
    positional = func.args.posonlyargs + func.args.args
    defaults = func.args.defaults
    bound = {
        p.arg: _constant(d, {})
        for p, d in zip(positional[len(positional) - len(defaults) :], defaults)
    }
    for param, default in zip(func.args.kwonlyargs, func.args.kw_defaults):
        bound[param.arg] = _UNKNOWN if default is None else _constant(default, {})
    params = positional[1:]
    if any(isinstance(a, ast.Starred) for a in args) or (
        len(args) > len(params) and func.args.vararg is None
    ):
        return None
    for param, arg in zip(params, args):
        bound[param.arg] = _constant(arg, outer)
    for keyword in keywords:
        if keyword.arg is None:
            return None  # **kwargs: any parameter may be set
        bound[keyword.arg] = _constant(keyword.value, outer)
    return bound


def _constant(node: Optional[ast.expr], bound: Bound) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return bound.get(node.id, _UNKNOWN)
    return _UNKNOWN


_COMPARE: Dict[type, Callable[[Any, Any], bool]] = {
    ast.Is: lambda a, b: a is b,
    ast.IsNot: lambda a, b: a is not b,
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
}


def _truth(test: ast.expr, bound: Bound) -> Any:
    """True or False when the bound constants decide the test; else _UNKNOWN."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        truth = _truth(test.operand, bound)
        return truth if truth is _UNKNOWN else not truth
    if isinstance(test, ast.BoolOp):
        truths = [_truth(v, bound) for v in test.values]
        decisive = isinstance(test.op, ast.Or)  # `or`: one True decides; `and`: one False
        if decisive in truths:
            return decisive
        return _UNKNOWN if _UNKNOWN in truths else not decisive
    if isinstance(test, ast.Compare):
        compare = _COMPARE.get(type(test.ops[0])) if len(test.ops) == 1 else None
        left, right = _constant(test.left, bound), _constant(test.comparators[0], bound)
        if compare is None or left is _UNKNOWN or right is _UNKNOWN:
            return _UNKNOWN
        return compare(left, right)
    value = _constant(test, bound)
    return _UNKNOWN if value is _UNKNOWN else bool(value)
