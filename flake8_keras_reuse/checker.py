"""One file's check: syntax first (the forward walks, the bindings), then resolve what they found.

Most files have nothing to resolve; only those pay for astroid.
"""
import ast
import logging
import os
import queue
import re
import sys
import threading

from . import catalog, forward, messages, owners
from .paths import Conditions
from .syntax import (FUNCTIONS, blocks, instance_assignments, is_instance_method, makes_object,
                     self_name, source_lines, terminal_name)

LOG = logging.getLogger("flake8.keras_reuse")  # shown by `flake8 --verbose`

# Set (to anything but "" or "0") to let an internal error raise instead of becoming KR900:
# the test suite runs with it, so no test passes because an error was swallowed.
RAISE_ENV = "KERAS_REUSE_RAISE"


def raise_errors():
    return os.environ.get(RAISE_ENV, "") not in ("", "0")


def check_safely(tree, source, filename, extra=None):
    """`check`, with a failure of the checker itself reported as one KR900 finding on the file
    (as pylint's astroid-error): never a traceback, and never silence that looks like a clean
    file."""
    try:
        return on_deep_stack(check, tree, source, filename, extra)
    except Exception as exc:  # noqa: BLE001 - RecursionError and MemoryError included
        if raise_errors():
            raise
        return [(1, 0, messages.format_internal_error(exc))]


# The walks and astroid's rebuilder recurse once or a few times per level of an expression.
# The deepest tree CPython's parser accepts (about 3,000 levels on 3.11, 10,000 on 3.13) needs
# more than the default limit of 1,000 frames; a thread with its own large stack gives every
# file the same room, whatever the caller's stack depth, so results never depend on the order
# files are checked in.
STACK_BYTES = 512 * 2**20  # address space only: pages are committed as they are touched
RECURSION_LIMIT = 100_000


def on_deep_stack(func, *args):
    """func(*args) on the process's checker thread: a large stack, a raised recursion limit,
    and the same stack depth at the start of every file."""
    task = _Task(func, args)
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
    try:
        _worker().put(task)
        task.done.wait()
    finally:
        sys.setrecursionlimit(old_limit)
    if task.error is not None:
        raise task.error
    return task.value


class _Task:
    def __init__(self, func, args):
        self.func, self.args = func, args
        self.value = self.error = None
        self.done = threading.Event()

    def run(self):
        try:
            self.value = self.func(*self.args)
        except BaseException as exc:  # noqa: BLE001 - handed back to the calling thread
            self.error = exc
        finally:
            self.func = self.args = None
            self.done.set()


_WORKER = {}  # pid -> queue of the checker thread: a forked child (flake8 -j) starts its own


def _worker():
    pid = os.getpid()
    if pid not in _WORKER:
        tasks = queue.SimpleQueue()
        old_size = threading.stack_size()
        threading.stack_size(STACK_BYTES)
        try:
            threading.Thread(target=_serve, args=(tasks,), name="keras-reuse-check",
                             daemon=True).start()
        finally:
            threading.stack_size(old_size)
        _WORKER.clear()
        _WORKER[pid] = tasks
    return _WORKER[pid]


def _serve(tasks):
    while True:
        tasks.get().run()


def check(tree, source, filename, extra=None):
    """Findings as (line, col, message) for one file, in line order."""
    index = _index(tree, source)
    lines = source_lines(source)
    budget = forward.Budget(len(lines))
    conditions = Conditions(walrus=":=" in source)
    by_name = {c.name: c for c in index.classes}
    class_work = []
    for classdef in index.models:
        assigns = instance_assignments(classdef)
        try:
            reuses, constructions = forward.find_reuses(
                classdef, by_name, budget, index.functions, conditions, assigns)
        except forward.BudgetSpent:
            break
        if reuses:
            harmless = _harmless_attributes(assigns)
            reuses = [r for r in reuses if r.slot not in harmless]
        constructions = [c for c in constructions
                         if not catalog.harmless_name(terminal_name(c.func))]
        if reuses or constructions:
            class_work.append((classdef, reuses, constructions))
    graphs = [] if budget.spent else [
        scope.node for scope in index.scopes
        if index.graph and (isinstance(scope.node, ast.Module) or (
            scope.results and _mentions_graph(scope.node, lines)))]
    scope_work = [(forward.find_graph_reuses(graphs, index.functions, budget, conditions), [])]
    for scope in index.scopes:
        if scope.constructed or scope.copied or index.repeats:
            scope_work.append(([], owners.bindings(scope.node, lines, index.repeats,
                                                   _self_param(scope))))
    if budget.spent:
        LOG.info("%s: the file's work budget ran out; classes and bodies after that point "
                 "were not checked", filename)
    if not class_work and not any(r or b for r, b in scope_work):
        return []
    ctx = _Resolution(tree, source, filename, extra, _asked(class_work, scope_work))
    try:
        return _resolve(ctx, class_work, scope_work)
    finally:
        project = ctx.project
        project.release()
        ctx = None  # drops the resolution's references into the trees before a freeze
        project.settle_if_due()


def _resolve(ctx, class_work, scope_work):
    found = set()
    for classdef, reuses, constructions in class_work:
        cls = ctx.classdef(classdef)
        if cls is None or not ctx.resolver.is_keras_class(cls):
            continue
        for reuse in reuses:
            found.update(_reuse_finding(reuse, ctx.held(cls, reuse.slot)))
        for call in constructions:
            held = ctx.held_by_call(call)
            if held and held.layer.category in catalog.STATEFUL:
                name = terminal_name(call.func)
                found.add((call.lineno, call.col_offset,
                           messages.format_construction(name, held)))
    for reuses, bound in scope_work:
        for reuse in reuses:
            found.update(_reuse_finding(reuse, ctx.held_by_call(reuse.slot[1])))
        for binding in bound:
            held = ctx.held_by_call(binding.instance)
            if not held or held.layer.category not in catalog.OWNED:
                continue
            if binding.owner_class is not None and not ctx.keeps_argument(binding.owner_class):
                continue
            found.add((binding.line, binding.col, messages.format_binding(binding, held)))
    return sorted(found)


