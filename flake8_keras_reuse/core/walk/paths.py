"""Control flow for the forward walk: what ran on the path so far, and which conditions exclude
each other.

The state of a path is, per layer (a slot), the records of the calls that may have run on it,
each with the conditions it ran under. Branches fork the state and are joined afterwards. A
fork shares its parent's records and keeps only its own changes, and a join writes back only
the slots some branch changed, so a `call()` with thousands of `if`s costs what its branches
contain, not thousands of copies of everything before them.

Conditions are compared by their syntax tree (`if self.pre_norm:` and `if not self.pre_norm:`
exclude each other); a condition is only a fact when nothing on the path can change its value.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Set, Tuple

from ..syntax import MATCH, blocks, bound_names, self_name

# (condition key, truth) pairs: what is known on a path
Facts = FrozenSet[Tuple[Any, bool]]

# Call records kept per slot; more only repeat what the first ones prove.
MAX_RECORDS = 8


@dataclass(frozen=True, eq=False)
class Record:
    """One call of a layer on some path: where, under which facts, with which arguments."""

    site: ast.expr
    assume: Facts  # (condition key, truth) pairs under which the call ran
    args: Any  # key of the unchanged arguments, or None when they cannot be compared
    shown: str = ""
    # for a call in a functional graph: the graphs of its inputs
    graphs: Optional[FrozenSet[Any]] = None
    listed: bool = False  # listed in a Sequential model rather than called


class State:
    """Call records per slot along the current path. Records are only ever added, so a branch's
    records for a slot always extend its parent's."""

    __slots__ = ("own", "parent")

    def __init__(
        self, parent: Optional[State] = None, own: Optional[Dict[Any, Tuple[Record, ...]]] = None
    ) -> None:
        self.own = {} if own is None else own
        self.parent = parent

    def get(self, slot: Any) -> Tuple[Record, ...]:
        state: Optional[State] = self
        while state is not None:
            records = state.own.get(slot)
            if records is not None:
                return records
            state = state.parent
        return ()

    def add(self, slot: Any, record: Record) -> None:
        records = self.get(slot)
        if len(records) < MAX_RECORDS:
            self.own[slot] = records + (record,)

    def fork(self) -> State:
        return State(self)

    def merge(self, branches: List[State]) -> State:
        """Join into this state the forks of it that fell through: every record of each."""
        changed: Dict[Any, None] = {}
        for branch in branches:
            for slot in branch.own:
                changed.setdefault(slot, None)
        for slot in changed:
            self.own[slot] = union(branch.get(slot) for branch in branches)
        return self

    def snapshot(self) -> State:
        """A flat copy that later changes to the parents cannot reach (an exit's state)."""
        chain: List[Dict[Any, Tuple[Record, ...]]] = []
        state: Optional[State] = self
        while state is not None:
            chain.append(state.own)
            state = state.parent
        flat: Dict[Any, Tuple[Record, ...]] = {}
        for own in reversed(chain):
            flat.update(own)
        return State(None, flat)

    def slots(self) -> Dict[Any, Tuple[Record, ...]]:
        return self.snapshot().own


def union(record_lists: Iterable[Tuple[Record, ...]]) -> Tuple[Record, ...]:
    """Records of several paths, each once (records are compared by identity)."""
    out, seen = [], set()
    for records in record_lists:
        added = 0
        for record in records:
            if id(record) not in seen and added < MAX_RECORDS:
                seen.add(id(record))
                out.append(record)
                added += 1
    return tuple(out)


def join(states: List[State]) -> Optional[Dict[Any, Tuple[Record, ...]]]:
    """The flat state after alternatives (exits of a helper): every record of every state."""
    if not states:
        return None
    slots: Dict[Any, None] = {}
    for state in states:
        for slot in state.slots():
            slots.setdefault(slot, None)
    return {slot: union(s.get(slot) for s in states) for slot in slots}


