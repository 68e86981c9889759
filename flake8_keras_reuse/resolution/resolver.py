"""Resolution: which class a name or an expression denotes, from imports and the project's code.

Names are followed back to their binding with astroid's `scope_lookup()`: an import gives a
qualified name (decided by the catalog, never imported), a class or function of the project is
read from its module. Anything else is unknown, and unknown means no finding.
"""
import ast
from dataclasses import dataclass

from astroid import nodes

from ..knowledge import catalog
from ..knowledge.keras_api import CATEGORY_STRENGTH, VARIABLE_MAKERS

MAX_DEPTH = 25  # how far one resolution may chase names, re-exports, factories and bases


@dataclass(frozen=True)
class Held:
    """The class of the layer an attribute holds."""

    name: str  # as the user wrote it (a user subclass keeps its own name)
    layer: catalog.LayerClass  # the Keras class it is or derives from


class Resolver:
    def __init__(self, project, extra=None):
        self.project = project
        self.extra = extra or {}
        self._keras = {}
        self._composites = {}  # id(ClassDef) -> LayerClass or None
        self._composing = set()

    # -- what a name refers to -------------------------------------------------------------
    def referents(self, node, depth=0):
        """What an expression names: qualified names (str) and project classes or functions.

        None when any part of it is unknown.
        """
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, nodes.Name):
            bindings = _lookup(node)
            if bindings is None:
                return None
            if bindings:
                return self._bindings(node.name, bindings, depth)
            return self._star_imported(node.root(), node.name, depth)
        if isinstance(node, nodes.Attribute):
            bases = self.referents(node.expr, depth + 1)
            if bases is None:
                return None
            return _all(self._attribute(base, node.attrname, depth + 1) for base in bases)
        return None

    def _attribute(self, base, attr, depth):
        """What `<base>.<attr>` names, for one referent of the base."""
        if isinstance(base, str):
            return self._qualified(f"{base}.{attr}", depth)
        if isinstance(base, nodes.Module):
            return self._member(base, attr, depth)
        return None

    def _star_imported(self, module, name, depth):
        """A name no statement binds may come from `from m import *` (read, never imported)."""
        found = []
        for stmt in module.body:
            if not (isinstance(stmt, nodes.ImportFrom) and stmt.names[0][0] == "*"):
                continue
            modname = stmt.modname
            if stmt.level:
                try:
                    modname = module.relative_to_absolute_name(modname, stmt.level)
                except Exception:
                    continue
            source = self.project.load(modname)
            if source is not None:
                if name in source.locals:
                    found.extend(self._member(source, name, depth + 1) or ())
            elif catalog.is_keras_name(f"{modname}.{name}"):
                found.append(f"{modname}.{name}")
            else:
                return None  # a module we may not read could define the name
        return found or None

    def _bindings(self, name, bindings, depth):
        return _all(self._binding(name, binding, depth + 1) for binding in bindings)

    def _binding(self, name, binding, depth):
        if isinstance(binding, nodes.Import):
            return self._qualified(binding.real_name(name), depth)
        if isinstance(binding, nodes.ImportFrom):
            modname = binding.modname
            if binding.level:
                try:
                    modname = binding.root().relative_to_absolute_name(modname, binding.level)
                except Exception:
                    return None
            return self._qualified(f"{modname}.{binding.real_name(name)}", depth)
        if isinstance(binding, (nodes.ClassDef, nodes.FunctionDef)):
            return [binding]
        if isinstance(binding, nodes.AssignName):
            value = _assigned_value(binding)
            return None if value is None else self.referents(value, depth)
        return None

    def _qualified(self, qname, depth):
        """A dotted name: a project module or member when the project has it, else the name."""
        if depth > MAX_DEPTH:
            return None
        parts = qname.split(".")
        for cut in range(len(parts), 0, -1):
            module = self.project.load(".".join(parts[:cut]))
            if module is None:
                continue
            found = [module]
            for attr in parts[cut:]:
                found = _all(self._member(item, attr, depth + 1)
                             if isinstance(item, nodes.Module) else None for item in found)
                if found is None:
                    return None
            return found
        return [qname]

    def _member(self, module, name, depth):
        bindings = module.locals.get(name)
        if not bindings:
            # `pkg.sub` where sub is a submodule that the package does not import itself.
            sub = self.project.load(f"{module.name}.{name}")
            return [sub] if sub is not None else None
        return self._bindings(name, bindings[-1:], depth)

    # -- what class an object is -----------------------------------------------------------
    def instance_classes(self, node, depth=0):
        """The classes an expression's value may be an instance of; None when unknown.

        A `None` constant contributes nothing (layers are often declared None, then built).
        """
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, nodes.Const) and node.value is None:
            return []
        if (isinstance(node, nodes.BinOp) and node.op == "*"
                and isinstance(node.left, nodes.List) and len(node.left.elts) == 1):
            return self.instance_classes(node.left.elts[0], depth + 1)  # [Norm()] * n
        if isinstance(node, nodes.IfExp):
            return _both(self.instance_classes(node.body, depth + 1),
                         self.instance_classes(node.orelse, depth + 1))
        if isinstance(node, nodes.Name):
            bindings = _lookup(node)
            if bindings is None:
                return None
            values = [_assigned_value(b) if isinstance(b, nodes.AssignName) else None
                      for b in bindings]
            if not values or None in values:
                return None
            return _all(self.instance_classes(value, depth + 1) for value in values)
        if isinstance(node, nodes.Call):
            callees = self.referents(node.func, depth + 1)
            if not callees:
                return None
            return _all(self._constructed(callee, depth + 1) for callee in callees)
        return None

    def _constructed(self, callee, depth):
        if isinstance(callee, str):
            layer = catalog.keras_layer(callee, self.extra)
            return None if layer is None else [Held(layer.name, layer)]
        if isinstance(callee, nodes.ClassDef):
            layer = self._configured(callee) or self.layer_base(callee)
            if (layer is None or layer.category not in catalog.STATEFUL) \
                    and self.is_keras_class(callee):
                layer = self.composite(callee, depth + 1) or layer
            return None if layer is None else [Held(callee.name, layer)]
        if isinstance(callee, nodes.FunctionDef):  # a factory: what its returns construct
            returns = [r for r in callee.nodes_of_class(nodes.Return, skip_klass=_SCOPES)
                       if r.scope() is callee]
            if not returns or any(r.value is None for r in returns):
                return None
            return _all(self.instance_classes(r.value, depth + 1) for r in returns)
        return None

    def _configured(self, classdef):
        """A project class named in the options, by its qualified name."""
        qname = f"{classdef.root().name}.{classdef.name}"
        if qname in self.extra:
            return catalog.LayerClass(classdef.name, self.extra[qname])
        return None

    def composite(self, classdef, depth=0):
        """The category of a project layer or model from what it keeps: the strongest of the
        layers it constructs and keeps on self (statistics > weights > table), or weights when
        it creates variables of its own (`self.add_weight`). None when it keeps nothing."""
        if depth > MAX_DEPTH or id(classdef) in self._composing:
            return None
        if id(classdef) in self._composites:
            return self._composites[id(classdef)]
        self._composing.add(id(classdef))
        try:
            best = None
            for cls in self._project_mro(classdef):
                for held in self._kept(cls, depth):
                    if best is None or CATEGORY_STRENGTH[held.layer.category] > CATEGORY_STRENGTH[best[1]]:
                        best = (held.layer.name, held.layer.category)
                if (best is None or best[1] == "table") and _creates_variables(cls):
                    best = ("variable of its own", "weights")
        finally:
            self._composing.discard(id(classdef))
        layer = None if best is None else catalog.LayerClass(f"layer holding a {best[0]}",
                                                             best[1])
        self._composites[id(classdef)] = layer
        return layer

    def _kept(self, cls, depth):
        """What a class keeps on self: the layers its `self.x = ...` assignments construct,
        in containers too (`self.blocks = [Dense(4) for _ in range(3)]`)."""
        for assigns in cls.instance_attrs.values():
            for assign in assigns:
                for value in _elements(_assigned_value(assign)):
                    for held in self.instance_classes(value, depth + 1) or ():
                        if held.layer.category in CATEGORY_STRENGTH:
                            yield held

    def layer_base(self, classdef, seen=None):
        """The catalogued Keras layer a project class derives from, nearest base first."""
        seen = set() if seen is None else seen
        if id(classdef) in seen or len(seen) > MAX_DEPTH:
            return None
        seen.add(id(classdef))
        for base in classdef.bases:
            for ref in self.referents(base) or ():
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

    def is_keras_class(self, classdef, seen=None):
        """Whether a project class derives, through project classes, from a Keras layer or model."""
        if id(classdef) in self._keras:
            return self._keras[id(classdef)]
        seen = set() if seen is None else seen
        if id(classdef) in seen or len(seen) > MAX_DEPTH:
            return False
        seen.add(id(classdef))
        result = False
        for base in classdef.bases:
            for ref in self.referents(base) or ():
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
    def held_by(self, classdef, attr):
        """The layer class `self.<attr>` holds, when every assignment of it agrees; else None.

        `attr` may name one slot of a container attribute: `norms[0]`, `heads['age']`.
        """
        attr, index = _split_slot(attr)
        values = []
        for cls in self._project_mro(classdef):
            for assign in cls.instance_attrs.get(attr, ()):
                if not _declaration_only(assign):
                    values.append(_assigned_value(assign))
            for assign in cls.locals.get(attr, ()):
                if _declaration_only(assign):
                    continue
                if isinstance(assign, nodes.AssignName):
                    values.append(_assigned_value(assign))
                else:
                    values.append(None)  # a method, nested class or import of that name
        if index is not _NO_INDEX:
            values = [_slot_value(v, index) for v in values]
        if not values or None in values:
            return None
        return agree(_all(self.instance_classes(v) for v in values))

    def held_by_value(self, node):
        """The layer class an expression's value is, when every way it may go agrees."""
        return agree(self.instance_classes(node))

    def keeps_argument(self, func):
        """Whether a callee is a Keras layer or model class, or a project subclass of one, that
        keeps a layer handed to its constructor (Bidirectional copies it instead)."""
        refs = self.referents(func)
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

    def _project_mro(self, classdef):
        order, todo, seen = [], [classdef], set()
        while todo and len(order) <= MAX_DEPTH:
            cls = todo.pop(0)
            if id(cls) in seen:
                continue
            seen.add(id(cls))
            order.append(cls)
            for base in cls.bases:
                todo.extend(r for r in self.referents(base) or () if isinstance(r, nodes.ClassDef))
        return order


