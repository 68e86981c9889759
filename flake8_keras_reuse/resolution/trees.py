"""astroid trees built from already parsed stdlib trees, pruned to what resolution reads, and
the cyclic collector's policy for them (pause while building, freeze what is cached, make a
dropped tree acyclic).

The block list and the instance-method test mirror `core.syntax.BLOCKS` and
`core.syntax.is_instance_method`, on astroid nodes: resolution imports nothing of the core.
"""

from __future__ import annotations

import ast
import gc
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional

from astroid import MANAGER, nodes
from astroid.rebuilder import TreeRebuilder


@contextmanager
def _collector_paused() -> Iterator[None]:
    # Building a tree allocates many small objects that live as long as the tree; the cyclic
    # collector would otherwise scan them again and again, for most of the build's time.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def settle(collect: bool = False) -> None:
    """Exempt what is alive now (astroid's code, cached project trees) from the
    cyclic collector's future scans: every full collection would walk them again, for far
    longer than the check itself. A frozen object is still freed by
    reference counting, and a cached tree is made acyclic when the cache drops it (release), so
    it is freed then. `collect` runs a full collection first, so that no cyclic garbage (of
    this plugin, of flake8 or of other plugins) is frozen with them: frozen, it would never be
    freed."""
    if collect:
        gc.collect()
    gc.freeze()


def release(module: nodes.Module) -> None:
    """Make a cached tree acyclic so that reference counting frees it as soon as it is dropped:
    its parent links and scope tables make cycles, and a frozen tree is never scanned by the
    collector. Every node an attribute holds is reached: docstring nodes (doc_node), type
    comments and the like hold their parent too (through children only, part of each tree
    stayed alive, and frozen, for good: a leak once the cache evicts)."""
    todo, seen = [module], {id(module)}
    while todo:
        node = todo.pop()
        for value in [*vars(node).values(), list(node.get_children())]:
            for item in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(item, nodes.NodeNG) and id(item) not in seen:
                    seen.add(id(item))
                    todo.append(item)
        node.parent = None
        for table in ("locals", "instance_attrs", "globals"):
            if isinstance(getattr(node, table, None), dict):
                setattr(node, table, {})


def rebuild(
    tree: ast.Module,
    source: str,
    modname: str,
    path: str,
    package: bool,
    keeps: Callable[[ast.expr], bool],
) -> nodes.Module:
    """The astroid tree for a parsed stdlib tree (no second parse, no transforms), leaving out
    what resolution never reads where `keeps(node)` is false (_Rebuilder).

    Does the two steps of astroid's own post-build that need no inference: names imported with
    `from m import n` become locals, and `self.x = ...` in a method becomes an instance attribute.
    astroid's version of the second infers `self`, which can make it load Keras. Both are found
    by walking the statements ourselves: the rebuilder's own lists are private and changed
    shape between astroid 3 and 4.
    """
    with _collector_paused():
        rebuilder = _Rebuilder(MANAGER, data=source)
        rebuilder.keeps = keeps
        module = rebuilder.visit_module(tree, modname, path, package)
        for node in _statements(module):
            if isinstance(node, nodes.ImportFrom):
                _import_locals(module, node)
            for target in _attribute_targets(node):
                classdef = _instance_class(target)
                if classdef is not None:
                    classdef.instance_attrs.setdefault(target.attrname, []).append(target)
    return module