def _asked(class_work, scope_work):
    """The calls `_resolve` will ask about (attributes are read from their assignments)."""
    asked = [call for _, _, constructions in class_work for call in constructions]
    for reuses, bound in scope_work:
        asked.extend(reuse.slot[1] for reuse in reuses)
        for binding in bound:
            asked.append(binding.instance)
            if binding.owner_class is not None:
                asked.append(binding.owner_class)
    return asked


def _harmless_attributes(assigns):
    """Attributes only ever assigned a plainly harmless Keras layer (`self.drop = Dropout()`)."""
    def harmless(value):
        if isinstance(value, ast.Constant):
            return value.value is None
        return isinstance(value, ast.Call) and catalog.harmless_name(
            terminal_name(value.func))

    return owners.attributes_always(assigns, harmless)


def _reuse_finding(reuse, held):
    code = held and catalog.REPORTED.get(held.layer.category)
    if code and reuse.separate:
        code = "KR004"  # one instance in two models: two owners, not two calls in one pass
    # The same unchanged tensor through the same weights is a recomputation, not a second
    # input sharing them; statistics, though, would still be updated twice.
    if not code or (code == "KR002" and reuse.same_input):
        return []
    return [(reuse.line, reuse.col, messages.format_reuse(code, reuse, held))]


class _Scope:
    """What one module or function body holds that the syntax passes may care about."""

    def __init__(self, node, classdef):
        self.node = node
        self.classdef = classdef  # the class it is a method of, if any
        self.results = False  # some name is assigned the result of a call
        self.constructed = False  # some local name is assigned a class-like call
        self.copied = False  # `self.a = self.b`


class _Index:
    def __init__(self):
        self.classes = []
        self.models = []  # classes that define call(): their forward path is walked
        self.scopes = []
        self.functions = []  # the module's own functions
        self.graph = False  # the file may build a functional or Sequential graph
        self.repeats = False  # the file may repeat an instance in a list: `[Layer()] * n`


def _index(tree, source):
    """One pass over the file's statements (expressions are not visited): its classes, and per
    body whether the walks and the ownership pass have anything to look at."""
    index = _Index()
    index.functions = [n for n in tree.body if isinstance(n, FUNCTIONS)]
    # Only a graph fed by keras.Input() or a Sequential model makes local calls reuse.
    index.graph = _search(_GRAPH, source)
    index.repeats = _search(_REPEATED_LIST, source)
    module = _Scope(tree, None)
    index.scopes.append(module)
    todo = [(stmt, module, None) for stmt in reversed(tree.body)]
    while todo:
        node, scope, cls = todo.pop()
        if isinstance(node, ast.ClassDef):
            index.classes.append(node)
            if any(isinstance(s, FUNCTIONS) and s.name in forward.ENTRY_METHODS
                   for s in node.body):
                index.models.append(node)
            todo.extend((s, scope, node) for s in reversed(node.body))
            continue
        if isinstance(node, FUNCTIONS):
            scope = _Scope(node, cls if cls is not None and node in cls.body else None)
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
# them is tried at every character, five times slower (a tenth of the check's time).
_REPEATED_LIST = (re.compile(r"\[\s*[\w.]+\(.*?\)\s*\]\s*\*"), re.compile(r"\*\s*\[\s*[\w.]+\("))
_GRAPH = tuple(re.compile(rf"{word}(?<!\w{word})\s*\(")  # `\bInput\s*\(`, literal first
               for word in ("Input", "Sequential", "placeholder"))


def _search(patterns, text):
    return any(pattern.search(text) for pattern in patterns)


def _self_param(scope):
    """Whose attributes are owners in a body: a method's instance parameter; elsewhere (a def
    nested in a method) the conventional `self` it closes over."""
    if scope.classdef is None:
        return "self"
    return self_name(scope.node) if is_instance_method(scope.node) else None


def _mentions_graph(func, lines):
    """Whether a function's text makes a graph: a body whose parameters are the only source of
    tensors never calls a layer on a symbolic one."""
    return _search(_GRAPH, "\n".join(lines[func.lineno - 1:func.end_lineno]))


def _note_assign(node, scope):
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


class _Resolution:
    """astroid's view of the file, built once and only when some finding needs resolving."""

    def __init__(self, tree, source, filename, extra, asked):
        # Imported here: files with nothing to resolve, and editors, never pay for astroid.
        from astroid import nodes

        from .project import Project
        from .resolve import Resolver

        project = Project(filename, tree, source, asked)
        self.project = project
        self.resolver = Resolver(project, extra)
        self._classes = {(c.lineno, c.name): c
                         for c in project.module.nodes_of_class(nodes.ClassDef)}
        # A call and the call it makes (`Dense(8)(x)`) start together: key on the whole span.
        self._calls = {_span(c): c for c in project.module.nodes_of_class(nodes.Call)}
        self._held = {}

    def classdef(self, node):
        return self._classes.get((node.lineno, node.name))

    def held(self, cls, attr):
        key = (id(cls), attr)
        if key not in self._held:
            self._held[key] = self.resolver.held_by(cls, attr)
        return self._held[key]

    def held_by_call(self, node):
        call = self._calls.get(_span(node))
        return None if call is None else self.resolver.held_by_value(call)

    def keeps_argument(self, call):
        found = self._calls.get(_span(call))
        return found is not None and self.resolver.keeps_argument(found.func)


def _span(node):
    return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)
