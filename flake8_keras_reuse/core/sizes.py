"""Channel sizes: how wide the last axis of the tensor a layer is called on is, as written.

Read only for the calls the walk already found to run a layer again, so a file without reuse
never pays for it. Two phases, as the rest of the check:
- syntax (`SizeReader`): a walk of the bodies holding those calls records, per call site, the
  layer called and its input's size as an expression of layer constructions (`Through`),
  `Input` shapes and numbers (`Given`);
- resolution (`evaluate`): each construction's Keras class picks its rule in the measured
  channel table (knowledge/shapes.py), and the expression becomes a polynomial in the
  sizes' symbols (a constructor's parameters), or unknown.
Two sizes are `differ` only when their difference is a nonzero number or a nonzero multiple of a
size that flowed (a size is positive): `4 * growth` and `growth` differ, `a` and `b` are unknown.
Anything not followed (a branch that rebinds, a loop, an op) is unknown, and unknown claims
nothing.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Set, Tuple, Union

from .syntax import FUNCTIONS, Function, bound_names, statements, terminal_name

# A polynomial over the sizes' symbols: ((term, coefficient), ...) sorted, a term being a sorted
# tuple of symbols (() for the constant). Symbols are "name@line" of a parameter.
Poly = Tuple[Tuple[Tuple[str, ...], Fraction], ...]

_DEPTH = 4  # helpers followed inside helpers, and names read through names
_OWN_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# In a loop's body: a pass may end early or repeat inside, so its second pass is not proven.
_LEAVES_EARLY = (
    ast.Break,
    ast.Continue,
    ast.Return,
    ast.Raise,
    ast.Try,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.Yield,
    ast.YieldFrom,
    ast.Await,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.With,
    ast.AsyncWith,
    *(getattr(ast, name) for name in ("TryStar", "Match") if hasattr(ast, name)),
)


def number(value: int) -> Poly:
    return (((), Fraction(value)),)


def _symbol(name: str) -> Poly:
    return (((name,), Fraction(1)),)


def _combine(a: Poly, b: Poly, sign: int = 1) -> Poly:
    terms: Dict[Tuple[str, ...], Fraction] = dict(a)
    for term, coef in b:
        terms[term] = terms.get(term, Fraction(0)) + sign * coef
    return tuple(sorted((t, c) for t, c in terms.items() if c != 0))


def _times(a: Poly, b: Poly) -> Poly:
    out: Poly = ()
    for ta, ca in a:
        for tb, cb in b:
            out = _combine(out, ((tuple(sorted(ta + tb)), ca * cb),))
    return out


def text(poly: Poly) -> str:
    """`4 * growth + 3`, as a size is shown in a message."""
    parts = []
    for term, coef in sorted(poly, key=lambda tc: (-len(tc[0]), tc[0])):
        names = " * ".join(t.split("@")[0] for t in term)
        if not term:
            parts.append(str(coef))
        elif coef == 1:
            parts.append(names)
        else:
            parts.append(f"{coef} * {names}")
    return " + ".join(parts).replace("+ -", "- ") or "0"


# -- size expressions (the syntax phase's results) -------------------------------------------
@dataclass(frozen=True)
class Given:
    """A size written as such: an `Input` shape's last item."""

    size: Poly
    origin: ast.AST  # what it is read from, for the message


@dataclass(frozen=True, eq=False)
class Through:
    """What a layer (its construction) makes of its inputs' sizes. `numbers` are its
    constructor's arguments read as sizes (by position and keyword), where they read."""

    layer: ast.Call
    inputs: Tuple[Any, ...]  # size expressions, or None where unknown
    numbers: Tuple[Tuple[Any, Optional[Poly]], ...] = field(default=())
    target: str = ""  # what the construction is assigned to: "self.conv1"


@dataclass(frozen=True)
class Layer:
    """A layer object in the syntax walk: its construction, and its arguments read as sizes."""

    ctor: ast.Call
    numbers: Tuple[Tuple[Any, Optional[Poly]], ...]
    target: str = ""


@dataclass(frozen=True, eq=False)
class Stack:
    """A `Sequential()` built by `.add(...)` statements: the size its last entry makes. A new
    one per `.add`, so a branch or loop that adds leaves it unknown; any other use of the name
    (handed to a helper, aliased, `.pop()`) forgets it."""

    size: Any


SizeExpr = Union[Given, Through, None]


