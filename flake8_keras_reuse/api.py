"""The seam between the analysis and its front ends (the flake8 plugin, the `keras-reuse`
command, tools): one file's source in, findings as data out.

    from flake8_keras_reuse import analyse, render
    for finding in analyse(source, "model.py"):
        print(finding.line, finding.col, finding.code, render(finding))

`analyse` never raises for the input's sake: a failure of the checker itself is one KR900
finding (as pylint's astroid-error), never a traceback and never silence that looks like a clean
file. Pure: nothing of flake8 or argparse is imported, nothing of the user's code is run.
"""

from __future__ import annotations

import ast
import os
import queue
import sys
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

from .findings import Finding, Settings
from .rules import internal_error, render, text

__all__ = ["Finding", "Settings", "analyse", "analyse_unsafely", "render", "text"]

# Set (to anything but "" or "0") to let an internal error raise instead of becoming KR900:
# the test suite runs with it, so no test passes because an error was swallowed.
RAISE_ENV = "KERAS_REUSE_RAISE"


def raise_errors() -> bool:
    return os.environ.get(RAISE_ENV, "") not in ("", "0")


def analyse(
    source: str,
    filename: str,
    settings: Optional[Settings] = None,
    *,
    tree: Optional[ast.Module] = None,
) -> List[Finding]:
    """Findings for one file, in line order; `tree` is `ast.parse(source)` when the caller
    already has it (flake8 does). A source that does not parse has no findings: reporting
    syntax errors is the front end's job (flake8's E999)."""
    try:
        if tree is None:
            try:
                tree = ast.parse(source)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return []
        return on_deep_stack(analyse_unsafely, tree, source, filename, settings)
    except Exception as exc:  # noqa: BLE001 - RecursionError and MemoryError included
        if raise_errors():
            raise
        return [internal_error.from_exception(exc)]


def analyse_unsafely(
    tree: ast.Module, source: str, filename: str, settings: Optional[Settings] = None
) -> List[Finding]:
    """`analyse` on the caller's stack, with the checker's own errors raised."""
    from .core.check import check  # the core, imported on first use

    return check(tree, source, filename, settings or Settings())


# The walks and astroid's rebuilder recurse once or a few times per level of an expression.
# The deepest tree CPython's parser accepts (about 3,000 levels on 3.11, 10,000 on 3.13) needs
# more than the default limit of 1,000 frames; a thread with its own large stack gives every
# file the same room, whatever the caller's stack depth, so results never depend on the order
# files are checked in.
STACK_BYTES = 512 * 2**20  # address space only: pages are committed as they are touched
RECURSION_LIMIT = 100_000
# Where the address space is limited (ulimit -v) the large stack cannot be reserved: smaller
# ones are tried, each with a recursion limit it can hold (about 5 KiB a frame), so only a
# file that needs more recursion than that is KR900, never every file.
STACKS = ((STACK_BYTES, RECURSION_LIMIT), (64 * 2**20, 12_000), (16 * 2**20, 3_000))


def on_deep_stack(func: Callable[..., Any], *args: Any) -> Any:
    """func(*args) on the process's checker thread: a large stack, a raised recursion limit,
    and the same stack depth at the start of every file."""
    task = _Task(func, args)
    tasks, limit = _worker()
    if tasks is None:  # no thread could be started: the caller's own stack
        return func(*args)
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, limit))
    try:
        tasks.put(task)
        task.done.wait()
    finally:
        sys.setrecursionlimit(old_limit)
    if task.error is not None:
        raise task.error
    return task.value


class _Task:
    def __init__(self, func: Callable[..., Any], args: tuple) -> None:
        self.func: Optional[Callable[..., Any]] = func
        self.args: Optional[tuple] = args
        self.value: Any = None
        self.error: Optional[BaseException] = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            assert self.func is not None and self.args is not None
            self.value = self.func(*self.args)
        except BaseException as exc:  # noqa: BLE001 - handed back to the calling thread
            self.error = exc
        finally:
            self.func = self.args = None
            self.done.set()


# pid -> (the checker thread's queue, its recursion limit): a forked child (flake8 -j) starts
# its own. (None, limit) when no thread could be started at all.
_WORKER: Dict[int, Tuple[Optional[queue.SimpleQueue[_Task]], int]] = {}


def _worker() -> Tuple[Optional[queue.SimpleQueue[_Task]], int]:
    pid = os.getpid()
    if pid not in _WORKER:
        _WORKER.clear()
        _WORKER[pid] = (None, sys.getrecursionlimit())
        for size, limit in STACKS:
            tasks: queue.SimpleQueue[_Task] = queue.SimpleQueue()
            old_size = threading.stack_size()
            try:
                threading.stack_size(size)
                threading.Thread(
                    target=_serve, args=(tasks,), name="keras-reuse-check", daemon=True
                ).start()
            except (RuntimeError, MemoryError, ValueError):  # "can't start new thread"
                continue
            finally:
                threading.stack_size(old_size)
            _WORKER[pid] = (tasks, limit)
            break
    return _WORKER[pid]


def _serve(tasks: queue.SimpleQueue[_Task]) -> None:
    while True:
        tasks.get().run()
