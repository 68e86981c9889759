"""Small shared readings of the stdlib `ast` tree: one way to walk bodies, one notion of `self`.

Every pass uses these, so none of them skips `match` cases or takes `self` by its name while
another takes the method's first parameter. Also the version differences of `ast` (3.9 has no
`match`, 3.10 no `try/except*`): the missing node types are empty tuples, which `isinstance`
never matches.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Dict, Iterator, List, Optional, Set, Tuple, Type, Union

from ..knowledge.keras_api import MODEL_FUNCTIONS

if TYPE_CHECKING:  # annotations only: Python 3.9 has no TypeGuard
    from typing_extensions import TypeGuard  # mypy knows it on every Python

MATCH = getattr(ast, "Match", ())
TRY_STAR = getattr(ast, "TryStar", ())
TRY = (ast.Try,) + ((TRY_STAR,) if TRY_STAR else ())
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# Fields that hold nested statement lists (`cases` holds match_case nodes, which hold a body).
BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")

Function = Union[ast.FunctionDef, ast.AsyncFunctionDef]
Body = Union[ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef]
# (method, its instance's name, an `=` statement of it): instance_assignments' rows.
Assignment = Tuple[Function, Optional[str], ast.Assign]

# Python ends a line at \n, \r\n or \r only; str.splitlines() also breaks at form feed, \x1c,
# U+2028 and others, which would shift every later line number.
_LINE_END = re.compile(r"\r\n|\r|\n")


def source_lines(source: str) -> List[str]:
    """The source's lines as the tokenizer numbers them (line n is item n - 1)."""
    if "\r" not in source:
        return source.split("\n")  # the common case: a plain split, no pattern
    return _LINE_END.split(source)


def blocks(node: ast.AST) -> List[List[ast.stmt]]:
    """The statement lists directly inside a compound statement, `match` cases included."""
    fields = _BLOCK_FIELDS.get(type(node))
    if fields is None:
        fields = _BLOCK_FIELDS[type(node)] = tuple(f for f in BLOCKS if f in node._fields)
    found: List[List[ast.stmt]] = []
    for name in fields:  # none for the simple statements, most of a body: no getattr at all
        children = getattr(node, name, None)
        if not isinstance(children, list):
            continue  # an expression's `body` (IfExp, Lambda) holds no statements
        if name in ("cases", "handlers"):  # match_case and ExceptHandler nodes hold a body
            found.extend(child.body for child in children)
        else:
            found.append(children)
    return found


_BLOCK_FIELDS: Dict[Type[ast.AST], Tuple[str, ...]] = {}  # node type -> which of BLOCKS it has


def statements(scope: Body) -> Iterator[ast.stmt]:
    """Statements of a body in source order, nested blocks included, nested scopes not."""
    todo = list(reversed(scope.body))
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        nested = [stmt for block in blocks(node) for stmt in block]
        todo.extend(reversed(nested))


def bound_names(*nodes: ast.AST) -> Set[str]:
    """Every name stored or deleted anywhere under the nodes (a full walk: walrus included)."""
    return {
        n.id
        for node in nodes
        for n in ast.walk(node)
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
    }


def instance_assignments(classdef: ast.ClassDef) -> List[Assignment]:
    """(method, its instance's name, statement) for every `=` statement of the class's instance
    methods, in source order: the passes that read attribute assignments share this one walk."""
    found: List[Assignment] = []
    for method in classdef.body:
        if isinstance(method, FUNCTIONS) and is_instance_method(method):
            instance = self_name(method)
            found.extend(
                (method, instance, stmt)
                for stmt in statements(method)
                if isinstance(stmt, ast.Assign)
            )
    return found


def self_name(func: ast.AST) -> Optional[str]:
    """The name a method calls its instance: its first positional parameter, if any."""
    args = getattr(func, "args", None)
    params = (args.posonlyargs + args.args) if args else []
    return params[0].arg if params else None


def is_instance_method(func: Function) -> bool:
    """A method whose first parameter is the instance (not a static or class method)."""
    for dec in func.decorator_list:
        if terminal_name(dec) in ("staticmethod", "classmethod"):
            return False
    return self_name(func) is not None


def is_self_attr(node: ast.AST, name: Optional[str]) -> TypeGuard[ast.Attribute]:
    """`<name>.attr`, where `name` is the method's instance parameter."""
    return (
        name is not None
        and isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == name
    )


def terminal_name(func: ast.AST) -> Optional[str]:
    """The last name of a callee: `Dense` for `keras.layers.Dense`, `Sequential`, ..."""
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def makes_object(func: ast.AST) -> bool:
    """A callee that makes a layer or model: named like a class, or `load_model`/`clone_model`."""
    return class_like(func) or terminal_name(func) in MODEL_FUNCTIONS


def class_like(func: ast.AST) -> bool:
    """A callee named like a class (`Dense`, `layers.BatchNormalization`)."""
    name = terminal_name(func)
    if not name:
        return False
    return name[0].isupper()