@dataclass(frozen=True)
class ModuleFacts:
    """What every reader of one file needs of the whole module, read once per file."""

    values: Dict[str, ast.expr]  # names the module body assigns exactly once
    escaping: FrozenSet[str]  # rebound by `global`/`nonlocal` or a walrus: unknown
    stored_elsewhere: FrozenSet[str]  # attributes stored on anything but a method's `self`

    @staticmethod
    def of(module: ast.Module) -> ModuleFacts:
        escaping: Set[str] = set()
        stored: Set[str] = set()
        todo: List[Tuple[ast.AST, Optional[str]]] = [(module, None)]
        while todo:  # one walk; each node with the instance name of its function
            node, me = todo.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, FUNCTIONS):
                    params = child.args.posonlyargs + child.args.args
                    todo.append((child, params[0].arg if params else None))
                    continue
                if isinstance(child, (ast.Global, ast.Nonlocal)):
                    escaping.update(child.names)
                elif isinstance(child, ast.NamedExpr) and isinstance(child.target, ast.Name):
                    escaping.add(child.target.id)
                elif isinstance(child, ast.Attribute) and isinstance(
                    child.ctx, (ast.Store, ast.Del)
                ):
                    if not (isinstance(child.value, ast.Name) and child.value.id == me):
                        stored.add(child.attr)  # `net.narrow = Dense(8)`, `d.units = 8`
                todo.append((child, me))
        return ModuleFacts(_single_assignments(module.body), frozenset(escaping), frozenset(stored))


