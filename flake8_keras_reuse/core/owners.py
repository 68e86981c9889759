"""Ownership: one layer instance bound to two owners (KR004), and attributes that share one.

Syntax only: which construction each local name holds, and where that instance is bound to an
owner (an attribute, a list slot, another layer's or model's constructor). Resolution decides
later whether the instance is a layer with state and the owner a Keras class.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Optional,
    Sequence,
    Set,
    Union,
    cast,
)

from ..knowledge.keras_api import SEQUENTIAL
from .syntax import Assignment, blocks, is_self_attr, makes_object, terminal_name


@dataclass(frozen=True)
class Binding:
    """A second owner for one instance: report it at (line, col)."""

    line: int
    col: int
    instance: ast.Call  # the construction
    shown: str  # how the instance is written at the binding
    owner: str  # what it is bound to: "self.norm_right", "Branch(...)", "a list"
    first_line: int
    owner_class: Optional[ast.Call] = None  # for constructor arguments: the call, to resolve
    borrows_layers: bool = False  # `Sequential(model_a.layers)`: the layers of `instance`


# Per block as the walk goes: built (local name -> construction) and attrs (self attribute ->
# the construction assigned to it in this body).
Built = Dict[str, ast.Call]
Attrs = Dict[str, ast.Call]
_COLLECTIONS = (ast.List, ast.Tuple, ast.Set, ast.Dict)


def bindings(
    scope: Union[ast.Module, ast.FunctionDef, ast.AsyncFunctionDef],
    lines: Optional[Sequence[str]] = None,
    repeats: bool = True,
    self_param: Optional[str] = "self",
) -> List[Binding]:
    """Second bindings of one instance in a module or function body, in source order.

    `self_param` names the object whose attributes are owners (a method's first parameter).
    With the file's `lines` (syntax.source_lines), a statement whose text names no layer kept
    so far is skipped without walking its expressions (unless `repeats`: the file may hold
    `[Layer()] * n`).
    """
    walk = _Owners(lines, repeats, self_param)
    walk.block(scope.body, {}, {})
    return sorted(walk.found, key=lambda b: (b.line, b.col))


class _Owners:
    """One walk of a body: which construction each local name holds, and each binding of one
    to an owner. One method per binding form."""

    def __init__(
        self, lines: Optional[Sequence[str]], repeats: bool, self_param: Optional[str]
    ) -> None:
        self.lines = lines
        self.repeats = repeats
        self.self_param = self_param
        self.owners: Dict[int, int] = {}  # id(construction) -> line of its first owner
        self.found: List[Binding] = []

    def block(self, block: List[ast.stmt], built: Built, attrs: Attrs) -> None:
        for node in block:
            self.statement(node, built, attrs)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            for nested in blocks(node):
                # A branch that always leaves (return, raise) takes its names with it: a later
                # branch that uses the same name sees the parameter, not this construction.
                branch_built, branch_attrs = dict(built), dict(attrs)
                self.block(nested, branch_built, branch_attrs)
                if not _leaves(nested):
                    built.update(branch_built)
                    attrs.update(branch_attrs)

    def statement(self, node: ast.stmt, built: Built, attrs: Attrs) -> None:
        """The bindings one statement makes, in its expressions and by assigning."""
        if self.lines is not None and not self.repeats and not _names_any(node, self.lines, built):
            own: List[ast.AST] = []
        else:
            own = list(_own_nodes(node))
        in_sequential = {
            id(sub.args[0])
            for sub in own
            if isinstance(sub, ast.Call) and _callee_name(sub) == SEQUENTIAL and sub.args
        }
        if isinstance(node, ast.For):
            self.layers_added(node, built)
        for sub in own:
            one = _repeated_list(sub)
            if one is not None:
                self.repeated_list(node, cast(ast.BinOp, sub), one)
            elif isinstance(sub, _COLLECTIONS):
                if id(sub) not in in_sequential:  # twice in a Sequential is a call (KR001/2)
                    self.collection(sub, built)
            elif isinstance(sub, ast.Call) and _callee_name(sub)[:1].isupper():
                self.borrowed_layers(sub, built)
                self.constructor_arguments(sub, built)
            elif isinstance(sub, ast.Call) and _callee_name(sub) == "add" and sub.args:
                model = _layers_of(sub.args[0])  # `model_b.add(model_a.layers[3])`
                if model in built:
                    self._borrow(sub, built[model], model, sub)
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    _assign_name(target, node.value, built)
                elif is_self_attr(target, self.self_param):
                    self.attribute(node, target, built, attrs)

    def _bind(
        self,
        instance: ast.Call,
        node: Union[ast.stmt, ast.expr],
        shown: str,
        owner: str,
        owner_class: Optional[ast.Call] = None,
    ) -> None:
        """`instance` bound to `owner` at `node`: a finding when it has an owner already."""
        key = id(instance)
        if key in self.owners:
            self.found.append(
                Binding(
                    node.lineno,
                    node.col_offset,
                    instance,
                    shown,
                    owner,
                    self.owners[key],
                    owner_class,
                )
            )
        else:
            self.owners[key] = node.lineno

    def repeated_list(self, node: ast.stmt, sub: ast.expr, one: ast.Call) -> None:
        """`[Layer()] * n`: one instance in n slots."""
        # Named by where the list goes (`self.norms`), else by what it repeats.
        shown = _callee_name(one) + "()"
        if isinstance(node, ast.Assign) and node.value is sub:
            shown = ast.unparse(node.targets[0]) + "[0]"
        self.found.append(
            Binding(sub.lineno, sub.col_offset, one, shown, "a list, n times", sub.lineno)
        )

    def collection(self, sub: Union[ast.List, ast.Tuple, ast.Set, ast.Dict], built: Built) -> None:
        """One local name listed twice in one collection literal: `[norm, norm]`."""
        elts = sub.values if isinstance(sub, ast.Dict) else sub.elts
        seen = set()
        for elt in elts:
            if isinstance(elt, ast.Name) and elt.id in built:
                if elt.id in seen:
                    self.found.append(
                        Binding(
                            elt.lineno,
                            elt.col_offset,
                            built[elt.id],
                            elt.id,
                            "the same collection",
                            elt.lineno,
                        )
                    )
                seen.add(elt.id)

    def borrowed_layers(self, sub: ast.Call, built: Built) -> None:
        """`Sequential(model_a.layers[:-1])`: model_a keeps those layers too."""
        model = _layers_of(sub.args[0]) if _callee_name(sub) == SEQUENTIAL and sub.args else None
        if model in built:
            self._borrow(sub, built[model], model, sub)

    def layers_added(self, loop: ast.For, built: Built) -> None:
        """`for layer in model_a.layers: model_b.add(layer)`: model_b is given model_a's
        layers one by one; model_a keeps them too."""
        model = _layers_of(loop.iter)
        if model not in built or not isinstance(loop.target, ast.Name):
            return
        name = loop.target.id
        for stmt in loop.body:
            for sub in _own_nodes(stmt) if not isinstance(stmt, ast.For) else ():
                if (
                    isinstance(sub, ast.Call)
                    and _callee_name(sub) == "add"
                    and len(sub.args) == 1
                    and isinstance(sub.args[0], ast.Name)
                    and sub.args[0].id == name
                ):
                    self._borrow(sub, built[model], model, sub)

    def _borrow(self, at: ast.Call, model: ast.Call, name: str, owner: ast.Call) -> None:
        """A second model given the layers of the model `model` constructs, at `at`."""
        self.found.append(
            Binding(
                at.lineno,
                at.col_offset,
                model,
                f"{name}.layers",
                f"{ast.unparse(at.func)}(...)" if _callee_name(at) == "add" else "Sequential(...)",
                model.lineno,
                None if _callee_name(at) == "add" else owner,
                borrows_layers=True,
            )
        )

    def constructor_arguments(self, sub: ast.Call, built: Built) -> None:
        """A local construction handed to a class-like call: `Branch(norm)` owns it."""
        for arg in list(sub.args) + [k.value for k in sub.keywords]:
            if isinstance(arg, ast.Name) and arg.id in built:
                self._bind(built[arg.id], sub, arg.id, f"{_callee_name(sub)}(...)", sub)

    def attribute(
        self, node: ast.Assign, target: ast.Attribute, built: Built, attrs: Attrs
    ) -> None:
        """`self.x = value`: the instance a local name or another attribute holds, or a new
        construction, gets `self.x` as an owner."""
        value = node.value
        owner = f"self.{target.attr}"
        if isinstance(value, ast.Name) and value.id in built:
            self._bind(built[value.id], node, value.id, owner)
            attrs[target.attr] = built[value.id]
        elif is_self_attr(value, self.self_param) and value.attr in attrs:
            # `self.b = self.a`, where self.a was made here: a second owner
            self._bind(attrs[value.attr], node, f"self.{value.attr}", owner)
        elif isinstance(value, ast.Call) and _constructs(value):
            self.chained(node, target, value, owner)
            attrs[target.attr] = value
            self.owners.setdefault(id(value), node.lineno)

    def chained(self, node: ast.Assign, target: ast.Attribute, value: ast.Call, owner: str) -> None:
        """`self.a = self.b = Norm()`: each attribute after the first is a second owner."""
        if id(value) in self.owners:
            first = next(t for t in node.targets if is_self_attr(t, self.self_param))
            if first.attr == target.attr:
                return  # `self.bn = self.bn = Norm()`: one attribute, written twice
            self._bind(value, target, f"self.{first.attr}", owner)


def _assign_name(target: ast.Name, value: ast.expr, built: Built) -> None:
    """`name = value`: the name holds a construction, an alias of one, or nothing known."""
    if isinstance(value, ast.Call) and _constructs(value):
        built[target.id] = value
    elif isinstance(value, ast.Name) and value.id in built:
        built[target.id] = built[value.id]  # an alias, not an owner
    else:
        built.pop(target.id, None)


def attribute_aliases(assigns: Sequence[Assignment]) -> Dict[str, str]:
    """{attr: owning attr} for attributes bound to one instance (`self.a = bn; self.b = bn`),
    from a class's syntax.instance_assignments."""
    assigned: Dict[str, int] = {}
    groups: Dict[Any, List[str]] = {}  # id(construction), or ("attr", name) -> attributes
    local: Dict[str, ast.Call] = {}
    method: Optional[ast.AST] = None
    for func, instance, node in assigns:
        if func is not method:
            local, method = {}, func
        chained = [t.attr for t in node.targets if is_self_attr(t, instance)]
        if len(chained) > 1 and isinstance(node.value, ast.Call):
            # `self.a = self.b = Norm()`: both attributes hold the one instance.
            groups.setdefault(id(node.value), []).extend(chained)
        for target in node.targets:
            if isinstance(target, ast.Name) and isinstance(node.value, ast.Call):
                local[target.id] = node.value
            elif is_self_attr(target, instance):
                assigned[target.attr] = assigned.get(target.attr, 0) + 1
                if isinstance(node.value, ast.Name) and node.value.id in local:
                    groups.setdefault(id(local[node.value.id]), []).append(target.attr)
                elif is_self_attr(node.value, instance):
                    groups.setdefault(("attr", node.value.attr), [node.value.attr]).append(
                        target.attr
                    )
    aliases: Dict[str, str] = {}
    for attrs in groups.values():
        # Only attributes assigned exactly once are known to hold that instance.
        if len(set(attrs)) > 1 and all(assigned.get(a, 0) <= 1 or a == attrs[0] for a in attrs):
            for attr in attrs[1:]:
                aliases[attr] = attrs[0]
    return aliases


def attributes_always(assigns: Iterable[Assignment], holds: Callable[[ast.expr], bool]) -> Set[str]:
    """Attributes every assignment of which (`self.x = value` in a method) satisfies `holds`,
    from a class's syntax.instance_assignments."""
    verdict: Dict[str, bool] = {}
    for _, instance, node in assigns:
        for target in node.targets:
            if is_self_attr(target, instance):
                verdict[target.attr] = verdict.get(target.attr, True) and holds(node.value)
    return {attr for attr, ok in verdict.items() if ok}


def repeated_attributes(assigns: Iterable[Assignment]) -> Set[str]:
    """Attributes holding one instance in several slots: `self.norms = [Norm()] * n`, also
    after a `None` placeholder (`self.norms = None`, then the list under a condition): a call
    through a slot runs only when it holds the list."""
    assigns = list(assigns)
    repeated_or_none = attributes_always(
        assigns, lambda value: _is_none(value) or _repeated_list(value) is not None
    )
    return repeated_or_none - attributes_always(assigns, _is_none)


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _repeated_list(node: ast.AST) -> Optional[ast.Call]:
    """The construction in `[Layer()] * n` or `n * [Layer()]`, else None."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for side in (node.left, node.right):
            if isinstance(side, ast.List) and len(side.elts) == 1 and _constructs(side.elts[0]):
                return cast(ast.Call, side.elts[0])
    return None


def _leaves(block: List[ast.stmt]) -> bool:
    return bool(block) and isinstance(block[-1], (ast.Return, ast.Raise, ast.Continue, ast.Break))


def _own_nodes(stmt: ast.stmt) -> Iterator[ast.AST]:
    """The expressions of one statement, without those of nested statements or scopes."""
    todo = [
        c for c in ast.iter_child_nodes(stmt) if not isinstance(c, (ast.stmt, ast.excepthandler))
    ]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Lambda, ast.FunctionDef, ast.ClassDef)):
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def _names_any(stmt: ast.stmt, lines: Sequence[str], names: Built) -> bool:
    """Whether the statement's own text (up to its first nested block) mentions one of names."""
    if not names:
        return False
    end = cast(int, stmt.end_lineno)
    for block in blocks(stmt):
        if block:
            end = min(end, block[0].lineno - 1)
    text = "\n".join(lines[stmt.lineno - 1 : max(end, stmt.lineno)])
    return any(name in text for name in names)


def _constructs(node: ast.AST) -> bool:
    """Whether an expression makes a layer or model: `Dense(4)`, `layers.BN()`, `load_model(p)`."""
    return isinstance(node, ast.Call) and makes_object(node.func)


def _layers_of(node: ast.expr) -> Optional[str]:
    """`m` for `m.layers` or `m.layers[:-1]`: a model's own layers."""
    if isinstance(node, ast.Subscript):
        node = node.value
    if (
        isinstance(node, ast.Attribute)
        and node.attr == "layers"
        and isinstance(node.value, ast.Name)
    ):
        return node.value.id
    return None


def _callee_name(call: ast.Call) -> str:
    return terminal_name(call.func) or ""
