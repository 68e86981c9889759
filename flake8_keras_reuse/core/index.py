"""One pass over a file's statements (expressions are not visited): its classes, and per body
whether the walks and the ownership pass have anything to look at, with the facts read once
from the file's text (`FileFacts`) that every later pass shares."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import List, Optional, Pattern, Sequence, Tuple, Union, cast

from ..knowledge.keras_api import ENTRY_METHODS, GRAPH_INPUTS, SEQUENTIAL
from .syntax import (
    FUNCTIONS,
    Function,
    blocks,
    is_instance_method,
    makes_object,
    self_name,
    source_lines,
)


@dataclass(frozen=True)
class FileFacts:
    """What the passes need to know of the file's text, read once."""

    lines: Sequence[str]  # as Python counts them (syntax.source_lines)
    walrus: bool  # some `:=`: conditions and trees cannot take their shortcuts
    graph: bool  # the file may build a functional or Sequential graph
    repeats: bool  # the file may repeat an instance in a list: `[Layer()] * n`

    @classmethod
    def read(cls, source: str) -> FileFacts:
        return cls(
            source_lines(source),
            ":=" in source,
            _search(_GRAPH, source),
            _search(_REPEATED_LIST, source),
        )

    def mentions_graph(self, func: ast.AST) -> bool:
        """Whether a function's text makes a graph: a body whose parameters are the only
        source of tensors never calls a layer on a symbolic one."""
        text = "\n".join(self.lines[func.lineno - 1 : func.end_lineno])  # type: ignore[attr-defined]
        return _search(_GRAPH, text)


class Scope:
    """What one module or function body holds that the syntax passes may care about."""

    def __init__(self, node: Union[ast.Module, Function], classdef: Optional[ast.ClassDef]) -> None:
        self.node = node
        self.classdef = classdef  # the class it is a method of, if any
        self.results = False  # some name is assigned the result of a call
        self.constructed = False  # some local name is assigned a class-like call
        self.copied = False  # `self.a = self.b`


class Index:
    """The file's classes and bodies, as `index()` found them."""

    def __init__(self) -> None:
        self.classes: List[ast.ClassDef] = []
        self.models: List[ast.ClassDef] = []  # classes that define call(): walked forward
        self.scopes: List[Scope] = []
        self.functions: List[Function] = []  # the module's own functions
        self.graph = False  # the file may build a functional or Sequential graph
        self.repeats = False  # the file may repeat an instance in a list: `[Layer()] * n`


def index(tree: ast.Module, facts: FileFacts) -> Index:
    """The file's classes and bodies, with what each body holds for the later passes."""
    index = Index()
    index.functions = [n for n in tree.body if isinstance(n, FUNCTIONS)]
    # Only a graph fed by keras.Input() or a Sequential model makes local calls reuse.
    index.graph = facts.graph
    index.repeats = facts.repeats
    module = Scope(tree, None)
    index.scopes.append(module)
    todo: List[Tuple[ast.stmt, Scope, Optional[ast.ClassDef]]] = [
        (stmt, module, None) for stmt in reversed(tree.body)
    ]
    while todo:
        node, scope, cls = todo.pop()
        if isinstance(node, ast.ClassDef):
            index.classes.append(node)
            if any(isinstance(s, FUNCTIONS) and s.name in ENTRY_METHODS for s in node.body):
                index.models.append(node)
            todo.extend((s, scope, node) for s in reversed(node.body))
            continue
        if isinstance(node, FUNCTIONS):
            scope = Scope(node, cls if cls is not None and node in cls.body else None)
            index.scopes.append(scope)
            todo.extend((s, scope, None) for s in reversed(node.body))
            continue
        if isinstance(node, ast.Assign):
            _note_assign(node, scope)
        nested = [stmt for block in blocks(node) for stmt in block]
        todo.extend((s, scope, cls) for s in reversed(nested))
    return index


# `[Layer(...)] * n` or `n * [Layer(...)]`: a one-element list of a construction, repeated. (Any
# `] *` also matched `shape[-1] * 2`, and sent most files through the slow ownership path.)
# Each pattern starts with a literal, which `re` finds by a fast scan; one alternation of
# them would be tried at every character, far slower.
_REPEATED_LIST = (re.compile(r"\[\s*[\w.]+\(.*?\)\s*\]\s*\*"), re.compile(r"\*\s*\[\s*[\w.]+\("))
_GRAPH = tuple(
    re.compile(rf"{word}(?<!\w{word})\s*\(")  # `\bInput\s*\(`, literal first
    for word in (*sorted(GRAPH_INPUTS), SEQUENTIAL)
)


def _search(patterns: Sequence[Pattern[str]], text: str) -> bool:
    return any(pattern.search(text) for pattern in patterns)


def self_param(scope: Scope) -> Optional[str]:
    """Whose attributes are owners in a body: a method's instance parameter; elsewhere (a def
    nested in a method) the conventional `self` it closes over."""
    if scope.classdef is None:
        return "self"
    method = cast(Function, scope.node)  # a body with a class is one of its methods
    return self_name(method) if is_instance_method(method) else None


def _note_assign(node: ast.Assign, scope: Scope) -> None:
    value = node.value
    names = any(isinstance(t, ast.Name) for t in node.targets)
    if isinstance(value, ast.Call):
        scope.results |= names
        # A construction kept in a local name may be handed to two owners; one assigned
        # straight to self.<attr> only with a later `self.b = self.a` (scope.copied).
        scope.constructed |= names and makes_object(value.func)
    elif isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
        scope.copied |= any(isinstance(t, ast.Attribute) for t in node.targets)
    if isinstance(value, ast.Call) and sum(isinstance(t, ast.Attribute) for t in node.targets) > 1:
        scope.copied = True  # `self.a = self.b = Norm()`
