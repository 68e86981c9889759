"""Twins: the layer built beside a reused one that was likely meant at the second call.

`self.norm1` called twice while `self.norm2`, built beside it, is never used anywhere is a
copy-paste slip more often than a choice. A twin is an attribute of the same class assigned
once in the same constructor method, of the same layer class (resolution checks that), whose
name differs only by its number or `_x` suffix (`bn1`/`bn2`, `conv2`/`conv3`, `norm_a`/`norm_b`)
or whose constructor arguments are the same text. Used means read anywhere in the file (any
`.norm2`, or the string "norm2"); a class that reaches its attributes dynamically (`getattr`,
`setattr`, `__dict__`, `vars`) has no unused twin.
"""

from __future__ import annotations

import ast
import re
from typing import Dict, List, Optional, Set, Tuple

from .syntax import FUNCTIONS, self_name, terminal_name

_NUMBERED = re.compile(r"^(.*?[A-Za-z])(_?)(\d+)$|^(.*?[A-Za-z0-9])(_)([A-Za-z])$")
_DYNAMIC = ("getattr", "setattr", "__dict__", "vars", "__getattr__", "__setattr__")


def _stem(name: str) -> Optional[Tuple[str, str, bool]]:
    match = _NUMBERED.match(name)
    if match is None:
        return None
    if match.group(1) is not None:
        return match.group(1), match.group(2), True
    return match.group(4), match.group(5), False


def name_twins(one: str, other: str) -> bool:
    """`bn1`/`bn2`, `dense_1`/`dense_2`, `norm_a`/`norm_b`: one stem, another number or letter."""
    a, b = _stem(one), _stem(other)
    return a is not None and a == b and one != other


class Twins:
    """The file's reads (every attribute name loaded, every string constant), read once."""

    def __init__(self, tree: ast.Module) -> None:
        self.read: Set[str] = set()  # read on anything but another class's own instance
        self.own: Dict[int, Set[str]] = {}  # id(class) -> what its methods read of self
        self.dynamic: Set[int] = set()  # id() of classes that reach attributes dynamically
        self._made: Dict[int, Dict[str, Tuple[ast.AST, ast.Call]]] = {}  # per class, once
        self._reads(tree, None, None)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                (isinstance(n, ast.Name) and n.id in _DYNAMIC)
                or (isinstance(n, ast.Attribute) and n.attr in _DYNAMIC)
                or isinstance(n, ast.JoinedStr)
                for n in ast.walk(node)
            ):
                self.dynamic.add(id(node))

    def _reads(self, node: ast.AST, owner: Optional[ast.ClassDef], me: Optional[str]) -> None:
        """Every read under `node`; `me` is the instance name of the method it is in, whose
        reads of `me.x` are its class's (`owner`) own."""
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                self._reads(child, child, None)
                continue
            if isinstance(child, FUNCTIONS):
                method = owner is not None and child in owner.body
                self._reads(child, owner, self_name(child) if method else me)
                continue
            if isinstance(child, ast.Attribute) and not isinstance(child.ctx, ast.Store):
                if (
                    me is not None
                    and owner is not None
                    and isinstance(child.value, ast.Name)
                    and child.value.id == me
                ):
                    self.own.setdefault(id(owner), set()).add(child.attr)
                else:
                    self.read.add(child.attr)
            elif isinstance(child, ast.Constant) and isinstance(child.value, str):
                self.read.add(child.value)
            self._reads(child, owner, me)

    def unused(self, classdef: ast.ClassDef, attr: str) -> List[Tuple[str, ast.Call]]:
        """The unused twins of `self.<attr>`, name twins first: (name, construction)."""
        if id(classdef) in self.dynamic:
            return []
        made = self._made.get(id(classdef))
        if made is None:  # every reuse in the class asks: walk it once
            made = self._made[id(classdef)] = _constructions(classdef)
        mine = made.get(attr)
        if mine is None:
            return []
        method, ctor = mine
        found = []
        for name, (where, other) in made.items():
            if name == attr or where is not method or name in self.read:
                continue
            if name in self.own.get(id(classdef), set()):
                continue
            if terminal_name(other.func) != terminal_name(ctor.func):
                continue
            if name_twins(attr, name):
                found.append((0, name, other))
            elif _same_arguments(ctor, other):
                found.append((1, name, other))
        return [(name, other) for _, name, other in sorted(found, key=lambda f: f[0])]


def _constructions(classdef: ast.ClassDef) -> Dict[str, Tuple[ast.AST, ast.Call]]:
    """Attributes assigned exactly once in the class, by `self.x = Call(...)` in a method."""
    count: Dict[str, int] = {}
    made: Dict[str, Tuple[ast.AST, ast.Call]] = {}
    for method in classdef.body:
        if not isinstance(method, FUNCTIONS):
            continue
        me = self_name(method)
        for node in ast.walk(method):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                if isinstance(node.value, ast.Name) and node.value.id == me:
                    count[node.attr] = count.get(node.attr, 0) + 1
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Attribute)
                and isinstance(node.targets[0].value, ast.Name)
                and node.targets[0].value.id == me
                and isinstance(node.value, ast.Call)
            ):
                made[node.targets[0].attr] = (method, node.value)
    return {k: v for k, v in made.items() if count.get(k) == 1}


def _same_arguments(one: ast.Call, other: ast.Call) -> bool:
    def text(call: ast.Call) -> str:
        return ast.dump(
            ast.Call(func=ast.Name(id="_", ctx=ast.Load()), args=call.args, keywords=call.keywords)
        )

    return text(one) == text(other)
