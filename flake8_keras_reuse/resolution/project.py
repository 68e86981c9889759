"""The linted project's own modules: where they live and their astroid trees.

Only files under the project's roots are ever read, and never a module of the libraries in
`knowledge.keras_api.NEVER_READ`, so results do not depend on what is installed and nothing installed is parsed.
Modules are read, never imported or executed.
"""
import ast
import bisect
import gc
import os
import tokenize
from collections import OrderedDict
from contextlib import contextmanager

from astroid import MANAGER, nodes
from astroid.rebuilder import TreeRebuilder

from ..knowledge.keras_api import NEVER_READ

_CACHE_SIZE = 256  # parsed project modules kept per process
_LOCATED_SIZE = 4096  # module name lookups kept per process
_SETTLE_EVERY = 4  # project modules read between two freezes (each after a full collection)


@contextmanager
def _collector_paused():
    # Building a tree allocates many small objects that live as long as the tree; the cyclic
    # collector would otherwise scan them again and again (about 2/3 of astroid's build time).
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def settle(collect=False):
    """Exempt what is alive now (astroid's code, cached project trees) from the
    cyclic collector's future scans: every full collection would walk them again (over
    keras-hub, 2 s of full collections against 0.1 s). A frozen object is still freed by
    reference counting, and a cached tree is made acyclic when the cache drops it (release), so
    it is freed then. `collect` runs a full collection first, so that no cyclic garbage (of
    this plugin, of flake8 or of other plugins) is frozen with them: frozen, it would never be
    freed."""
    if collect:
        gc.collect()
    gc.freeze()


def release(module):
    """Make a cached tree acyclic so that reference counting frees it as soon as it is dropped:
    its parent links and scope tables make cycles, and a frozen tree is never scanned by the
    collector. Every node an attribute holds is reached: docstring nodes (doc_node), type
    comments and the like hold their parent too (children only left about a tenth of each
    tree alive, and frozen, for good: a leak once the cache evicts)."""
    todo, seen = [module], {id(module)}
    while todo:
        node = todo.pop()
        for value in [*vars(node).values(), list(node.get_children())]:
            for item in (value if isinstance(value, (list, tuple)) else (value,)):
                if isinstance(item, nodes.NodeNG) and id(item) not in seen:
                    seen.add(id(item))
                    todo.append(item)
        node.parent = None
        for table in ("locals", "instance_attrs", "globals"):
            if isinstance(getattr(node, table, None), dict):
                setattr(node, table, {})


def build(tree, source, modname, path, package, asked=(), walrus=True):
    """The astroid tree for an already parsed stdlib tree (no second parse, no transforms).

    Resolution reads callees, never call arguments, except where a node it will be asked about
    (`asked`: the linted file's constructions and call sites) sits inside them; every other
    call is built without its arguments, which in Keras code are most of the tree, and so are
    the kinds of expression it never reads (_Rebuilder). A walrus binds a name inside an
    expression, so a file with one (`walrus`: the caller read its text) keeps all.

    Does the two steps of astroid's own post-build that need no inference: names imported with
    `from m import n` become locals, and `self.x = ...` in a method becomes an instance attribute.
    astroid's version of the second infers `self`, which can make it load Keras. Both are found
    by walking the statements ourselves: the rebuilder's own lists are private and changed
    shape between astroid 3 and 4.
    """
    keep_all = walrus
    starts = sorted((n.lineno, n.col_offset) for n in asked)
    with _collector_paused():
        rebuilder = _Rebuilder(MANAGER, data=source)
        rebuilder.keeps = lambda node: keep_all or _encloses(starts, node)
        module = rebuilder.visit_module(tree, modname, path, package)
        for node in _statements(module):
            if isinstance(node, nodes.ImportFrom):
                _import_locals(module, node)
            for target in _targets(node):
                classdef = _self_class(target)
                if classdef is not None:
                    classdef.instance_attrs.setdefault(target.attrname, []).append(target)
    return module


