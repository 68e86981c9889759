"""One file's check: the syntax passes first (the forward walks, the bindings), then
resolution of what they found, then the rules' decisions.

Most files have nothing to resolve; only those pay for astroid.
"""

from __future__ import annotations

import ast
import logging
import re
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ..findings import Channels, Finding, Settings
from ..knowledge import catalog, shapes
from ..rules import built_in_call, merge, reused_layer, slip, text, two_owners
from . import fixes, owners, sizes, twins, walk
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

    asked = _asked(tree, source, class_work, scope_work)
    resolution = Resolution(tree, source, filename, settings.layers, asked, facts.walrus)
    try:
        # Sizes are read only for the reuses a verdict can use (those whose layer resolved).
        args = (tree, source, class_work, scope_work, found.functions, by_name)
        readers = _size_readers(*args, resolution)
        if not all(resolution.built(call) for call in _size_constructions(readers)):
            # A construction the sizes name sits in arguments the tree left out (a
            # Sequential's list): the tree is built again with every reader's constructions
            # kept, as it would have been had they been asked at once.
            resolution.close()
            readers = _size_readers(*args)
            wanted = asked + _size_constructions(readers)
            resolution = Resolution(tree, source, filename, settings.layers, wanted, facts.walrus)
        decided = _decide(resolution, class_work, scope_work, readers, by_name, tree)
        return fixes.attach(decided, tree, source)
    finally:
        resolution.close()


# Words of a file that may put the channels on another axis than the last (Keras 2/3's
# set_image_data_format, Keras 1's image_dim_ordering and "th"): its sizes are not read.
_OTHER_LAYOUTS = ("image_data_format", "channels_first", "image_dim_ordering")

# The size readers of a file: one per class with reuses (by id of its ClassDef), and one for
# the graph bodies (key 0).
Readers = Dict[int, sizes.SizeReader]


