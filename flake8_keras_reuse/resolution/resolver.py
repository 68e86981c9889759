"""Resolution: which class an expression's value is, and what a class's attributes hold.

What a name refers to is the job of `names.Names`; a class of the project is read from its
module. Anything else is unknown, and unknown means no finding.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Set, Tuple

from astroid import nodes

from ..knowledge import catalog
from ..knowledge.keras_api import CATEGORY_STRENGTH, VARIABLE_MAKERS
from .names import MAX_DEPTH, Names, Referent, all_or_none, assigned_value, lookup

if TYPE_CHECKING:
    from .project import Project


@dataclass(frozen=True)
class Held:
    """The class of the layer an attribute holds."""

    name: str  # as the user wrote it (a user subclass keeps its own name)
    layer: catalog.LayerClass  # the Keras class it is or derives from


class Resolver:
    """Which Keras class a project class or an expression's value is, and what a class's
    attributes hold; the names in them are read by its `Names` (one way: names never ask it)."""

    def __init__(self, project: Project, extra: Optional[Mapping[str, str]] = None) -> None:
        self.names = Names(project)
        self.extra = extra or {}
        self._keras: Dict[int, bool] = {}  # id(ClassDef) -> is_keras_class
        self._composites: Dict[
            int, Optional[catalog.LayerClass]
        ] = {}  # id(ClassDef) -> composite()
        self._composing: Set[int] = set()
        # id(module) -> callee name -> the calls of that name in the module (_calls_of)
        self._module_calls: Dict[int, Dict[str, List[nodes.Call]]] = {}
        self._sites: Dict[int, Optional[List[nodes.Call]]] = {}  # id(target) -> _calls_of

    # -- what class an object is -----------------------------------------------------------
    def instance_classes(
        self, node: nodes.NodeNG, depth: int = 0, owner: Optional[nodes.ClassDef] = None
    ) -> Optional[List[Held]]:
        """The classes an expression's value may be an instance of; None when unknown.

        A `None` constant contributes nothing (layers are often declared None, then built).
        `owner` is the class whose instance `self` is, when the expression sits in one of
        its methods (what `self.<attr>` holds): `self._make_layer(...)` is then that class's
        own builder method, as the instance would run it.
        """
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, nodes.Const) and node.value is None:
            return []
        if (
            isinstance(node, nodes.BinOp)
            and node.op == "*"
            and isinstance(node.left, nodes.List)
            and len(node.left.elts) == 1
        ):
            return self.instance_classes(node.left.elts[0], depth + 1, owner)  # [Norm()] * n
        if isinstance(node, nodes.IfExp):
            return _both(
                self.instance_classes(node.body, depth + 1, owner),
                self.instance_classes(node.orelse, depth + 1, owner),
            )
        if isinstance(node, nodes.Name):
            bindings = lookup(node)
            if bindings is None:
                return None
            values: List[Optional[nodes.NodeNG]] = []
            for binding in bindings:
                if isinstance(binding, nodes.AssignName) and isinstance(
                    binding.parent, nodes.Arguments
                ):
                    values.extend(self._passed(binding) or [None])
                elif isinstance(binding, nodes.AssignName):
                    values.append(assigned_value(binding))
                else:
                    values.append(None)
            if not values or None in values:
                return None
            return all_or_none(self.instance_classes(value, depth + 1, owner) for value in values)
        if isinstance(node, nodes.Call):
            method = self._own_method(node.func, owner)
            if method is not None:
                return self._constructed(method, depth + 1, owner)
            callees = self.names.referents(node.func, depth + 1)
            if not callees:
                return None
            made = all_or_none(self._constructed(callee, depth + 1) for callee in callees)
            if made and all(h.layer.category == catalog.WRAPPER for h in made):
                return self._wrapping(node, made, depth + 1, owner)
            return made
        return None

    def _wrapping(
        self, call: nodes.Call, wrappers: List[Held], depth: int, owner: Optional[nodes.ClassDef]
    ) -> List[Held]:
        """A Keras wrapper holds the layer it is given (`TimeDistributed(Dense(1))`), a copy of
        it or the layer itself: calling the wrapper again shares that layer's variables. The
        wrapper's category is the wrapped layer's, when that is known."""
        given = call.args[0] if call.args else None
        for keyword in call.keywords or ():
            if keyword.arg == "layer":
                given = keyword.value
        inner = agree(self.instance_classes(given, depth, owner)) if given is not None else None
        if inner is None or not (
            inner.layer.category in CATEGORY_STRENGTH or inner.layer.category == catalog.MODEL
        ):
            return wrappers
        # Named as one class, `TimeDistributed(Dense)`: what fails is the wrapper's to say.
        return [
            Held(name, catalog.LayerClass(name, inner.layer.category))
            for name in sorted({f"{h.name}({inner.name})" for h in wrappers})
        ]

    def _passed(self, param: nodes.AssignName) -> Optional[List[nodes.NodeNG]]:
        """What every call in the file passes for a parameter of a class's `__init__` (or of
        a module function): `Siamese(make_encoder())` gives `encoder` its value inside. None
        when some call site does not say (a starred argument, the parameter left to its
        default), when there is none, or when a subclass may call the constructor itself."""
        arguments = param.parent
        func = arguments.parent
        if not isinstance(func, nodes.FunctionDef) or func.decorators is not None:
            return None
        positional = [a.name for a in (arguments.posonlyargs or []) + (arguments.args or [])]
        keyword_only = [a.name for a in arguments.kwonlyargs or []]
        if isinstance(func.parent, nodes.ClassDef):
            if func.name != "__init__":
                return None
            target: nodes.NodeNG = func.parent
            positional = positional[1:]
        elif isinstance(func.parent, nodes.Module):
            target = func
        else:
            return None
        if param.name not in positional and param.name not in keyword_only:
            return None
        index = positional.index(param.name) if param.name in positional else None
        sites = self._calls_of(target)
        if sites is None:
            return None
        values = []
        for call in sites:
            given = [k.value for k in call.keywords or () if k.arg == param.name]
            if any(k.arg is None for k in call.keywords or ()) or any(
                isinstance(a, nodes.Starred) for a in call.args
            ):
                return None
            if not given and index is not None and index < len(call.args):
                given = [call.args[index]]
            if not given:
                return None
            values.append(given[0])
        return values or None

    def _calls_of(self, target: nodes.NodeNG) -> Optional[List[nodes.Call]]:
        """The calls in the target's module that run it (by its name, then resolved); None
        when a class of the module derives from it (its constructor may be called by
        `super().__init__(...)` with anything)."""
        if id(target) in self._sites:
            return self._sites[id(target)]
        module = target.root()
        calls = self._module_calls.get(id(module))
        if calls is None:
            calls = self._module_calls[id(module)] = {}
            for call in module.nodes_of_class(nodes.Call):
                func = call.func
                name = getattr(func, "name", None) or getattr(func, "attrname", None)
                if name:
                    calls.setdefault(name, []).append(call)
        found: Optional[List[nodes.Call]] = [
            call
            for call in calls.get(target.name, ())
            if any(ref is target for ref in self.names.referents(call.func) or ())
        ]
        if found and isinstance(target, nodes.ClassDef):
            for cls in module.nodes_of_class(nodes.ClassDef):
                if cls is not target and target in self._project_mro(cls):
                    found = None
                    break
        self._sites[id(target)] = found
        return found

    def _own_method(
        self, func: nodes.NodeNG, owner: Optional[nodes.ClassDef]
    ) -> Optional[nodes.FunctionDef]:
        """The method `self.<name>` runs, when `self` is the instance of `owner` that the
        enclosing method was called on and a class of its project MRO defines `<name>` as a
        plain function (the nearest definition wins, as Python looks it up). None otherwise:
        a name a Keras base class may define, a property, or another object's method."""
        if owner is None or not (
            isinstance(func, nodes.Attribute) and isinstance(func.expr, nodes.Name)
        ):
            return None
        method = func.scope()
        if not isinstance(method, nodes.FunctionDef) or _first_arg(method) != func.expr.name:
            return None
        mro = self._project_mro(owner)
        if not any(method.parent is cls for cls in mro) or method.decorators is not None:
            return None
        for cls in mro:
            bindings = cls.locals.get(func.attrname)
            if bindings:
                found = bindings[-1]
                if isinstance(found, nodes.FunctionDef) and found.decorators is None:
                    return found
                return None
        return None

    def _constructed(
        self, callee: Referent, depth: int, owner: Optional[nodes.ClassDef] = None
    ) -> Optional[List[Held]]:
        if isinstance(callee, str):
            layer = catalog.keras_layer(callee, self.extra)
            return None if layer is None else [Held(layer.name, layer)]
        if isinstance(callee, nodes.ClassDef):
            layer = self._configured(callee) or self.layer_base(callee)
            if (layer is None or layer.category not in catalog.STATEFUL) and self.is_keras_class(
                callee
            ):
                layer = self.composite(callee, depth + 1) or layer
            return None if layer is None else [Held(callee.name, layer)]
        if isinstance(callee, nodes.FunctionDef):  # a factory: what its returns construct
            returns = [
                r
                for r in callee.nodes_of_class(nodes.Return, skip_klass=_SCOPES)
                if r.scope() is callee
            ]
            if not returns or any(r.value is None for r in returns):
                return None
            return all_or_none(self.instance_classes(r.value, depth + 1, owner) for r in returns)
        return None

    def _configured(self, classdef: nodes.ClassDef) -> Optional[catalog.LayerClass]:
        """A project class named in the options, by its qualified name."""
        qname = f"{classdef.root().name}.{classdef.name}"
        if qname in self.extra:
            return catalog.LayerClass(classdef.name, self.extra[qname])
        return None

    def composite(self, classdef: nodes.ClassDef, depth: int = 0) -> Optional[catalog.LayerClass]:
        """The category of a project layer or model from what it keeps: the strongest of the
        layers it constructs and keeps on self (statistics > weights > table), or weights when
        it creates variables of its own (`self.add_weight`). None when it keeps nothing."""
        if depth > MAX_DEPTH or id(classdef) in self._composing:
            return None
        if id(classdef) in self._composites:
            return self._composites[id(classdef)]
        self._composing.add(id(classdef))
        try:
            best: Optional[Tuple[str, str]] = None  # (what it holds, its category)
            for cls in self._project_mro(classdef):
                for held in self._kept(cls, depth, classdef):
                    if (
                        best is None
                        or CATEGORY_STRENGTH[held.layer.category] > CATEGORY_STRENGTH[best[1]]
                    ):
                        best = (held.layer.name, held.layer.category)
                if (best is None or best[1] == "table") and _creates_variables(cls):
                    best = ("variable of its own", "weights")
        finally:
            self._composing.discard(id(classdef))
        layer = None if best is None else catalog.LayerClass(f"layer holding a {best[0]}", best[1])
        self._composites[id(classdef)] = layer
        return layer

    def _kept(self, cls: nodes.ClassDef, depth: int, owner: nodes.ClassDef) -> Iterator[Held]:
        """What a class keeps on self: the layers its `self.x = ...` assignments construct,
        in containers too (`self.blocks = [Dense(4) for _ in range(3)]`); `owner` is the
        class whose instance it is (`cls` or a subclass)."""
        for assigns in cls.instance_attrs.values():
            for assign in assigns:
                for value in _elements(assigned_value(assign)):
                    for held in self.instance_classes(value, depth + 1, owner) or ():
                        if held.layer.category in CATEGORY_STRENGTH:
                            yield held

    def layer_base(
        self, classdef: nodes.ClassDef, seen: Optional[Set[int]] = None
    ) -> Optional[catalog.LayerClass]:
        """The catalogued Keras layer a project class derives from, nearest base first."""
        seen = set() if seen is None else seen
        if id(classdef) in seen or len(seen) > MAX_DEPTH:
            return None
        seen.add(id(classdef))
        for base in classdef.bases:
            for ref in self.names.referents(base) or ():
                if isinstance(ref, str):
                    layer = catalog.keras_layer(ref, self.extra)
                elif isinstance(ref, nodes.ClassDef):
                    layer = self.layer_base(ref, seen)
                else:
                    layer = None
                if layer is not None and layer.category == catalog.MODEL:
                    return None  # a subclassed model's state is its own code's business
                if layer is not None:
                    return layer
        return None

    def is_keras_class(self, classdef: nodes.ClassDef, seen: Optional[Set[int]] = None) -> bool:
        """Whether a project class derives, through project classes, from a Keras layer or model."""
        if id(classdef) in self._keras:
            return self._keras[id(classdef)]
        seen = set() if seen is None else seen
        if id(classdef) in seen or len(seen) > MAX_DEPTH:
            return False
        seen.add(id(classdef))
        result = False
        for base in _base_choices(classdef.bases):
            for ref in self.names.referents(base) or ():
                if isinstance(ref, str):
                    result = catalog.is_keras_base(ref) or ref in self.extra
                elif isinstance(ref, nodes.ClassDef):
                    result = self.is_keras_class(ref, seen)
                if result:
                    break
            if result:
                break
        self._keras[id(classdef)] = result
        return result

    # -- what an attribute holds ----------------------------------------------------------
    def held_by(self, classdef: nodes.ClassDef, attr: str) -> Optional[Held]:
        """The layer class `self.<attr>` holds, when every assignment of it agrees; else None.

        `attr` may name one slot of a container attribute: `norms[0]`, `heads['age']`.
        """
        attr, index = _split_slot(attr)
        values: List[Optional[nodes.NodeNG]] = []
        for cls in self._project_mro(classdef):
            for assign in cls.instance_attrs.get(attr, ()):
                if not _declaration_only(assign):
                    values.append(assigned_value(assign))
            for assign in cls.locals.get(attr, ()):
                if _declaration_only(assign):
                    continue
                if isinstance(assign, nodes.AssignName):
                    values.append(assigned_value(assign))
                else:
                    values.append(None)  # a method, nested class or import of that name
        if index is not _NO_INDEX:
            values = [_slot_value(v, index) for v in values]
        if not values or None in values:
            return None
        return agree(all_or_none(self.instance_classes(v, owner=classdef) for v in values))

    def held_by_value(self, node: nodes.NodeNG) -> Optional[Held]:
        """The layer class an expression's value is, when every way it may go agrees."""
        return agree(self.instance_classes(node))

    def keeps_argument(self, func: nodes.NodeNG) -> bool:
        """Whether a callee is a Keras layer or model class, or a project subclass of one, that
        keeps a layer handed to its constructor (Bidirectional copies it instead)."""
        refs = self.names.referents(func)
        if not refs:
            return False
        for ref in refs:
            if isinstance(ref, str):
                if not (catalog.is_keras_base(ref) or catalog.keras_layer(ref, self.extra)):
                    return False
                if catalog.copies_layer_argument(ref):
                    return False
            elif not (isinstance(ref, nodes.ClassDef) and self.is_keras_class(ref)):
                return False
        return True

    def _project_mro(self, classdef: nodes.ClassDef) -> List[nodes.ClassDef]:
        order: List[nodes.ClassDef] = []
        todo, seen = [classdef], set()
        while todo and len(order) <= MAX_DEPTH:
            cls = todo.pop(0)
            if id(cls) in seen:
                continue
            seen.add(id(cls))
            order.append(cls)
            for base in cls.bases:
                todo.extend(
                    r for r in self.names.referents(base) or () if isinstance(r, nodes.ClassDef)
                )
        return order


