"""Ownership: one layer instance bound to two owners (KR004), and attributes that share one.

Syntax only: which construction each local name holds, and where that instance is bound to an
owner (an attribute, a list slot, another layer's or model's constructor). Resolution decides
later whether the instance is a layer with state and the owner a Keras class.
"""
import ast
from dataclasses import dataclass

from .syntax import blocks, is_self_attr, makes_object, terminal_name
from ..knowledge.keras_api import SEQUENTIAL


@dataclass(frozen=True)
class Binding:
    """A second owner for one instance: report it at (line, col)."""

    line: int
    col: int
    instance: ast.Call  # the construction
    shown: str  # how the instance is written at the binding
    owner: str  # what it is bound to: "self.norm_right", "Branch(...)", "a list"
    first_line: int
    owner_class: ast.AST = None  # for constructor arguments: the constructor call, to resolve
    borrows_layers: bool = False  # `Sequential(model_a.layers)`: the layers of `instance`


def bindings(scope, lines=None, repeats=True, self_param="self"):
    """Second bindings of one instance in a module or function body, in source order.

    `self_param` names the object whose attributes are owners (a method's first parameter).
    With the file's `lines` (syntax.source_lines), a statement whose text names no layer kept
    so far is skipped without walking its expressions (unless `repeats`: the file may hold
    `[Layer()] * n`).
    """
    def _is_self_attr(node):
        return is_self_attr(node, self_param)

    owners = {}  # id(construction) -> line of its first owner
    found = []
    # Per block as the walk goes: built (local name -> construction) and attrs (self attribute
    # -> the construction assigned to it in this body).

    def bind(instance, node, shown, owner, owner_class=None):
        key = id(instance)
        if key in owners:
            found.append(Binding(node.lineno, node.col_offset, instance, shown, owner,
                                 owners[key], owner_class))
        else:
            owners[key] = node.lineno

    def visit(node, built, attrs):
        if lines is not None and not repeats and not _names_any(node, lines, built):
            own = []
        else:
            own = list(_own_nodes(node))
        in_sequential = {id(sub.args[0]) for sub in own
                         if isinstance(sub, ast.Call) and _callee_name(sub) == SEQUENTIAL
                         and sub.args}
        for sub in own:
            if _repeated_list(sub) is not None:  # [Layer()] * n: one instance in n slots
                one = _repeated_list(sub)
                # Named by where the list goes (`self.norms`), else by what it repeats.
                shown = _callee_name(one) + "()"
                if isinstance(node, ast.Assign) and node.value is sub:
                    shown = ast.unparse(node.targets[0]) + "[0]"
                found.append(Binding(sub.lineno, sub.col_offset, one, shown,
                                     "a list, n times", sub.lineno))
            elif isinstance(sub, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
                if id(sub) in in_sequential:
                    continue  # listed twice in a Sequential is a call (KR001/KR002), not this
                elts = sub.values if isinstance(sub, ast.Dict) else sub.elts
                seen = set()
                for elt in elts:
                    if isinstance(elt, ast.Name) and elt.id in built:
                        if elt.id in seen:
                            found.append(Binding(elt.lineno, elt.col_offset, built[elt.id],
                                                 elt.id, "the same collection", elt.lineno))
                        seen.add(elt.id)
            elif isinstance(sub, ast.Call) and _callee_name(sub)[:1].isupper():
                model = _layers_of(sub.args[0]) if _callee_name(sub) == SEQUENTIAL \
                    and sub.args else None
                if model in built:  # `Sequential(model_a.layers[:-1])`: model_a keeps them too
                    found.append(Binding(sub.lineno, sub.col_offset, built[model],
                                         f"{model}.layers", "Sequential(...)",
                                         built[model].lineno, sub, borrows_layers=True))
                for arg in list(sub.args) + [k.value for k in sub.keywords]:
                    if isinstance(arg, ast.Name) and arg.id in built:
                        bind(built[arg.id], sub, arg.id, f"{_callee_name(sub)}(...)", sub)
        if isinstance(node, ast.Assign):
            value = node.value
            for target in node.targets:
                if isinstance(target, ast.Name):
                    if _constructs(value):
                        built[target.id] = value
                    elif isinstance(value, ast.Name) and value.id in built:
                        built[target.id] = built[value.id]  # an alias, not an owner
                    else:
                        built.pop(target.id, None)
                elif _is_self_attr(target):
                    owner = f"self.{target.attr}"
                    if isinstance(value, ast.Name) and value.id in built:
                        bind(built[value.id], node, value.id, owner)
                        attrs[target.attr] = built[value.id]
                    elif _is_self_attr(value) and value.attr in attrs:
                        # `self.b = self.a`, where self.a was made here: a second owner
                        bind(attrs[value.attr], node, f"self.{value.attr}", owner)
                    elif _constructs(value):
                        if id(value) in owners:  # `self.a = self.b = Norm()`
                            first = next(t for t in node.targets if _is_self_attr(t))
                            bind(value, target, f"self.{first.attr}", owner)
                        attrs[target.attr] = value
                        owners.setdefault(id(value), node.lineno)

    def walk(block, built, attrs):
        for node in block:
            visit(node, built, attrs)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            for nested in blocks(node):
                # A branch that always leaves (return, raise) takes its names with it: a later
                # branch that uses the same name sees the parameter, not this construction.
                branch_built, branch_attrs = dict(built), dict(attrs)
                walk(nested, branch_built, branch_attrs)
                if not _leaves(nested):
                    built.update(branch_built)
                    attrs.update(branch_attrs)

    walk(scope.body, {}, {})
    return sorted(found, key=lambda b: (b.line, b.col))


def attribute_aliases(assigns):
    """{attr: owning attr} for attributes bound to one instance (`self.a = bn; self.b = bn`),
    from a class's syntax.instance_assignments."""
    assigned = {}
    groups = {}
    local, method = {}, None
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
                        target.attr)
    aliases = {}
    for attrs in groups.values():
        # Only attributes assigned exactly once are known to hold that instance.
        if len(set(attrs)) > 1 and all(assigned.get(a, 0) <= 1 or a == attrs[0] for a in attrs):
            for attr in attrs[1:]:
                aliases[attr] = attrs[0]
    return aliases


