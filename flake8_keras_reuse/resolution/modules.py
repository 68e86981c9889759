"""Where the linted project's modules are: the folders imports start from, a file's module
name, and the file a module name is read from.

Only files under the project's roots are ever found. Nothing is imported or executed.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Optional, Sequence, Tuple

Roots = Tuple[str, ...]

_LOCATED_SIZE = 4096  # module name lookups kept per process
_located: OrderedDict[Tuple[Roots, str], Optional[str]] = OrderedDict()  # -> path or None


def roots_for(filename: str) -> Roots:
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


def module_name(filename: str, roots: Roots) -> Tuple[str, bool]:
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


def locate(roots: Roots, modname: str) -> Optional[str]:
    """The file a module name is read from under the roots, or None; the last answers are kept
    per process."""
    key = (roots, modname)
    if key not in _located:
        _located[key] = _find(roots, modname.split("."))
        if len(_located) > _LOCATED_SIZE:
            _located.popitem(last=False)
    return _located[key]


def _find(roots: Roots, parts: Sequence[str]) -> Optional[str]:
    for root in roots:
        base = os.path.join(root, *parts)
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate
    return None