class SizeReader:
    """The syntax phase over one class (its methods) or one graph body (module or function).

    `sites` maps id(call site) -> {id(construction of the layer called): {input sizes}}; a
    site inside a helper is also recorded under each call site of the helper on the stack, so
    a reuse reported at the helper's call finds its size.
    """

    def __init__(
        self,
        module: ast.Module,
        classdef: Optional[ast.ClassDef] = None,
        functions: Optional[Dict[str, Function]] = None,
        facts: Optional[ModuleFacts] = None,
    ) -> None:
        self.module = module
        self.classdef = classdef
        self.functions = functions or {}
        self.sites: Dict[int, Dict[int, Set[Any]]] = {}
        # A call a loop repeats: id(site) -> {id(construction): {pass (1, 2): {input sizes}}}.
        self.passes: Dict[int, Dict[int, Dict[int, Set[Any]]]] = {}
        self._pass = 0  # the loop pass being read (1, 2), 0 outside one
        self._doubt = False  # that pass met code that may not run on every pass
        self._stack: List[int] = []  # id() of the helper calls being followed
        self._active: Set[int] = set()  # id() of the helpers being followed (no recursion)
        facts = facts or ModuleFacts.of(module)
        self._module_values = facts.values
        self._escaping = facts.escaping
        self._stored_elsewhere = facts.stored_elsewhere
        self._scopes: Dict[int, Tuple[Set[str], Dict[str, ast.expr], Set[str]]] = {}
        self._methods: Dict[str, Function] = {}
        self._attrs: Dict[str, Optional[Layer]] = {}
        self._attr_values: Dict[str, List[Tuple[Function, Optional[ast.expr]]]] = {}
        if classdef is not None:
            for stmt in classdef.body:
                if isinstance(stmt, FUNCTIONS):
                    self._methods[stmt.name] = stmt
            self._read_attributes(classdef)

    # -- entry points ---------------------------------------------------------------------
    def read_methods(self) -> None:
        """Every method but the constructors, each from unknown inputs."""
        for name, method in self._methods.items():
            if name not in ("__init__", "build"):
                self.read_body(method)

    def read_body(self, body: Union[ast.Module, Function]) -> None:
        self._walk(body.body, {}, body if isinstance(body, FUNCTIONS) else None, 0)

    def layer_of(self, slot: Any) -> Optional[ast.Call]:
        """The construction of a reuse's layer: an attribute's (one in the class), or the
        construction a local layer is (a Built key)."""
        if isinstance(slot, str):
            layer = self._attrs.get(slot)
            return layer.ctor if layer else None
        if isinstance(slot, tuple) and slot and slot[0] == "built":
            return slot[1] if isinstance(slot[1], ast.Call) else None
        if isinstance(slot, tuple) and len(slot) == 4 and slot[0] == "attr":
            layer = self._attrs.get(slot[2])
            return layer.ctor if layer else None
        return None

    def constructions(self) -> List[ast.Call]:
        """Every construction the recorded sizes and layers name."""
        found: List[ast.Call] = []
        seen: Set[int] = set()
        todo: List[Any] = [
            s for by_layer in self.sites.values() for v in by_layer.values() for s in v
        ]
        todo += [layer for layer in self._attrs.values() if layer is not None]
        while todo:
            item = todo.pop()
            if isinstance(item, (Through, Layer)):
                ctor = item.layer if isinstance(item, Through) else item.ctor
                if id(ctor) not in seen:
                    seen.add(id(ctor))
                    found.append(ctor)
                if isinstance(item, Through) and id(item) not in seen:
                    seen.add(id(item))
                    todo.extend(item.inputs)
            elif isinstance(item, tuple):
                todo.extend(item)
        return found

    def pass_sizes(self, site_id: int, ctor: ast.Call, which: int) -> List[Any]:
        """The input sizes of a call a loop repeats, on the loop's first or second pass."""
        return list(self.passes.get(site_id, {}).get(id(ctor), {}).get(which, ()))

    def sizes_at(self, site_id: int, ctor: ast.Call) -> List[Any]:
        """The input sizes recorded for this layer at this site: one per way the walk reached
        it (call() read on its own, and as a helper another method calls)."""
        return list(self.sites.get(site_id, {}).get(id(ctor), ()))

    def _self_name(self, scope: Any) -> Optional[str]:
        """The instance's name in one of the read class's instance methods; None elsewhere (a
        helper's first parameter is whatever it is given)."""
        if not isinstance(scope, FUNCTIONS) or self._methods.get(scope.name) is not scope:
            return None
        if _decorated(scope, "staticmethod", "classmethod"):
            return None
        params = scope.args.posonlyargs + scope.args.args
        return params[0].arg if params else None

    # -- the class's attributes -----------------------------------------------------------
    def _read_attributes(self, classdef: ast.ClassDef) -> None:
        assigned: Dict[str, List[Tuple[Function, Optional[ast.expr]]]] = {}
        for method in self._methods.values():
            params = method.args.posonlyargs + method.args.args
            me = params[0].arg if params else None
            for node in ast.walk(method):
                targets: List[ast.expr] = []
                value: Optional[ast.expr] = None
                if isinstance(node, ast.Assign):
                    targets, value = node.targets, node.value
                elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                    targets, value = [node.target], None
                for target in targets:
                    for part in ast.walk(target):
                        if (
                            isinstance(part, ast.Attribute)
                            and isinstance(part.value, ast.Name)
                            and part.value.id == me
                        ):
                            one = value if part is target else None
                            assigned.setdefault(part.attr, []).append((method, one))
        self._attr_values = assigned
        for name, rows in assigned.items():
            if name in self._stored_elsewhere:
                self._attrs[name] = None  # `net.narrow = Dense(8)` from outside: unknown
                continue
            if len(rows) != 1 or rows[0][1] is None or rows[0][0].name not in ("__init__", "build"):
                self._attrs[name] = None
                continue
            method, value = rows[0]
            if isinstance(value, ast.Call):
                self._attrs[name] = Layer(
                    value, self._numbers(value, {}, method, 0), f"self.{name}"
                )
            else:
                self._attrs[name] = None

    # -- statements -----------------------------------------------------------------------
    def _walk(self, body: List[ast.stmt], env: Dict[str, Any], scope: Any, depth: int) -> List[Any]:
        """Walk statements; the sizes of the values they return."""
        returned: List[Any] = []
        for stmt in body:
            if self._pass and isinstance(stmt, _LEAVES_EARLY + (ast.If,)):
                # A helper's branch, loop or early return: a call it holds may not run.
                if not (isinstance(stmt, ast.Return) and stmt is body[-1]):
                    self._doubt = True
            for changed in _stored_through(stmt):  # `feats[0] = ...`, `d.units = 8`, `del x[0]`
                env[changed] = None
            if isinstance(stmt, ast.Assign):
                value = self._expr(stmt.value, env, scope, depth)
                if isinstance(stmt.value, ast.List):
                    value = None  # a list bound to a name may change in place
                if isinstance(value, Layer) and len(stmt.targets) == 1:
                    target = stmt.targets[0]
                    if isinstance(target, ast.Name):
                        value = Layer(value.ctor, value.numbers, target.id)
                for target in stmt.targets:
                    self._bind(target, value, env)
            elif isinstance(stmt, ast.Return):
                returned.append(self._expr(stmt.value, env, scope, depth) if stmt.value else None)
            elif isinstance(stmt, ast.Expr):
                self._expr(stmt.value, env, scope, depth)
            elif isinstance(stmt, ast.If):
                self._expr(stmt.test, env, scope, depth)
                left, right = dict(env), dict(env)
                returned += self._walk(stmt.body, left, scope, depth)
                returned += self._walk(stmt.orelse, right, scope, depth)
                for name in set(left) | set(right):
                    one, other = left.get(name), right.get(name)
                    env[name] = one if one is other or one == other else None
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                for item in stmt.items:
                    self._expr(item.context_expr, env, scope, depth)
                for name in bound_names(*[i.optional_vars for i in stmt.items if i.optional_vars]):
                    env[name] = None
                returned += self._walk(stmt.body, env, scope, depth)
            elif isinstance(stmt, FUNCTIONS + (ast.ClassDef,)):
                if self.functions.get(stmt.name) is stmt:
                    env.pop(stmt.name, None)  # the module's own helper: followed by name
                else:
                    env[stmt.name] = None
            else:  # loops, try, match, anything else: what they bind is unknown, in and after
                if isinstance(stmt, ast.For) and not self._pass and not _at_most_once(stmt):
                    self._two_passes(stmt, env, scope, depth)
                for name in bound_names(stmt):
                    env[name] = None
                for inner in statements(ast.Module(body=[stmt], type_ignores=[])):
                    if inner is not stmt:
                        for name in bound_names(inner):
                            env[name] = None
                for block in ("body", "orelse", "finalbody"):
                    inner_body = getattr(stmt, block, None)
                    if isinstance(inner_body, list):
                        inner_env = dict(env)
                        returned += self._walk(inner_body, inner_env, scope, depth)
                        for name, value in inner_env.items():  # a `.add` in a loop: unknown after
                            if env.get(name) is not value:
                                env[name] = None
                for name in bound_names(stmt):
                    env[name] = None
        return returned

    def _two_passes(self, loop: ast.For, env: Dict[str, Any], scope: Any, depth: int) -> None:
        """Read a loop's body twice, the second time on what the first left, for the calls
        it repeats (`passes`): what the second pass gets is proven when the body runs straight
        through (no branch, break, continue, return, try, inner loop or yield, in it or in a
        helper it calls: each call it holds runs on every pass). Nothing else is
        recorded: the ordinary reading stays the one with the loop's names unknown."""
        for node in ast.walk(ast.Module(body=loop.body, type_ignores=[])):
            if isinstance(node, _LEAVES_EARLY + (ast.If, ast.IfExp, ast.BoolOp)):
                return
        target = bound_names(loop.target)
        current = dict(env)
        kept, self.passes = self.passes, {}
        try:
            for which in (1, 2):
                self._pass = which
                for name in target:
                    current[name] = None
                self._walk(loop.body, current, scope, depth)
        finally:
            read, self.passes = self.passes, kept
            if not self._doubt:
                for site, by_layer in read.items():
                    for layer, by_pass in by_layer.items():
                        here = self.passes.setdefault(site, {}).setdefault(layer, {})
                        for which, found in by_pass.items():
                            here.setdefault(which, set()).update(found)
            self._pass, self._doubt = 0, False

    def _bind(self, target: ast.expr, value: Any, env: Dict[str, Any]) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = value
        else:
            for name in bound_names(target):
                env[name] = None

    # -- expressions ----------------------------------------------------------------------
    def _expr(self, node: Optional[ast.expr], env: Dict[str, Any], scope: Any, depth: int) -> Any:
        if node is None:
            return None
        if isinstance(node, ast.Name):
            if node.id in self._escaping:
                return None
            value = env.get(node.id)
            if isinstance(value, Stack):
                env[node.id] = None  # used otherwise than by `.add`: it may change unseen
                return None
            return value
        if isinstance(node, ast.Call):
            return self._call(node, env, scope, depth)
        if isinstance(node, (ast.List, ast.Tuple)):
            return tuple(self._expr(e, env, scope, depth) for e in node.elts)
        if isinstance(node, _OWN_SCOPES):
            return None  # a lambda or comprehension: its names are its own, its calls later
        if self._pass and isinstance(node, (ast.IfExp, ast.BoolOp)):
            self._doubt = True  # `a if c else conv(x)`: the call may not run on this pass
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            me = self._self_name(scope)
            if me is not None and node.value.id == me and node.value.id not in env:
                return self._attrs.get(node.attr)  # `self.a` handed to a helper
        for child in ast.iter_child_nodes(node):  # calls inside ops still run their layers
            if isinstance(child, ast.expr):
                self._expr(child, env, scope, depth)
        return None

    def _call(self, node: ast.Call, env: Dict[str, Any], scope: Any, depth: int) -> Any:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "add"
            and isinstance(func.value, ast.Name)
            and isinstance(env.get(func.value.id), Stack)
        ):
            return self._add(node, func.value.id, env, scope, depth)
        if isinstance(func, ast.Attribute):
            self._expr(func.value, env, scope, depth)  # `model.pop()` forgets a stack
            base = func.value
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if isinstance(base, ast.Name) and isinstance(env.get(base.id), tuple):
                env[base.id] = None  # `feats.append(...)`, `pair[0].append(...)`
        args = [self._expr(a, env, scope, depth) for a in node.args]
        kwargs = {k.arg: self._expr(k.value, env, scope, depth) for k in node.keywords if k.arg}
        if terminal_name(func) in ("Input", "InputLayer"):
            return self._input(node, env, scope)
        if terminal_name(func) == "Sequential" and node.args and isinstance(node.args[0], ast.List):
            self._sequential(node.args[0], env, scope, depth)
            return Layer(node, ())
        if terminal_name(func) == "Sequential" and not node.args:
            if not any(k.arg in (None, "layers") for k in node.keywords):
                return Stack(None)  # filled by `.add(...)`
        layer: Optional[Layer] = None
        me = self._self_name(scope)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if me is not None and func.value.id == me:
                if func.attr in self._methods and func.attr not in self._attrs:
                    method = self._methods[func.attr]
                    return self._helper(method, node, args, kwargs, env, scope, depth)
                layer = self._attrs.get(func.attr)
                if layer is None:
                    return None
        elif isinstance(func, ast.Name):
            bound = env.get(func.id)
            if isinstance(bound, Layer):
                layer = bound
            elif func.id in env:
                _forget_mutable(env)  # a local function may add to a stack it closes over
                return None
            elif func.id in self.functions:
                helper = self.functions[func.id]
                return self._helper(helper, node, args, kwargs, env, scope, depth)
        elif isinstance(func, ast.Call):  # `ReLU()(x)`: made and called at once
            made = self._expr(func, env, scope, depth)
            if isinstance(made, Layer):
                layer = made
        if layer is None:
            if isinstance(func, (ast.Name, ast.Attribute)) and not any(
                isinstance(a, (Given, Through)) for a in args
            ):
                return Layer(node, self._numbers(node, env, scope, depth))  # a construction
            return None
        # One positional input; keywords (`training=`, `mask=`) leave its channels alone.
        self._record(node, layer, args[0] if len(args) == 1 and "inputs" not in kwargs else None)
        inputs = args[0] if len(args) == 1 and isinstance(args[0], tuple) else tuple(args[:1])
        return Through(layer.ctor, tuple(inputs), layer.numbers, layer.target)

    def _record(self, site: ast.AST, layer: Layer, size: Any) -> None:
        if self._pass:
            for key in self._stack + [id(site)]:
                by_layer = self.passes.setdefault(key, {}).setdefault(id(layer.ctor), {})
                by_layer.setdefault(self._pass, set()).add(size)
            return
        for key in self._stack + [id(site)]:
            self.sites.setdefault(key, {}).setdefault(id(layer.ctor), set()).add(size)

    def _sequential(self, listed: ast.List, env: Dict[str, Any], scope: Any, depth: int) -> None:
        """`Sequential([...])`: each entry runs on what the one before it made."""
        size: Any = None
        for elt in listed.elts:
            value = self._expr(elt, env, scope, depth)
            if isinstance(value, Given):  # `Input(shape=...)` / `InputLayer(...)` first
                size = value
                continue
            if not isinstance(value, Layer):
                size = None
                continue
            self._record(elt, value, size)
            size = Through(value.ctor, (size,), value.numbers, value.target)

    def _add(self, node: ast.Call, name: str, env: Dict[str, Any], scope: Any, depth: int) -> Any:
        """`model.add(entry)`: the entry runs on what the stack's last entry made."""
        stack = env[name]
        if len(node.args) != 1 or node.keywords:
            env[name] = None
            return None
        value = self._expr(node.args[0], env, scope, depth)
        if isinstance(value, Given):
            env[name] = Stack(value)
        elif isinstance(value, Layer):
            self._record(node.args[0], value, stack.size)
            env[name] = Stack(Through(value.ctor, (stack.size,), value.numbers, value.target))
        else:
            env[name] = None
        return None

    def _input(self, node: ast.Call, env: Dict[str, Any], scope: Any) -> Any:
        if any(k.arg in ("tensor", "input_tensor") or k.arg is None for k in node.keywords):
            return None  # its shape is the tensor's
        keys = ("shape", "input_shape", "batch_shape", "batch_input_shape")
        shape = next((k.value for k in node.keywords if k.arg in keys), None)
        if shape is None and node.args:
            shape = node.args[0]
        if not isinstance(shape, (ast.Tuple, ast.List)) or not shape.elts:
            return None
        size = self._number(shape.elts[-1], env, scope, 0)
        return Given(size, node) if size is not None else None

    def _helper(
        self,
        func: Function,
        node: ast.Call,
        args: List[Any],
        kwargs: Dict[Any, Any],
        caller: Dict[str, Any],
        scope: Any,
        depth: int,
    ) -> Any:
        """Follow a helper with its parameters bound to what the call gives (sizes, layers, or
        numbers read in the caller's scope); the size it returns when all its returns agree."""
        _forget_mutable(caller)  # what it closes over or is given may change
        if (
            depth >= _DEPTH
            or any(terminal_name(d) not in _NOT_PLAIN_DECORATORS for d in func.decorator_list)
            or id(func) in self._active
            or node.keywords
            and any(k.arg is None for k in node.keywords)
            or any(isinstance(a, ast.Starred) for a in node.args)
        ):
            return None
        positional = func.args.posonlyargs + func.args.args
        if isinstance(node.func, ast.Attribute) and not _decorated(func, "staticmethod"):
            positional = positional[1:]  # a method: its first parameter is the instance
        defaults = dict(
            zip(
                [a.arg for a in positional][len(positional) - len(func.args.defaults) :],
                func.args.defaults,
            )
        )
        given: Dict[str, Tuple[Any, ast.expr]] = {
            a.arg: (value, written) for a, value, written in zip(positional, args, node.args)
        }
        for kw in node.keywords:
            given[str(kw.arg)] = (kwargs.get(kw.arg), kw.value)
        env: Dict[str, Any] = {}
        for param in [a.arg for a in positional + func.args.kwonlyargs]:
            if param in given:
                value, written = given[param]
                env[param] = (
                    value
                    if value is not None
                    else Number(self._number(written, caller, scope, depth))
                )
            elif param in defaults:
                env[param] = Number(self._number(defaults[param], {}, None, depth))
            else:
                env[param] = None
        self._active.add(id(func))
        self._stack.append(id(node))
        try:
            returned = self._walk(func.body, env, func, depth + 1)
        finally:
            self._stack.pop()
            self._active.discard(id(func))
        if returned and all(r is returned[0] for r in returned):
            if isinstance(returned[0], (Given, Through)):
                return returned[0]
        return None

    # -- numbers (constructor arguments, Input shapes) ------------------------------------
    def _numbers(
        self, ctor: ast.Call, env: Dict[str, Any], scope: Any, depth: int
    ) -> Tuple[Tuple[Any, Optional[Poly]], ...]:
        read: List[Tuple[Any, Optional[Poly]]] = [
            (i, self._number(a, env, scope, depth)) for i, a in enumerate(ctor.args)
        ]
        read += [(k.arg, self._number(k.value, env, scope, depth)) for k in ctor.keywords if k.arg]
        return tuple((key, value) for key, value in read if value is not None)

    def _number(
        self, node: ast.expr, env: Dict[str, Any], scope: Any, depth: int
    ) -> Optional[Poly]:
        if depth > _DEPTH:
            return None
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return number(value)
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
            left = self._number(node.left, env, scope, depth + 1)
            right = self._number(node.right, env, scope, depth + 1)
            if left is None or right is None:
                return None
            return _combine(left, right) if isinstance(node.op, ast.Add) else _times(left, right)
        if isinstance(node, ast.Name):
            bound = env.get(node.id)
            if isinstance(bound, Number):
                return bound.size
            if node.id in env:
                return None
            return self._name(node.id, scope, depth)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            me = self._self_name(scope)
            rows = self._attr_values.get(node.attr, [])
            if me is not None and node.value.id == me and len(rows) == 1:
                method, assigned = rows[0]
                if assigned is not None and method.name == "__init__":
                    return self._number(assigned, {}, method, depth + 1)
        return None

    def _name(self, name: str, scope: Any, depth: int) -> Optional[Poly]:
        """A name in a function (`scope`) or the module: a parameter it never rebinds is a
        symbol; a name assigned once, outside any loop or branch, is what it is assigned."""
        if isinstance(scope, FUNCTIONS):
            params, values, rebound = self._scope(scope)
            if name in params:
                return _symbol(f"{name}@{scope.lineno}") if name not in rebound else None
            if name in values:
                return self._number(values[name], {}, scope, depth + 1)
            if name in rebound:
                return None
        value = self._module_values.get(name)
        return self._number(value, {}, None, depth + 1) if value is not None else None

    def _scope(self, func: Function) -> Tuple[Set[str], Dict[str, ast.expr], Set[str]]:
        if id(func) not in self._scopes:
            args = func.args
            params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
            rebound = {
                n.id
                for stmt in func.body
                for n in ast.walk(stmt)
                if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
            }
            self._scopes[id(func)] = (params, _single_assignments(func.body), rebound)
        return self._scopes[id(func)]