def attributes_always(assigns, holds):
    """Attributes every assignment of which (`self.x = value` in a method) satisfies `holds`,
    from a class's syntax.instance_assignments."""
    verdict = {}
    for _, instance, node in assigns:
        for target in node.targets:
            if is_self_attr(target, instance):
                verdict[target.attr] = verdict.get(target.attr, True) and holds(node.value)
    return {attr for attr, ok in verdict.items() if ok}


def repeated_attributes(assigns):
    """Attributes holding one instance in several slots: `self.norms = [Norm()] * n`."""
    return attributes_always(assigns, lambda value: _repeated_list(value) is not None)


def _repeated_list(node):
    """The construction in `[Layer()] * n` or `n * [Layer()]`, else None."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for side in (node.left, node.right):
            if isinstance(side, ast.List) and len(side.elts) == 1 and _constructs(side.elts[0]):
                return side.elts[0]
    return None


def _leaves(block):
    return bool(block) and isinstance(block[-1], (ast.Return, ast.Raise, ast.Continue,
                                                  ast.Break))


def _own_nodes(stmt):
    """The expressions of one statement, without those of nested statements or scopes."""
    todo = [c for c in ast.iter_child_nodes(stmt)
            if not isinstance(c, (ast.stmt, ast.excepthandler))]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Lambda, ast.FunctionDef, ast.ClassDef)):
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def _names_any(stmt, lines, names):
    """Whether the statement's own text (up to its first nested block) mentions one of names."""
    if not names:
        return False
    end = stmt.end_lineno
    for block in blocks(stmt):
        if block:
            end = min(end, block[0].lineno - 1)
    text = "\n".join(lines[stmt.lineno - 1:max(end, stmt.lineno)])
    return any(name in text for name in names)


def _constructs(node):
    """Whether an expression makes a layer or model: `Dense(4)`, `layers.BN()`, `load_model(p)`."""
    return isinstance(node, ast.Call) and makes_object(node.func)


def _layers_of(node):
    """`m` for `m.layers` or `m.layers[:-1]`: a model's own layers."""
    if isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Attribute) and node.attr == "layers" \
            and isinstance(node.value, ast.Name):
        return node.value.id
    return None


def _callee_name(call):
    return terminal_name(call.func) or ""