_SCOPES = (nodes.FunctionDef, nodes.ClassDef, nodes.Lambda)


_NO_INDEX = object()


def _split_slot(attr: str) -> Tuple[str, Any]:
    """`norms[0]` -> ('norms', 0); `norm` -> ('norm', _NO_INDEX)."""
    if not attr.endswith("]") or "[" not in attr:
        return attr, _NO_INDEX
    name, _, index = attr[:-1].partition("[")
    try:
        return name, ast.literal_eval(index)
    except (ValueError, SyntaxError):
        return attr, _NO_INDEX


def _slot_value(value: Optional[nodes.NodeNG], index: Any) -> Optional[nodes.NodeNG]:
    """The expression a container literal holds at a constant index, when it is known; all
    elements of a comprehension are made by one expression."""
    if value is None:
        return None
    if isinstance(value, (nodes.List, nodes.Tuple)) and isinstance(index, int):
        if -len(value.elts) <= index < len(value.elts) and not any(
            isinstance(e, nodes.Starred) for e in value.elts
        ):
            return value.elts[index]
        return None
    if isinstance(value, nodes.Dict):
        found = [v for k, v in value.items if isinstance(k, nodes.Const) and k.value == index]
        return found[-1] if found else None
    if isinstance(value, nodes.ListComp) and isinstance(index, int):
        return value.elt
    if isinstance(value, nodes.DictComp):
        return value.value
    return None