@dataclass(frozen=True)
class Number:
    """A helper's parameter given a number (`self.block(x, 64)`), read where it is written."""

    size: Optional[Poly]


def _single_assignments(body: List[ast.stmt]) -> Dict[str, ast.expr]:
    """Names assigned exactly once in a body, by a plain top-level `name = value`, and nowhere
    else in it (no loop, branch or augmented assignment rebinds them)."""
    counts: Dict[str, int] = {}
    values: Dict[str, ast.expr] = {}
    for stmt in body:
        for node in ast.walk(stmt):
            bound: Optional[str] = None
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                bound = node.id
            elif isinstance(node, ast.alias):  # `from config import width` binds it too
                bound = (node.asname or node.name).split(".")[0]
            elif isinstance(node, FUNCTIONS + (ast.ClassDef,)):
                bound = node.name
            if bound is not None:
                counts[bound] = counts.get(bound, 0) + 1
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
        ):
            values[stmt.targets[0].id] = stmt.value
    return {k: v for k, v in values.items() if counts.get(k) == 1}


# Decorators that leave a method's body as what runs.
_NOT_PLAIN_DECORATORS = ("staticmethod", "classmethod")


def _at_most_once(loop: ast.For) -> bool:
    """A `for` over what is written to hold at most one item: no second pass to prove."""
    over = loop.iter
    if isinstance(over, (ast.List, ast.Tuple, ast.Set)):
        return len(over.elts) <= 1
    if isinstance(over, ast.Constant):
        return not isinstance(over.value, (str, bytes)) or len(over.value) <= 1
    if isinstance(over, ast.Call) and terminal_name(over.func) == "range" and over.args:
        numbers = [a.value if isinstance(a, ast.Constant) else None for a in over.args]
        if all(isinstance(n, int) for n in numbers):
            return len(range(*numbers[:3])) <= 1  # type: ignore[arg-type]
    return False