class _Rebuilder(TreeRebuilder):
    """astroid's rebuilder, leaving out what resolution never reads unless `keeps(node)`: the
    arguments of calls, and expressions of kinds it never looks into (arithmetic other than
    `[Layer()] * n`, comparisons, subscripts, f-strings), which become an opaque `...`."""

    keeps = None

    def visit_call(self, node, parent):
        if (node.args or node.keywords) and not self.keeps(node):
            node = ast.Call(func=node.func, args=[], keywords=[], **_position(node))
        return super().visit_call(node, parent)

    def _opaque(self, node, parent, visit):
        if self.keeps(node):
            return visit(node, parent)
        return self.visit_constant(ast.Constant(value=..., **_position(node)), parent)

    def visit_binop(self, node, parent):
        if isinstance(node.op, ast.Mult) and (isinstance(node.left, ast.List)
                                              or isinstance(node.right, ast.List)):
            return super().visit_binop(node, parent)  # `[Norm()] * n`: one instance, n slots
        return self._opaque(node, parent, super().visit_binop)

    def visit_boolop(self, node, parent):
        return self._opaque(node, parent, super().visit_boolop)

    def visit_compare(self, node, parent):
        return self._opaque(node, parent, super().visit_compare)

    def visit_unaryop(self, node, parent):
        return self._opaque(node, parent, super().visit_unaryop)

    def visit_subscript(self, node, parent):
        return self._opaque(node, parent, super().visit_subscript)

    def visit_joinedstr(self, node, parent):
        return self._opaque(node, parent, super().visit_joinedstr)


def _position(node):
    return {"lineno": node.lineno, "col_offset": node.col_offset,
            "end_lineno": node.end_lineno, "end_col_offset": node.end_col_offset}


def _encloses(starts, node):
    """Whether one of the sorted (line, col) starts lies inside the node, after its start.
    Nodes nest, so a node that starts inside another's span is inside it; one that starts with
    a call is its callee (`Dense(8)(x)`), which is always built."""
    i = bisect.bisect_right(starts, (node.lineno, node.col_offset))
    return i < len(starts) and starts[i] < (node.end_lineno, node.end_col_offset)


_BLOCKS = ("body", "orelse", "handlers", "finalbody", "cases")


def _statements(module):
    """Every statement of an astroid module, nested blocks and scopes included, in order."""
    todo = list(reversed(module.body))
    while todo:
        node = todo.pop()
        yield node
        for name in _BLOCKS:
            children = getattr(node, name, None)
            if isinstance(children, list):
                todo.extend(reversed(children))


def _targets(stmt):
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


def _import_locals(module, node):
    """`from m import n` binds n where it stands, or in the module when n is declared global."""
    frame = node.frame()
    declared = set()
    if frame is not module:
        for stmt in getattr(frame, "body", ()):
            if isinstance(stmt, nodes.Global):
                declared.update(stmt.names)
    for name, asname in node.names:
        if name == "*":
            continue  # resolved on demand (resolve.py), never by importing
        name = asname or name
        scope = module if name in declared else node.parent
        scope.set_local(name, node)
        scope.scope().locals[name].sort(key=lambda n: n.fromlineno or 0)


def _self_class(target):
    """The class whose instance `target` (an AssignAttr) assigns to, when it is `self.x`."""
    func = target.frame()
    if not isinstance(target.expr, nodes.Name) or not isinstance(func, nodes.FunctionDef):
        return None
    args = func.args.posonlyargs + (func.args.args or [])
    if not args or args[0].name != target.expr.name or not isinstance(func.parent, nodes.ClassDef):
        return None
    # A staticmethod's or classmethod's first parameter is no instance. Read the decorators by
    # name: astroid's `FunctionDef.type` infers them, which may load the libraries they come from.
    for decorator in func.decorators.nodes if func.decorators else ():
        name = getattr(decorator, "name", None) or getattr(decorator, "attrname", None)
        if name in ("staticmethod", "classmethod"):
            return None
    return func.parent