_SCOPES = (nodes.FunctionDef, nodes.ClassDef, nodes.Lambda)


def _lookup(name):
    """The statements binding a Name node, as astroid's `lookup()` finds them; [] for a name no
    scope around it binds, None when the lookup fails on an odd tree.

    astroid looks an unbound name up in its model of `builtins`, which it builds on first use
    (12 MiB and 0.1 s per process); no builtin is a Keras layer, so it is never asked. And
    `lookup()` keeps its last 128 answers in a process-wide cache, each holding its tree alive
    after the check; `scope_lookup` is what it calls, without the cache."""
    scope = name.scope()
    while scope is not None:
        if name.name in scope.locals:
            break
        scope = scope.parent.scope() if scope.parent is not None else None
    else:
        return []
    try:
        return name.scope().scope_lookup(name, name.name)[1]
    except Exception:  # noqa: BLE001 - astroid's lookup on odd trees: unknown, not a crash
        return None




_NO_INDEX = object()


def _split_slot(attr):
    """`norms[0]` -> ('norms', 0); `norm` -> ('norm', _NO_INDEX)."""
    if not attr.endswith("]") or "[" not in attr:
        return attr, _NO_INDEX
    name, _, index = attr[:-1].partition("[")
    try:
        return name, ast.literal_eval(index)
    except (ValueError, SyntaxError):
        return attr, _NO_INDEX