def _forget_mutable(env: Dict[str, Any]) -> None:
    for name, value in env.items():
        if isinstance(value, (Stack, tuple)):
            env[name] = None


def _stored_through(stmt: ast.stmt) -> Set[str]:
    """Names whose object a statement changes in place: `x[i] = ...`, `x.a = ...`, `del x[i]`."""
    targets: List[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
        targets = [stmt.target]
    elif isinstance(stmt, ast.Delete):
        targets = list(stmt.targets)
    found: Set[str] = set()
    for target in targets:
        for part in ast.walk(target):
            if isinstance(part, (ast.Subscript, ast.Attribute)):
                base = part.value
                while isinstance(base, (ast.Subscript, ast.Attribute)):
                    base = base.value
                if isinstance(base, ast.Name):
                    found.add(base.id)
    return found


def _decorated(func: Function, *names: str) -> bool:
    return any(terminal_name(d) in names for d in func.decorator_list)


# -- the resolution phase --------------------------------------------------------------------
@dataclass(frozen=True)
class Sized:
    """A size proven from what is written: the polynomial, where its value was set (the
    construction or `Input` whose argument it is), and the sizes that flowed into it (each
    positive: what a difference may be a multiple of)."""

    size: Poly
    origin: ast.AST
    target: str
    positives: FrozenSet[Poly]


# A construction -> how its Keras class maps channels (knowledge/shapes.Rule), or None.
Rules = Callable[[ast.Call], Optional[Any]]


def evaluate(expr: Any, rules: Rules, depth: int = 0) -> Optional[Sized]:
    if depth > 64:
        return None
    if isinstance(expr, Given):
        return Sized(expr.size, expr.origin, "", frozenset({expr.size}))
    if not isinstance(expr, Through):
        return None
    rule = rules(expr.layer)
    if rule is None or moves_axis(expr.layer, rule):
        return None
    numbers = dict(expr.numbers)
    if rule.maps == "replace":
        made = numbers.get(rule.param, numbers.get(rule.position))
        if made is None:
            return None
        return Sized(made, expr.layer, expr.target, frozenset({made}))
    inputs = [evaluate(i, rules, depth + 1) for i in expr.inputs]
    if not inputs or any(i is None for i in inputs):
        return None
    known = [i for i in inputs if i is not None]
    positives = frozenset().union(*(i.positives for i in known))
    if rule.maps == "keep" and len(known) == 1:
        return known[0]
    if rule.maps == "times" and len(known) == 1:
        factor = numbers.get(rule.param, numbers.get(rule.position))
        if factor is None and rule.param in _keywords(expr.layer) | _positional(expr.layer, rule):
            return None  # given, but not as a number
        size = _times(known[0].size, factor or number(1))
        return Sized(size, expr.layer, expr.target, positives | {size})
    if rule.maps == "sum" and len(known) >= 2:
        total: Poly = ()
        for one in known:
            total = _combine(total, one.size)
        return Sized(total, expr.layer, expr.target, positives | {total})
    if rule.maps == "same" and len(known) >= 2 and all(k.size == known[0].size for k in known):
        return known[0]
    return None


def _keywords(ctor: ast.Call) -> Set[str]:
    return {str(k.arg) for k in ctor.keywords}


def _positional(ctor: ast.Call, rule: Any) -> Set[str]:
    return {rule.param} if rule.position is not None and len(ctor.args) > rule.position else set()


def moves_axis(ctor: ast.Call, rule: Any) -> bool:
    """A construction that sets the axis its channels are on (`axis=1`, `data_format=...`),
    or gives arguments it may pass them through (`**options`): not followed."""
    if any(k.arg is None or k.arg in rule.axis_params for k in ctor.keywords):
        return True
    if any(isinstance(a, ast.Starred) for a in ctor.args):
        return True
    return any(len(ctor.args) > p for p in rule.axis_positions)


def origin_text(sized: Sized) -> str:
    """Where a size was set, as written: `self.conv1 = Conv2D(6, ...)`, `Input(shape=(64,))`."""
    node = sized.origin
    if isinstance(node, ast.Call) and terminal_name(node.func) != "Input":
        written = [ast.unparse(a) for a in node.args] + [
            f"{k.arg}={ast.unparse(k.value)}" if k.arg else f"**{ast.unparse(k.value)}"
            for k in node.keywords
        ]
        shown = written[:1] + (["..."] if len(written) > 1 else [])
        call = f"{terminal_name(node.func)}({', '.join(shown)})"
    else:
        call = ast.unparse(node)
    return f"{sized.target} = {call}" if sized.target else call


def evaluate_all(exprs: List[Any], rules: Rules) -> Optional[Sized]:
    """The size every one of these expressions proves, when all prove one."""
    found = [evaluate(e, rules) for e in exprs]
    if not found or any(f is None for f in found):
        return None
    first = found[0]
    assert first is not None
    return first if all(f is not None and f.size == first.size for f in found) else None


def compare(first: Sized, second: Sized) -> Optional[str]:
    """ "equal", "differ" (provably, for every positive value of the symbols), or None."""
    diff = _combine(first.size, second.size, -1)
    if not diff:
        return "equal"
    if all(not term for term, _ in diff):
        return "differ"  # two numbers
    for known in first.positives | second.positives:
        if _multiple(diff, known):
            return "differ"
    return None


def _multiple(diff: Poly, known: Poly) -> bool:
    """Whether diff is k * known for a nonzero number k."""
    if len(diff) != len(known) or not known:
        return False
    ratio = None
    for (t1, c1), (t2, c2) in zip(diff, known):
        if t1 != t2:
            return False
        r = c1 / c2
        if ratio is None:
            ratio = r
        elif r != ratio:
            return False
    return ratio is not None and ratio != 0
