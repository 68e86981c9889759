"""What a name refers to, from imports and the project's code.

Names are followed back to their binding with astroid's `scope_lookup()`: an import gives a
qualified name (decided by the catalog, never imported), a class or function of the project is
read from its module. Anything else is unknown (None).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, List, Optional, Sequence, TypeVar, Union

from astroid import nodes

from ..knowledge import catalog

if TYPE_CHECKING:
    from .project import Project

# What an expression names: a qualified name outside the project, or a project module, class
# or function.
Referent = Union[str, nodes.Module, nodes.ClassDef, nodes.FunctionDef]
_T = TypeVar("_T")

MAX_DEPTH = 25  # how far one resolution may chase names, re-exports, factories and bases


class Names:
    """Names and dotted expressions to their referents, in the modules the project can see."""

    def __init__(self, project: Project) -> None:
        self.project = project

    def referents(self, node: nodes.NodeNG, depth: int = 0) -> Optional[List[Referent]]:
        """What an expression names: qualified names (str) and project classes or functions.

        None when any part of it is unknown.
        """
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, nodes.Name):
            bindings = lookup(node)
            if bindings is None:
                return None
            if bindings:
                return self._bindings(node.name, bindings, depth)
            return self._star_imported(node.root(), node.name, depth)
        if isinstance(node, nodes.Attribute):
            bases = self.referents(node.expr, depth + 1)
            if bases is None:
                return None
            return all_or_none(self._attribute(base, node.attrname, depth + 1) for base in bases)
        return None

    def _attribute(self, base: Referent, attr: str, depth: int) -> Optional[List[Referent]]:
        """What `<base>.<attr>` names, for one referent of the base."""
        if isinstance(base, str):
            return self._qualified(f"{base}.{attr}", depth)
        if isinstance(base, nodes.Module):
            return self._member(base, attr, depth)
        return None

    def _star_imported(
        self, module: nodes.Module, name: str, depth: int
    ) -> Optional[List[Referent]]:
        """A name no statement binds may come from `from m import *` (read, never imported)."""
        found: List[Referent] = []
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

    def _bindings(
        self, name: str, bindings: Sequence[nodes.NodeNG], depth: int
    ) -> Optional[List[Referent]]:
        """What a name refers to on every path that binds it. Alternatives of which some are
        Keras (`if backend == "tf": from tensorflow.keras import layers`, `else:` a shim of the
        project's own) are taken on their Keras paths: the code is Keras code there."""
        if len(bindings) == 1:
            return self._binding(name, bindings[0], depth + 1)
        found = [self._binding(name, binding, depth + 1) for binding in bindings]
        keras = [refs for refs in found if refs and all(_is_keras_referent(r) for r in refs)]
        if keras and len(keras) < len(found):
            return [ref for refs in keras for ref in refs]
        return all_or_none(found)

    def _binding(self, name: str, binding: nodes.NodeNG, depth: int) -> Optional[List[Referent]]:
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
            value = assigned_value(binding)
            return None if value is None else self.referents(value, depth)
        return None

    def _qualified(self, qname: str, depth: int) -> Optional[List[Referent]]:
        """A dotted name: a project module or member when the project has it, else the name."""
        if depth > MAX_DEPTH:
            return None
        parts = qname.split(".")
        for cut in range(len(parts), 0, -1):
            module = self.project.load(".".join(parts[:cut]))
            if module is None:
                continue
            found: List[Referent] = [module]
            for attr in parts[cut:]:
                step = all_or_none(
                    self._member(item, attr, depth + 1) if isinstance(item, nodes.Module) else None
                    for item in found
                )
                if step is None:
                    return None
                found = step
            return found
        return [qname]

    def _member(self, module: nodes.Module, name: str, depth: int) -> Optional[List[Referent]]:
        bindings = module.locals.get(name)
        if not bindings:
            # `pkg.sub` where sub is a submodule that the package does not import itself.
            sub = self.project.load(f"{module.name}.{name}")
            return [sub] if sub is not None else None
        return self._bindings(name, _reaching_end(module, bindings), depth)


def _reaching_end(module: nodes.Module, bindings: Sequence[nodes.NodeNG]) -> List[nodes.NodeNG]:
    """The bindings of a module-level name that may hold at the module's end: the last one
    made at the top level, and every later one made under an `if` or `try` (alternatives,
    such as a backend chosen by an environment variable)."""
    reaching: List[nodes.NodeNG] = []
    for binding in bindings:
        statement = binding.statement() if hasattr(binding, "statement") else binding
        if statement.parent is module:
            reaching = [binding]
        else:
            reaching.append(binding)
    return reaching


def _is_keras_referent(ref: Referent) -> bool:
    return isinstance(ref, str) and catalog.is_keras_name(ref)


def lookup(name: nodes.Name) -> Optional[List[nodes.NodeNG]]:
    """The statements binding a Name node, as astroid's `lookup()` finds them; [] for a name no
    scope around it binds, None when the lookup fails on an odd tree.

    astroid looks an unbound name up in its model of `builtins`, which it builds on first use
    and keeps for the process; no builtin is a Keras layer, so it is never asked. And
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


def assigned_value(target: nodes.NodeNG) -> Optional[nodes.NodeNG]:
    """The expression a simple `name = value` / `self.x = value` target receives, else None."""
    stmt = target.parent
    if isinstance(stmt, nodes.Assign) and target in stmt.targets:
        return stmt.value
    if isinstance(stmt, nodes.AnnAssign) and stmt.target is target:
        return stmt.value
    return None


def all_or_none(results: Iterable[Optional[List[_T]]]) -> Optional[List[_T]]:
    """Every result's items, or None as soon as one result is unknown (later ones are never
    computed)."""
    found: List[_T] = []
    for result in results:
        if result is None:
            return None
        found.extend(result)
    return found
