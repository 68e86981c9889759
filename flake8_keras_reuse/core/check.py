"""One file's check: the syntax passes first (the forward walks, the bindings), then
resolution of what they found, then the rules' decisions.

Most files have nothing to resolve; only those pay for astroid.
"""

from __future__ import annotations

import ast
import logging
import re
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ..findings import Finding, Settings
from ..knowledge import catalog
from ..rules import built_in_call, merge, reused_layer, text, two_owners
from . import owners, walk
from .index import FileFacts, index, self_param
from .syntax import Assignment, instance_assignments, terminal_name
from .walk.paths import Conditions

if TYPE_CHECKING:  # resolution imports astroid: only for files with candidates
    from ..resolution import Resolution

LOG = logging.getLogger("flake8.keras_reuse")  # shown by `flake8 --verbose`

# (class, its reuses, its constructions in call()) per Keras-looking class of the file.
ClassWork = Tuple[ast.ClassDef, list, List[ast.Call]]
# (reuses in graph code, second bindings) per body.
ScopeWork = Tuple[list, list]


def check(
    tree: ast.Module, source: str, filename: str, settings: Optional[Settings] = None
) -> List[Finding]:
    """Findings for one file, in line order."""
    settings = settings or Settings()
    facts = FileFacts.read(source)
    found = index(tree, facts)
    budget = walk.Budget(len(facts.lines))
    conditions = Conditions(walrus=facts.walrus)
    by_name = {c.name: c for c in found.classes}
    class_work: List[ClassWork] = []
    for classdef in found.models:
        assigns = instance_assignments(classdef)
        try:
            reuses, constructions = walk.find_reuses(
                classdef, by_name, budget, found.functions, conditions, assigns
            )
        except walk.BudgetSpent:
            break
        if reuses:
            harmless = _harmless_attributes(assigns)
            reuses = [r for r in reuses if r.slot not in harmless]
        constructions = [
            c for c in constructions if not catalog.harmless_name(terminal_name(c.func))
        ]
        if reuses or constructions:
            class_work.append((classdef, reuses, constructions))
    graphs = (
        []
        if budget.spent
        else [
            scope.node
            for scope in found.scopes
            if found.graph
            and (
                isinstance(scope.node, ast.Module)
                or (scope.results and facts.mentions_graph(scope.node))
            )
        ]
    )
    methods = {id(scope.node): scope.classdef for scope in found.scopes if scope.classdef}
    scope_work: List[ScopeWork] = [
        (
            walk.find_graph_reuses(graphs, found.functions, budget, conditions, methods, by_name),
            [],
        )
    ]
    for scope in found.scopes:
        if scope.constructed or scope.copied or found.repeats:
            scope_work.append(
                ([], owners.bindings(scope.node, facts.lines, found.repeats, self_param(scope)))
            )
    if budget.spent:
        LOG.info(
            "%s: the file's work budget ran out; classes and bodies after that point "
            "were not checked",
            filename,
        )
    if not class_work and not any(r or b for r, b in scope_work):
        return []
    from ..resolution import Resolution  # astroid, only for files with candidates

    with Resolution(
        tree,
        source,
        filename,
        settings.layers,
        _asked(tree, source, class_work, scope_work),
        facts.walrus,
    ) as resolution:
        return _decide(resolution, class_work, scope_work)


def _decide(
    resolution: Resolution, class_work: Sequence[ClassWork], scope_work: Sequence[ScopeWork]
) -> List[Finding]:
    """Each candidate's resolved class handed to the rule that decides its code."""
    found: Dict[Tuple[int, int, str], Finding] = {}

    def add(finding: Optional[Finding]) -> None:
        if finding is not None:  # one finding per position and text, as flake8 shows them
            found.setdefault((finding.line, finding.col, text(finding)), finding)

    for classdef, reuses, constructions in class_work:
        cls = resolution.classdef(classdef)
        if cls is None or not resolution.is_keras_class(cls):
            continue
        for reuse in reuses:
            add(reused_layer.decide(reuse, resolution.held(cls, reuse.slot)))
        for call in constructions:
            add(
                built_in_call.decide(
                    call, str(terminal_name(call.func)), resolution.held_by_call(call)
                )
            )
    for reuses, bound in scope_work:
        for reuse in reuses:
            add(reused_layer.decide(reuse, _graph_held(resolution, reuse.slot)))
        for binding in bound:
            add(
                two_owners.decide(
                    binding, resolution.held_by_call(binding.instance), resolution.keeps_argument
                )
            )
    return merge(list(found.values()))


def _asked(
    tree: ast.Module,
    source: str,
    class_work: Iterable[ClassWork],
    scope_work: Iterable[ScopeWork],
) -> List[ast.AST]:
    """The calls `_decide` will ask about (attributes are read from their assignments)."""
    asked: List[ast.AST] = [call for _, _, constructions in class_work for call in constructions]
    # What a class's constructor is given may be what its attributes hold: the arguments of
    # its call sites are read (resolver.Resolver._passed), so they are kept in the tree.
    reused = {
        classdef.name
        for classdef, reuses, _ in class_work
        if reuses and _constructed_in(classdef.name, source)
    }
    if reused:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and terminal_name(node.func) in reused:
                asked.extend(node.args)
                asked.extend(k.value for k in node.keywords)
    for reuses, bound in scope_work:
        asked.extend(reuse.slot[1] for reuse in reuses if not walk.is_attr_key(reuse.slot))
        for binding in bound:
            asked.append(binding.instance)
            if binding.owner_class is not None:
                asked.append(binding.owner_class)
    return asked


def _constructed_in(name: str, source: str) -> bool:
    """Whether the text calls a class by its name anywhere but its own `class` line: most
    classes are constructed in other files, and then no call site is worth a walk."""
    for match in re.finditer(rf"(?<!\w){re.escape(name)}\s*\(", source):
        if not source[max(0, match.start() - 6) : match.start()].endswith("class "):
            return True
    return False


def _graph_held(resolution: Resolution, slot: Any) -> Any:
    """What a graph reuse's object is: the construction of a local layer, or an attribute of
    a method's instance (what every assignment of it in the class agrees on)."""
    if walk.is_attr_key(slot):
        cls = resolution.classdef(slot[1])
        return None if cls is None else resolution.held(cls, slot[2])
    return resolution.held_by_call(slot[1])


def _harmless_attributes(assigns: Sequence[Assignment]) -> Set[str]:
    """Attributes only ever assigned a plainly harmless Keras layer (`self.drop = Dropout()`)."""

    def harmless(value: ast.AST) -> bool:
        if isinstance(value, ast.Constant):
            return value.value is None
        return isinstance(value, ast.Call) and catalog.harmless_name(terminal_name(value.func))

    return owners.attributes_always(assigns, harmless)