def conflict(a: Facts, b: Facts) -> bool:
    """Whether two sets of condition facts cannot both hold."""
    if not a or not b:
        return False
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return any((key, not truth) in large for key, truth in small)


@dataclass(frozen=True)
class Ctx:
    """Where the walk is: the loops around it and the facts assumed on its path."""

    loops: Tuple[int, ...] = ()  # the loops (and comprehensions) around this point, innermost last
    assume: Facts = frozenset()
    func: Any = None  # the function being walked, for its condition keys
    # per loop, the name of its plain loop variable (`for t in ...`)
    counters: Tuple[Optional[str], ...] = ()

    def inside_loop(self, node: ast.AST) -> Ctx:
        return Ctx(
            self.loops + (id(node),), self.assume, self.func, self.counters + (_counter(node),)
        )

    def assuming(self, facts: Facts) -> Ctx:
        return Ctx(self.loops, self.assume | facts, self.func, self.counters)

    def once_in(self, test: ast.expr) -> Ctx:
        """Inside `if t == 1:` in `for t in ...` (or `if i == 0 and ...:` in
        `for i, x in enumerate(...)`), the body runs in one pass of that loop at most: that
        loop does not repeat what it calls."""
        parts = (
            test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
        )
        names = [_compared_to_constant(part) for part in parts]
        name = next((n for n in names if n is not None and n in self.counters), None)
        if name is None:
            return self
        keep = [i for i, counter in enumerate(self.counters) if counter != name]
        return Ctx(
            tuple(self.loops[i] for i in keep),
            self.assume,
            self.func,
            tuple(self.counters[i] for i in keep),
        )


def _counter(loop: ast.AST) -> Optional[str]:
    """The name that differs on every pass of a loop: `t` in `for t in ...`, `i` in
    `for i, x in enumerate(...)`; None for any other loop."""
    target = getattr(loop, "target", None)
    if isinstance(target, ast.Name):
        return target.id
    iterable = getattr(loop, "iter", None)
    if (
        isinstance(target, ast.Tuple)
        and target.elts
        and isinstance(target.elts[0], ast.Name)
        and isinstance(iterable, ast.Call)
        and isinstance(iterable.func, ast.Name)
        and iterable.func.id == "enumerate"
    ):
        return target.elts[0].id
    return None


def _compared_to_constant(test: ast.expr) -> Optional[str]:
    """`t == 1` or `1 == t`: the name compared for equality with a constant, else None."""
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        left, right = test.left, test.comparators[0]
        if isinstance(left, ast.Name) and isinstance(right, ast.Constant):
            return left.id
        if isinstance(right, ast.Name) and isinstance(left, ast.Constant):
            return right.id
    return None


_NEGATED = {ast.IsNot: ast.Is, ast.NotEq: ast.Eq, ast.NotIn: ast.In}
_OPAQUE = (ast.Call, ast.NamedExpr, ast.Await, ast.Lambda, ast.Yield, ast.YieldFrom)