def _slot_value(value, index):
    """The expression a container literal holds at a constant index, when it is known; all
    elements of a comprehension are made by one expression."""
    if value is None:
        return None
    if isinstance(value, (nodes.List, nodes.Tuple)) and isinstance(index, int):
        if -len(value.elts) <= index < len(value.elts) and not any(
                isinstance(e, nodes.Starred) for e in value.elts):
            return value.elts[index]
        return None
    if isinstance(value, nodes.Dict):
        found = [v for k, v in value.items
                 if isinstance(k, nodes.Const) and k.value == index]
        return found[-1] if found else None
    if isinstance(value, nodes.ListComp) and isinstance(index, int):
        return value.elt
    if isinstance(value, nodes.DictComp):
        return value.value
    return None


def _elements(value):
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


def _creates_variables(cls):
    """Whether a class's methods call `self.add_weight(...)` (variables of its own)."""
    for method in cls.mymethods():
        for call in method.nodes_of_class(nodes.Call):
            func = call.func
            if isinstance(func, nodes.Attribute) and func.attrname in VARIABLE_MAKERS \
                    and isinstance(func.expr, nodes.Name) and func.expr.name == _first_arg(method):
                return True
    return False


def _first_arg(method):
    args = method.args.posonlyargs + (method.args.args or [])
    return args[0].name if args else None


def _assigned_value(target):
    """The expression a simple `name = value` / `self.x = value` target receives, else None."""
    stmt = target.parent
    if isinstance(stmt, nodes.Assign) and target in stmt.targets:
        return stmt.value
    if isinstance(stmt, nodes.AnnAssign) and stmt.target is target:
        return stmt.value
    return None


def agree(found):
    """One Held for several possible classes when they share a category; else None."""
    if not found:
        return None
    if len({h.layer.category for h in found}) != 1:
        return None
    names = {h.name for h in found}
    if len(names) == 1:
        return found[0]
    return Held(" or ".join(sorted(names)), found[0].layer)


def _declaration_only(target):
    """`x: Layer` without a value annotates; it assigns nothing."""
    return isinstance(target.parent, nodes.AnnAssign) and target.parent.value is None


def _both(a, b):
    return None if a is None or b is None else a + b


def _all(results):
    found = []
    for result in results:
        if result is None:
            return None
        found.extend(result)
    return found