def _elements(value: Optional[nodes.NodeNG]) -> List[nodes.NodeNG]:
    """The expressions a kept value holds: itself, or a container's elements."""
    if value is None:
        return []
    if isinstance(value, (nodes.List, nodes.Tuple, nodes.Set)):
        return list(value.elts)
    if isinstance(value, nodes.Dict):
        return [v for _, v in value.items]
    if isinstance(value, (nodes.ListComp, nodes.SetComp, nodes.GeneratorExp)):
        return [value.elt]
    if isinstance(value, nodes.DictComp):
        return [value.value]
    return [value]


def _creates_variables(cls: nodes.ClassDef) -> bool:
    """Whether a class's methods call `self.add_weight(...)` (variables of its own)."""
    for method in cls.mymethods():
        for call in method.nodes_of_class(nodes.Call):
            func = call.func
            if (
                isinstance(func, nodes.Attribute)
                and func.attrname in VARIABLE_MAKERS
                and isinstance(func.expr, nodes.Name)
                and func.expr.name == _first_arg(method)
            ):
                return True
    return False


def _base_choices(bases: List[nodes.NodeNG]) -> Iterator[nodes.NodeNG]:
    """The bases as written, with each branch of a conditional base (`object if debug else
    Layer`): the class is a Keras class when any branch makes it one."""
    todo = list(reversed(bases))
    while todo:
        base = todo.pop()
        if isinstance(base, nodes.IfExp):
            todo.extend((base.orelse, base.body))
        else:
            yield base


def _first_arg(method: nodes.FunctionDef) -> Optional[str]:
    args = method.args.posonlyargs + (method.args.args or [])
    return args[0].name if args else None


def agree(found: Optional[List[Held]]) -> Optional[Held]:
    """One Held for several possible classes when they share a category; else None."""
    if not found:
        return None
    if len({h.layer.category for h in found}) != 1:
        return None
    names = {h.name for h in found}
    if len(names) == 1:
        return found[0]
    return Held(" or ".join(sorted(names)), found[0].layer)


def _declaration_only(target: nodes.NodeNG) -> bool:
    """`x: Layer` without a value annotates; it assigns nothing."""
    return isinstance(target.parent, nodes.AnnAssign) and target.parent.value is None


def _both(a: Optional[List[Held]], b: Optional[List[Held]]) -> Optional[List[Held]]:
    return None if a is None or b is None else a + b