class Conditions:
    """Facts known inside each branch of a test, per function (its stable names are cached).

    One per file, shared by its walks. `walrus`: the file may hold an assignment expression
    (`:=`), which can rebind a name anywhere in an expression."""

    def __init__(self, walrus: bool = True) -> None:
        self._stable: Dict[int, FrozenSet[str]] = {}
        self._walrus = walrus

    def facts(self, test: ast.expr, func: Any, graph: bool = False) -> Tuple[Facts, Facts]:
        """(facts when true, facts when false) for `if test:` in `func`."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            when_true, when_false = self.facts(test.operand, func, graph)
            return when_false, when_true
        if isinstance(test, ast.BoolOp):
            parts = [self.facts(v, func, graph) for v in test.values]
            if isinstance(test.op, ast.And):  # all true when true; nothing known when false
                return frozenset().union(*(p[0] for p in parts)), frozenset()
            return frozenset(), frozenset().union(*(p[1] for p in parts))
        found = self.key(test, func, graph)
        if found is None:
            return frozenset(), frozenset()
        key, truth = found
        return frozenset({(key, truth)}), frozenset({(key, not truth)})

    def key(self, test: ast.expr, func: Any, graph: bool = False) -> Optional[Tuple[Any, bool]]:
        """((scope, shape), truth) naming a condition that keeps its value through the pass,
        with `x is not None` the negation of `x is None`; None when its value may change."""
        names = set()
        for node in ast.walk(test):
            if isinstance(node, _OPAQUE):
                return None
            if isinstance(node, ast.Name):
                names.add(node.id)
        instance = None if graph else self_name(func)
        if names - {instance} and not names <= self._stable_names(func):
            return None
        # `self.pre_norm` means the same in every method, whatever the method calls self.
        scope = "self" if instance and names == {instance} else id(func)
        rename = {instance: "self"} if instance else {}
        truth = True
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _NEGATED:
            truth = False
            shape = (
                "Compare",
                _shape(test.left, rename),
                _NEGATED[type(test.ops[0])].__name__,
                _shape(test.comparators, rename),
            )
        elif isinstance(test, ast.Compare) and len(test.ops) == 1:
            shape = (
                "Compare",
                _shape(test.left, rename),
                type(test.ops[0]).__name__,
                _shape(test.comparators, rename),
            )
        else:
            shape = _shape(test, rename)
        return (scope, shape), truth

    def _stable_names(self, func: Any) -> FrozenSet[str]:
        """Parameters (and so self) that the function never rebinds."""
        if func is None:
            return frozenset()
        if id(func) not in self._stable:
            args = func.args
            params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
            self._stable[id(func)] = frozenset(params - _stored_names(func, self._walrus))
        return self._stable[id(func)]


def _stored_names(func: Any, walrus: bool) -> Set[str]:
    """Names a function's statements (nested scopes included) may rebind. Only a walrus binds
    inside an expression, so without one the targets are read and expressions never walked
    (walking every node was a sixth of the forward walk's time). A comprehension's variable is
    its own scope, and `except E as name` only unbinds the name: neither changes a value."""
    body = func.body if isinstance(func.body, list) else [func.body]
    if walrus or isinstance(func, ast.Lambda):
        return bound_names(*body)
    stored: Set[str] = set()
    todo = list(body)
    while todo:
        stmt = todo.pop()
        for target in _targets(stmt):
            stored.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stored.add(stmt.name)
            todo.extend(stmt.body)
        todo.extend(s for block in blocks(stmt) for s in block)
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            stored.update((a.asname or a.name).split(".")[0] for a in stmt.names)
        if MATCH and isinstance(stmt, MATCH):
            # Capture names: MatchAs/MatchStar's `name`, MatchMapping's `rest`.
            stored.update(
                name
                for case in stmt.cases
                for n in ast.walk(case.pattern)
                for name in (getattr(n, "name", None), getattr(n, "rest", None))
                if isinstance(name, str)
            )
    return stored


def _targets(stmt: ast.AST) -> List[ast.expr]:
    if isinstance(stmt, (ast.Assign, ast.Delete)):
        return stmt.targets
    if isinstance(stmt, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
        return [stmt.target]
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in stmt.items if item.optional_vars is not None]
    return []


def _shape(node: Any, rename: Mapping[Any, str]) -> Any:
    """A hashable copy of an expression's tree, without positions; instance renamed `self`."""
    if isinstance(node, list):
        return tuple(_shape(n, rename) for n in node)
    if not isinstance(node, ast.AST):
        return node
    if isinstance(node, ast.Name):
        return ("Name", rename.get(node.id, node.id))
    if isinstance(node, ast.expr_context):
        return None
    return (type(node).__name__,) + tuple(
        _shape(getattr(node, f, None), rename) for f in node._fields
    )
