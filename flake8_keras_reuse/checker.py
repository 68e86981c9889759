"""One file's check: walk every class's forward path, then resolve what it reuses."""
import ast

from . import catalog, forward, messages


def check(tree, source, filename, extra=None):
    """Findings as (line, col, message) for one file, in line order."""
    classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    by_name = {c.name: c for c in classes}
    found = set()
    resolver = None
    for classdef in classes:
        reuses = forward.find_reuses(classdef, by_name)
        if not reuses:
            continue
        if resolver is None:
            resolver, astroid_classes = _resolver(tree, source, filename, extra)
        cls = astroid_classes.get((classdef.lineno, classdef.name))
        if cls is None or not resolver.is_keras_class(cls):
            continue
        held = {}
        for reuse in reuses:
            if reuse.slot not in held:
                held[reuse.slot] = resolver.held_by(cls, reuse.slot)
            layer = held[reuse.slot]
            code = layer and catalog.REPORTED.get(layer.layer.category)
            # The same unchanged tensor through the same weights is a recomputation, not a
            # second input sharing them; statistics, though, would still be updated twice.
            if code == "KR002" and reuse.same_input:
                continue
            if code:
                found.add((reuse.line, reuse.col, messages.format_reuse(code, reuse, layer)))
    return sorted(found)


def _resolver(tree, source, filename, extra):
    # astroid is imported and built only for files whose walk found a reuse to resolve: most
    # files have none, and an editor pays for `import astroid` only when it matters.
    from astroid import nodes

    from .project import Project
    from .resolve import Resolver

    project = Project(filename, tree, source)
    classes = {(c.lineno, c.name): c for c in project.module.nodes_of_class(nodes.ClassDef)}
    return Resolver(project, extra), classes