def roots_for(filename):
    """Folders absolute imports may start from: the top of the file's package, its folder, cwd."""
    folder = os.path.dirname(os.path.abspath(filename))
    top = folder
    while os.path.isfile(os.path.join(top, "__init__.py")):
        parent = os.path.dirname(top)
        if parent == top:
            break
        top = parent
    roots = [top, folder, os.getcwd()]
    return tuple(dict.fromkeys(roots))


def module_name(filename, roots):
    """Dotted name of the file relative to its package top, and whether it is a package."""
    path = os.path.abspath(filename)
    rel = os.path.relpath(path, roots[0])
    parts = rel[:-3].split(os.sep) if rel.endswith(".py") else [os.path.basename(path)]
    package = parts[-1] == "__init__"
    if package:
        parts = parts[:-1]
    if not parts or any(not p.isidentifier() for p in parts):
        parts = [os.path.splitext(os.path.basename(path))[0] or "module"]
    return ".".join(parts), package


class Project:
    """The modules one linted file can see: itself (as flake8 read it) and its project's files."""

    _cache = OrderedDict()  # path -> ((mtime_ns, size), astroid module or None); process-wide
    _located = OrderedDict()  # (roots, modname) -> path or None
    _settled = False
    _loads = 0

    def __init__(self, filename, tree, source, asked=(), walrus=True):
        if not Project._settled:  # the first time astroid is imported and used
            Project._settled = True
            settle()
        self._evicted = []
        self._settle = False
        self.roots = roots_for(filename)
        self.modname, package = module_name(filename, self.roots)
        self.module = build(tree, source, self.modname, os.path.abspath(filename), package,
                            asked, walrus)

    def release(self):
        """Drop the linted file's tree, and free the project trees the cache dropped while this
        file was checked (they could still be in use until now). The linted tree is left to
        the cyclic collector, which walks it in C far faster than a walk that unlinks it here
        (a tenth of the check's time); it is never frozen (settle_if_due collects first)."""
        self.module = None
        for module in self._evicted:
            release(module)
        self._evicted = []

    def settle_if_due(self):
        """Freeze the cache when enough modules were read, once nothing of the linted file is
        referenced any more: its tree must never be frozen."""
        if self._settle:
            self._settle = False
            settle(collect=True)

    def load(self, modname):
        """The astroid tree of a project module, or None (not in the project, unreadable)."""
        if modname == self.modname:
            return self.module
        if modname.split(".")[0] in NEVER_READ:
            return None
        path = self._locate(modname)
        if path is None:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        version = (stat.st_mtime_ns, stat.st_size)
        cache = Project._cache
        if path in cache:
            cache.move_to_end(path)
            known, module = cache[path]
            if known == version:
                return module
            self._evict(module)  # the file changed since it was read
        module = _read(path, modname)
        Project._loads += 1
        if Project._loads % _SETTLE_EVERY == 0:
            self._settle = True
        cache[path] = (version, module)
        if len(cache) > _CACHE_SIZE:
            self._evict(cache.popitem(last=False)[1][1])
        return module

    def _evict(self, module):
        if module is not None:
            self._evicted.append(module)

    def _locate(self, modname):
        key = (self.roots, modname)
        located = Project._located
        if key not in located:
            located[key] = _find(self.roots, modname.split("."))
            if len(located) > _LOCATED_SIZE:
                located.popitem(last=False)
        return located[key]


def _find(roots, parts):
    for root in roots:
        base = os.path.join(root, *parts)
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate
    return None


def _read(path, modname):
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        encoding, _ = tokenize.detect_encoding(iter(raw.splitlines(True)).__next__)
        source = raw.decode(encoding)
        tree = ast.parse(source, filename=path)
        return build(tree, source, modname, path, os.path.basename(path) == "__init__.py",
                     walrus=":=" in source)  # a project module's text, read here once
    except (SyntaxError, ValueError, UnicodeError, OSError, RecursionError, MemoryError):
        return None