class _Rebuilder(TreeRebuilder):
    """astroid's rebuilder, leaving out what resolution never reads unless `keeps(node)`: the
    arguments of calls, and expressions of kinds it never looks into (arithmetic other than
    `[Layer()] * n`, comparisons, subscripts, f-strings), which become an opaque `...`."""

    keeps: Callable[[ast.expr], bool]

    def visit_call(self, node: ast.Call, parent: nodes.NodeNG) -> nodes.NodeNG:
        if (node.args or node.keywords) and not self.keeps(node):
            node = ast.Call(func=node.func, args=[], keywords=[], **_span_of(node))
        return super().visit_call(node, parent)

    def _opaque(
        self,
        node: ast.expr,
        parent: nodes.NodeNG,
        visit: Callable[[Any, nodes.NodeNG], nodes.NodeNG],
    ) -> nodes.NodeNG:
        if self.keeps(node):
            return visit(node, parent)
        return self.visit_constant(ast.Constant(value=..., **_span_of(node)), parent)

    def visit_binop(self, node: ast.BinOp, parent: nodes.NodeNG) -> nodes.NodeNG:
        if isinstance(node.op, ast.Mult) and (
            isinstance(node.left, ast.List) or isinstance(node.right, ast.List)
        ):
            return super().visit_binop(node, parent)  # `[Norm()] * n`: one instance, n slots
        return self._opaque(node, parent, super().visit_binop)

    def visit_boolop(self, node: ast.BoolOp, parent: nodes.NodeNG) -> nodes.NodeNG:
        return self._opaque(node, parent, super().visit_boolop)

    def visit_compare(self, node: ast.Compare, parent: nodes.NodeNG) -> nodes.NodeNG:
        return self._opaque(node, parent, super().visit_compare)

    def visit_unaryop(self, node: ast.UnaryOp, parent: nodes.NodeNG) -> nodes.NodeNG:
        return self._opaque(node, parent, super().visit_unaryop)

    def visit_subscript(self, node: ast.Subscript, parent: nodes.NodeNG) -> nodes.NodeNG:
        return self._opaque(node, parent, super().visit_subscript)

    def visit_joinedstr(self, node: ast.JoinedStr, parent: nodes.NodeNG) -> nodes.NodeNG:
        return self._opaque(node, parent, super().visit_joinedstr)


def _span_of(node: ast.expr) -> Dict[str, Any]:
    """A stdlib node's position, as keyword arguments for the node that stands in for it."""
    return {
        "lineno": node.lineno,
        "col_offset": node.col_offset,
        "end_lineno": node.end_lineno,
        "end_col_offset": node.end_col_offset,
    }


_BLOCKS = ("body", "orelse", "handlers", "finalbody", "cases")  # core.syntax.BLOCKS' fields


def _statements(module: nodes.Module) -> Iterator[nodes.NodeNG]:
    """Every statement of an astroid module, nested blocks and scopes included, in order."""
    todo = list(reversed(module.body))
    while todo:
        node = todo.pop()
        yield node
        for name in _BLOCKS:
            children = getattr(node, name, None)
            if isinstance(children, list):
                todo.extend(reversed(children))


def _attribute_targets(stmt: nodes.NodeNG) -> Iterator[nodes.AssignAttr]:
    """The attribute targets (`self.x`) a statement assigns, in tuples and starred too."""
    if isinstance(stmt, nodes.Assign):
        todo = list(stmt.targets)
    elif isinstance(stmt, (nodes.AnnAssign, nodes.AugAssign, nodes.For)):
        todo = [stmt.target]
    elif isinstance(stmt, nodes.With):
        todo = [var for _, var in stmt.items if var is not None]
    else:
        return
    while todo:
        target = todo.pop()
        if isinstance(target, nodes.AssignAttr):
            yield target
        elif isinstance(target, (nodes.Tuple, nodes.List)):
            todo.extend(target.elts)
        elif isinstance(target, nodes.Starred):
            todo.append(target.value)


def _import_locals(module: nodes.Module, node: nodes.ImportFrom) -> None:
    """`from m import n` binds n where it stands, or in the module when n is declared global."""
    frame = node.frame()
    declared: set = set()
    if frame is not module:
        for stmt in getattr(frame, "body", ()):
            if isinstance(stmt, nodes.Global):
                declared.update(stmt.names)
    for name, asname in node.names:
        if name == "*":
            continue  # resolved on demand (names.py), never by importing
        name = asname or name
        scope = module if name in declared else node.parent
        scope.set_local(name, node)
        scope.scope().locals[name].sort(key=lambda n: n.fromlineno or 0)


def _instance_class(target: nodes.AssignAttr) -> Optional[nodes.ClassDef]:
    """The class whose instance `target` assigns to, when it is `self.x` in an instance method
    (the test of core.syntax.is_instance_method, on astroid)."""
    func = target.frame()
    if not isinstance(target.expr, nodes.Name) or not isinstance(func, nodes.FunctionDef):
        return None
    args: List[nodes.AssignName] = func.args.posonlyargs + (func.args.args or [])
    if not args or args[0].name != target.expr.name or not isinstance(func.parent, nodes.ClassDef):
        return None
    # A staticmethod's or classmethod's first parameter is no instance. Read the decorators by
    # name: astroid's `FunctionDef.type` infers them, which may load the libraries they come from.
    for decorator in func.decorators.nodes if func.decorators else ():
        name = getattr(decorator, "name", None) or getattr(decorator, "attrname", None)
        if name in ("staticmethod", "classmethod"):
            return None
    return func.parent
