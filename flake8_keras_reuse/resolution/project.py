"""The linted project's own modules as astroid trees: the linted file's, and a process-wide
cache of the others.

Only files under the project's roots are ever read (modules.py), and never a module of the
libraries in `knowledge.keras_api.NEVER_READ`, so results do not depend on what is installed
and nothing installed is parsed. Modules are read, never imported or executed. How a tree is
built and when the collector may skip it is trees.py's business.
"""

from __future__ import annotations

import ast
import bisect
import os
import tokenize
from collections import OrderedDict
from typing import Iterable, List, Optional, Sequence, Tuple

from astroid import nodes

from ..knowledge import catalog
from ..knowledge.keras_api import NEVER_READ
from .modules import locate, module_name, roots_for
from .trees import rebuild, release, settle

_CACHE_SIZE = 256  # parsed project modules kept per process
_SETTLE_EVERY = 4  # project modules read between two freezes (each after a full collection)


def build(
    tree: ast.Module,
    source: str,
    modname: str,
    path: str,
    package: bool,
    asked: Iterable[ast.AST] = (),
    walrus: bool = True,
) -> nodes.Module:
    """The astroid tree for an already parsed stdlib tree (no second parse, no transforms).

    Resolution reads callees, never call arguments, except where a node it will be asked about
    (`asked`: the linted file's constructions and call sites) sits inside them; every other
    call is built without its arguments, which in Keras code are most of the tree, and so are
    the kinds of expression it never reads (trees._Rebuilder). A walrus binds a name inside an
    expression, so a file with one (`walrus`: the caller read its text) keeps all.
    """
    keep_all = walrus
    starts = sorted((n.lineno, n.col_offset) for n in asked)  # type: ignore[attr-defined]
    return rebuild(
        tree,
        source,
        modname,
        path,
        package,
        lambda node: keep_all or _encloses(starts, node) or _wraps(node),
    )


def _wraps(node: ast.expr) -> bool:
    """A wrapper's construction (`TimeDistributed(Dense(1))`): what it holds is the layer it
    is given, so its arguments are read."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return catalog.wrapper_name(name)


def _encloses(starts: Sequence[Tuple[int, int]], node: ast.expr) -> bool:
    """Whether one of the sorted (line, col) starts lies inside the node. Nodes nest, so a node
    that starts inside another's span is inside it. A start at a call's own start is its
    callee's (`Dense(8)(x)`), which is always built; at any other node's start, it is the node's
    first operand (`Dense(8)(x) + 1`, `Dense(8)(x)[0]`), which is not."""
    find = bisect.bisect_right if isinstance(node, ast.Call) else bisect.bisect_left
    i = find(starts, (node.lineno, node.col_offset))
    return i < len(starts) and starts[i] < (node.end_lineno, node.end_col_offset)


class Project:
    """The modules one linted file can see: itself (as flake8 read it) and its project's files."""

    # path -> ((mtime_ns, size), astroid module or None); process-wide
    _cache: OrderedDict[str, Tuple[Tuple[int, int], Optional[nodes.Module]]] = OrderedDict()
    _settled = False
    _loads = 0

    def __init__(
        self,
        filename: str,
        tree: ast.Module,
        source: str,
        asked: Iterable[ast.AST] = (),
        walrus: bool = True,
    ) -> None:
        if not Project._settled:  # the first time astroid is imported and used
            Project._settled = True
            settle()
        self._evicted: List[nodes.Module] = []
        self._settle = False
        self.roots = roots_for(filename)
        self.modname, package = module_name(filename, self.roots)
        self.module: Optional[nodes.Module] = build(
            tree, source, self.modname, os.path.abspath(filename), package, asked, walrus
        )

    def release(self) -> None:
        """Drop the linted file's tree, and free the project trees the cache dropped while this
        file was checked (they could still be in use until now). The linted tree is left to
        the cyclic collector, which walks it in C far faster than a walk that unlinks it here;
        it is never frozen (settle_if_due collects first)."""
        self.module = None
        for module in self._evicted:
            release(module)
        self._evicted = []

    def settle_if_due(self) -> None:
        """Freeze the cache when enough modules were read, once nothing of the linted file is
        referenced any more: its tree must never be frozen."""
        if self._settle:
            self._settle = False
            settle(collect=True)

    def load(self, modname: str) -> Optional[nodes.Module]:
        """The astroid tree of a project module, or None (not in the project, unreadable)."""
        if modname == self.modname:
            return self.module
        if modname.split(".")[0] in NEVER_READ:
            return None
        path = locate(self.roots, modname)
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

    def _evict(self, module: Optional[nodes.Module]) -> None:
        if module is not None:
            self._evicted.append(module)


def _read(path: str, modname: str) -> Optional[nodes.Module]:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        encoding, _ = tokenize.detect_encoding(iter(raw.splitlines(True)).__next__)
        source = raw.decode(encoding)
        tree = ast.parse(source, filename=path)
        return build(
            tree,
            source,
            modname,
            path,
            os.path.basename(path) == "__init__.py",
            walrus=":=" in source,
        )  # a project module's text, read here once
    except (SyntaxError, ValueError, UnicodeError, OSError, RecursionError, MemoryError):
        return None