def _size_readers(
    tree: ast.Module,
    source: str,
    class_work: Sequence[ClassWork],
    scope_work: Sequence[ScopeWork],
    functions: Sequence[ast.AST],
    by_name: Dict[str, ast.ClassDef],
    resolution: Optional[Resolution] = None,
) -> Readers:
    """Channel sizes are read only where a reuse was found, and never in a file that sets
    another image data format (channels first: the last axis is not the channels). Given the
    resolution, only for the reuses whose layer it resolved: `_channels` reads no other."""
    graph_reuses = [r for reuses, _ in scope_work for r in reuses]
    if resolution is not None:
        graph_reuses = [r for r in graph_reuses if _sizable(r, _graph_held(resolution, r.slot))]
    if not graph_reuses and not any(reuses for _, reuses, _ in class_work):
        return {}
    if any(word in source for word in _OTHER_LAYOUTS):
        return {}
    helpers = {
        f.name: f for f in functions if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    readers: Readers = {}
    # A class another class here extends may have its methods overridden (a template method):
    # what its call() runs is not read from it alone.
    extended = {terminal_name(base) for c in by_name.values() for base in c.bases}
    facts: Optional[sizes.ModuleFacts] = None  # read for the first reader, if any
    for classdef, reuses, _ in class_work:
        if classdef.name in extended:
            continue
        if resolution is None:
            sized = [r for r in reuses if not r.separate]
        else:
            cls = resolution.classdef(classdef)
            if cls is None or not resolution.is_keras_class(cls):
                continue
            sized = [r for r in reuses if _sizable(r, resolution.held(cls, r.slot))]
        if sized:
            facts = facts or sizes.ModuleFacts.of(tree)
            reader = sizes.SizeReader(tree, classdef, helpers, facts)
            if resolution is not None and all(reader.layer_of(r.slot) is None for r in sized):
                continue
            reader.read_methods()
            readers[id(classdef)] = reader
    if graph_reuses:
        facts = facts or sizes.ModuleFacts.of(tree)
        reader = sizes.SizeReader(tree, None, helpers, facts)
        reader.read_body(tree)
        for helper in helpers.values():
            reader.read_body(helper)
        readers[0] = reader
    return readers


def _sizable(reuse: Any, held: Any) -> bool:
    """Whether `_channels` reads the sizes of a reuse whose layer resolved to `held`."""
    return (
        held is not None
        and not reuse.separate
        and bool(reuse.calls)
        and bool(reuse.calls[1] or reuse.in_loop)
    )


def _size_constructions(readers: Readers) -> List[ast.AST]:
    """The constructions whose classes the sizes need resolved."""
    found: List[ast.AST] = []
    for reader in readers.values():
        found.extend(reader.constructions())
    return found


def _channels(
    reader: Optional[sizes.SizeReader], reuse: Any, resolution: Resolution, by_name: Any
) -> Optional[Channels]:
    """What the sizes prove of a reuse: the first call's channels against this call's."""
    if reader is None or reuse.separate or not reuse.calls:
        return None
    layer = reader.layer_of(reuse.slot)
    if layer is None:
        return None
    here, earlier = reuse.calls
    if not earlier and not reuse.in_loop:
        return None

    def rule(ctor: ast.Call) -> Optional[shapes.Rule]:
        held = _constructed(ctor, resolution)
        if held is None:
            return None
        found = shapes.rule(held.layer.name)
        return found if found is not None and shapes.written_for(ctor, found) else None

    if reuse.in_loop:  # the loop's first pass built it; its second pass calls it again
        gets = sizes.evaluate_all(reader.pass_sizes(here[0], layer, 2), rule)
        built = [sizes.evaluate_all(reader.pass_sizes(here[0], layer, 1), rule)]
    else:
        gets = sizes.evaluate_all(reader.sizes_at(here[0], layer), rule)
        built = [sizes.evaluate_all(reader.sizes_at(site, layer), rule) for site, _ in earlier]
    if gets is None or any(b is None for b in built):
        return None
    first = built[0]
    assert first is not None
    if any(b is not None and sizes.compare(first, b) != "equal" for b in built[1:]):
        return None
    verdict = sizes.compare(first, gets)
    if verdict is None or reuse.in_loop and verdict != "differ":
        return None  # two equal passes prove nothing of the third
    held = resolution.held_by_call(layer)
    named = str(terminal_name(layer.func))
    if held is not None and not (catalog.spells(named, held.layer.name) or named in by_name):
        held = None  # a factory (`make_norm()` may set another axis): not the class's defaults
    own = shapes.rule(held.layer.name) if held is not None else None
    bound = (
        own is not None
        and own.bound
        and not sizes.moves_axis(layer, own)
        and shapes.written_for(layer, own)
        and _own_build(held, by_name)
    )
    return Channels(
        verdict,
        sizes.text(first.size),
        sizes.origin_text(first),
        reuse.earlier_lines[0] if reuse.earlier_lines else reuse.first_line,
        sizes.text(gets.size),
        sizes.origin_text(gets),
        bound,
    )


def _constructed(ctor: ast.Call, resolution: Resolution) -> Any:
    """The Keras class a call constructs, when the call names that very class: a factory
    (`conv(3, 16)` returning a Conv2D) has arguments of its own, and a project subclass may
    change the channels in its own call()."""
    held = resolution.held_by_call(ctor)
    if held is None or held.name != held.layer.name:
        return None
    return held if catalog.spells(str(terminal_name(ctor.func)), held.layer.name) else None


def _slip(
    finding: Finding,
    classdef: ast.ClassDef,
    cls: Any,
    attr: str,
    held: Any,
    resolution: Resolution,
    file_twins: twins.Twins,
) -> Optional[Finding]:
    """KR006 when the reused attribute has an unused twin of the same resolved class."""
    for name, ctor in file_twins.unused(classdef, attr):
        other = resolution.held(cls, name)
        if other is not None and other.name == held.name:
            return slip.decide(finding, f"self.{name}", ctor.lineno)
    return None


def _own_build(held: Any, by_name: Dict[str, ast.ClassDef]) -> bool:
    """Whether a layer's variables are made as its Keras class makes them: the class itself,
    or a subclass of this file that defines no `build` of its own."""
    if held.name == held.layer.name:
        return True
    classdef = by_name.get(held.name)
    return classdef is not None and not any(
        isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "build"
        for s in classdef.body
    )


def _decide(
    resolution: Resolution,
    class_work: Sequence[ClassWork],
    scope_work: Sequence[ScopeWork],
    readers: Optional[Readers] = None,
    by_name: Optional[Dict[str, ast.ClassDef]] = None,
    tree: Optional[ast.Module] = None,
) -> List[Finding]:
    """Each candidate's resolved class handed to the rule that decides its code."""
    found: Dict[Tuple[int, int, str], Finding] = {}

    def add(finding: Optional[Finding]) -> None:
        if finding is not None:  # one finding per position and text, as flake8 shows them
            found.setdefault((finding.line, finding.col, text(finding)), finding)

    file_twins: Optional[twins.Twins] = None
    for classdef, reuses, constructions in class_work:
        cls = resolution.classdef(classdef)
        if cls is None or not resolution.is_keras_class(cls):
            continue
        reader = (readers or {}).get(id(classdef))
        for reuse in reuses:
            held = resolution.held(cls, reuse.slot)
            sized = _channels(reader, reuse, resolution, by_name or {}) if held else None
            finding = reused_layer.decide(reuse, held, sized)
            if finding is not None and isinstance(reuse.slot, str) and held is not None:
                if file_twins is None:
                    file_twins = twins.Twins(tree) if tree is not None else None
                if file_twins is not None:
                    finding = (
                        _slip(finding, classdef, cls, reuse.slot, held, resolution, file_twins)
                        or finding
                    )
            add(finding)
        for call in constructions:
            add(
                built_in_call.decide(
                    call, str(terminal_name(call.func)), resolution.held_by_call(call)
                )
            )
    for reuses, bound in scope_work:
        for reuse in reuses:
            held = _graph_held(resolution, reuse.slot)
            reader = (readers or {}).get(0)
            sized = _channels(reader, reuse, resolution, by_name or {}) if held else None
            add(reused_layer.decide(reuse, held, sized))
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
