"""Resolution: astroid's view of the file, built once and only when some candidate needs it.

The rules ask it four questions (is this class a Keras class, what does an attribute hold, what
does a call make, does a constructor keep what it is given). astroid is imported here, lazily:
files with nothing to resolve, and editors, never pay for it.
"""

from __future__ import annotations

import ast
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple


class Resolution:
    """Use as a context manager: on exit the project's trees are released and the collector's
    policy applied (project.settle_if_due), after the resolution's references are dropped."""

    def __init__(
        self,
        tree: ast.Module,
        source: str,
        filename: str,
        layers: Optional[Mapping[str, str]],
        asked: Iterable[ast.AST],
        walrus: bool = True,
    ) -> None:
        """`walrus`: whether the file's text has a `:=` (core.index.FileFacts), so that its
        tree must be built whole."""
        from astroid import nodes

        from .project import Project
        from .resolver import Resolver

        project = Project(filename, tree, source, list(asked), walrus)
        self.project = project
        self.resolver = Resolver(project, dict(layers) if layers else None)
        module = project.module
        assert module is not None  # released on exit only
        self._classes = {(c.lineno, c.name): c for c in module.nodes_of_class(nodes.ClassDef)}
        # A call and the call it makes (`Dense(8)(x)`) start together: key on the whole span.
        self._calls = {_span(c): c for c in module.nodes_of_class(nodes.Call)}
        self._held: Dict[Tuple[int, Any], Any] = {}

    def __enter__(self) -> Resolution:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the trees (idempotent)."""
        project = self.project
        if project is None:
            return
        project.release()
        # Drop the references into the trees before a freeze.
        self.resolver = self._classes = self._calls = self._held = None  # type: ignore
        self.project = None  # type: ignore[assignment]
        project.settle_if_due()

    def classdef(self, node: ast.ClassDef) -> Any:
        return self._classes.get((node.lineno, node.name))

    def is_keras_class(self, cls: Any) -> bool:
        return self.resolver.is_keras_class(cls)

    def held(self, cls: Any, attr: str) -> Any:
        """What `self.<attr>` of an astroid class holds (resolver.Held), or None."""
        key = (id(cls), attr)
        if key not in self._held:
            self._held[key] = self.resolver.held_by(cls, attr)
        return self._held[key]

    def held_by_call(self, node: ast.AST) -> Any:
        """What a call of the linted tree makes (resolver.Held), or None."""
        call = self._calls.get(_span(node))
        return None if call is None else self.resolver.held_by_value(call)

    def built(self, node: ast.AST) -> bool:
        """Whether a call of the linted tree is in the astroid tree (not in left-out arguments)."""
        return _span(node) in self._calls

    def keeps_argument(self, call: ast.AST) -> bool:
        found = self._calls.get(_span(call))
        return found is not None and self.resolver.keeps_argument(found.func)


def _span(node: Any) -> Tuple[int, int, Optional[int], Optional[int]]:
    return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)
