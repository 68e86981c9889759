"""The forward-path walk: which `self.<attr>` layers run more than once in one pass of `call()`.

Works on the stdlib `ast` tree flake8 already parsed, so it costs next to nothing on files with no
reuse; only what it finds is handed to resolution (astroid) to learn the layer's class.

The walk is a small abstract interpreter. Its state is the set of attributes already called on
some path to the current point, with the site of the first call. Branches that exclude each other
(if/else, try/except, early return, conditional expressions, match) start from the same state and
are joined afterwards; a call of an attribute already in the state is a reuse. Helpers (methods,
properties, nested functions, lambdas) are summarised once per binding of their layer arguments:
a summary lists the attributes the helper calls, and applying it at a call site counts them there.
"""
import ast
from dataclasses import dataclass

ENTRY_METHODS = ("call",)
# Beyond this many nested helper calls the rest is taken as calling nothing: a deep chain then
# misses findings instead of overflowing Python's stack.
MAX_HELPER_DEPTH = 40
# Statements and expressions evaluated per class before the walk gives up on that class.
MAX_STEPS = 200_000


@dataclass(frozen=True)
class Slot:
    """A layer held by the instance: `self.<name>`."""

    name: str


@dataclass(frozen=True)
class Func:
    """Something whose body runs when it is called: a method, a nested def or a lambda."""

    node: ast.AST
    env: tuple = ()  # closure: (name, value) pairs visible from an enclosing function
    self_bound: bool = False  # a method reached through self: its first parameter is self


SELF = "self"  # the value of the instance itself


@dataclass(frozen=True)
class Reuse:
    slot: str
    line: int
    col: int
    first_line: int
    in_loop: bool  # the site itself repeats (a loop), rather than a second site


class _TooBig(Exception):
    pass


@dataclass
class _Summary:
    calls: dict  # slot -> first site (ast node) inside the helper
    value: object  # what the helper returns, when it is always the same layer or helper


def class_methods(classdef, module_classes):
    """Methods of a class and of its base classes defined in the same module, nearest first."""
    methods, seen, todo = {}, set(), [classdef]
    while todo:
        cls = todo.pop(0)
        if id(cls) in seen:
            continue
        seen.add(id(cls))
        for stmt in cls.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                methods.setdefault(stmt.name, stmt)
        for base in cls.bases:
            if isinstance(base, ast.Name) and base.id in module_classes:
                todo.append(module_classes[base.id])
    return methods


def _is_property(func):
    for dec in func.decorator_list:
        name = dec.attr if isinstance(dec, ast.Attribute) else getattr(dec, "id", None)
        if name in ("property", "cached_property"):
            return True
    return False


def find_reuses(classdef, module_classes):
    """Every reuse along the forward path of one class, or [] when it has no `call()`."""
    methods = class_methods(classdef, module_classes)
    entry = next((methods[m] for m in ENTRY_METHODS if m in classdef_methods(classdef)), None)
    if entry is None:
        return []
    walk = _Walk(methods)
    try:
        walk.run_entry(entry)
    except (_TooBig, RecursionError):
        return []
    return sorted(walk.reuses.values(), key=lambda r: (r.line, r.col, r.slot))


def classdef_methods(classdef):
    return {s.name for s in classdef.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}


class _Walk:
    def __init__(self, methods):
        self.methods = methods
        self.reuses = {}
        self.memo = {}
        self.active = set()
        self.steps = 0
        self.depth = 0

    # -- functions -------------------------------------------------------------------------
    def run_entry(self, func):
        state = {}
        self._apply(Func(func, (), True), [], {}, state, None, False)

    def _summary(self, func, args, kwargs):
        params = _bind(func, args, kwargs)
        key = (id(func.node), func.env, params)
        if key in self.memo:
            return self.memo[key]
        if key in self.active or self.depth >= MAX_HELPER_DEPTH:
            return _Summary({}, None)  # recursion or a very deep chain: count nothing
        self.active.add(key)
        self.depth += 1
        try:
            env = dict(func.env)
            env.update(params)
            returns = []
            if isinstance(func.node, ast.Lambda):
                state = {}
                returns.append(self._expr(func.node.body, env, state, False))
                exits = [state]
            else:
                state, exits = self._block(func.node.body, env, {}, False, returns)
                exits = exits + ([state] if state is not None else [])
            calls = {}
            for ex in exits:
                for slot, site in ex.items():
                    calls.setdefault(slot, site)
            value = returns[0] if returns and all(r == returns[0] for r in returns) else None
            summary = _Summary(calls, value)
        finally:
            self.active.discard(key)
            self.depth -= 1
        self.memo[key] = summary
        return summary

    def _apply(self, func, args, kwargs, state, site, loop):
        summary = self._summary(func, args, kwargs)
        if state is not None:
            for slot, inner_site in summary.calls.items():
                self._count(slot, site if site is not None else inner_site, state, loop)
        return summary.value

    def _count(self, slot, site, state, loop):
        first = state.get(slot)
        if first is not None or loop:
            key = (site.lineno, site.col_offset, slot)
            first_line = (first or site).lineno
            self.reuses.setdefault(key, Reuse(slot, site.lineno, site.col_offset, first_line,
                                              first is None))
        if first is None:
            state[slot] = site

    # -- statements ------------------------------------------------------------------------
    def _block(self, body, env, state, loop, returns):
        """Run statements; return (state falling through or None, [states that returned])."""
        exits = []
        for stmt in body:
            if state is None:
                break
            state, more = self._stmt(stmt, env, state, loop, returns)
            exits.extend(more)
        return state, exits

    def _stmt(self, stmt, env, state, loop, returns):
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _TooBig
        if isinstance(stmt, ast.Return):
            value = self._expr(stmt.value, env, state, loop) if stmt.value else None
            returns.append(value)
            return None, [state]
        if isinstance(stmt, ast.Raise):
            self._children(stmt, env, state, loop)
            return None, []
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            value = self._expr(stmt.value, env, state, loop) if stmt.value else None
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                self._bind_target(target, value, env, state, loop,
                                  exact=not isinstance(stmt, ast.AugAssign))
            return state, []
        if isinstance(stmt, ast.If):
            self._expr(stmt.test, env, state, loop)
            return self._alternatives([stmt.body, stmt.orelse], env, state, loop, returns)
        if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
            return self._loop(stmt, env, state, loop, returns)
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                self._expr(item.context_expr, env, state, loop)
                if item.optional_vars is not None:
                    self._bind_target(item.optional_vars, None, env, state, loop, exact=False)
            return self._block(stmt.body, env, state, loop, returns)
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            return self._try(stmt, env, state, loop, returns)
        if isinstance(stmt, ast.Match):
            self._expr(stmt.subject, env, state, loop)
            bodies = [case.body for case in stmt.cases] + [[]]
            return self._alternatives(bodies, env, state, loop, returns)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            env[stmt.name] = Func(stmt, _closure(env))
            return state, []
        if isinstance(stmt, ast.ClassDef):
            env[stmt.name] = None
            return state, []
        self._children(stmt, env, state, loop)
        return state, []

    def _alternatives(self, bodies, env, state, loop, returns):
        falls, exits = [], []
        for body in bodies:
            branch_env = dict(env)
            out, more = self._block(body, branch_env, dict(state), loop, returns)
            exits.extend(more)
            if out is not None:
                falls.append(out)
                _merge_env(env, branch_env)
        return _join(falls), exits

    def _loop(self, stmt, env, state, loop, returns):
        if isinstance(stmt, ast.While):
            self._expr(stmt.test, env, state, True)
        else:
            self._expr(stmt.iter, env, state, loop)
            # The loop variable changes with each iteration: whatever it holds is not one layer.
            self._bind_target(stmt.target, None, env, state, loop, exact=False)
        body_state, exits = self._block(stmt.body, env, dict(state), True, returns)
        # The body may run zero times, so what follows sees both the state before and after it.
        after = _join([state] + ([body_state] if body_state is not None else []))
        out, more = self._block(stmt.orelse, env, after, loop, returns)
        return out, exits + more

    def _try(self, stmt, env, state, loop, returns):
        body_out, exits = self._block(stmt.body, env, dict(state), loop, returns)
        if body_out is not None and stmt.orelse:
            body_out, more = self._block(stmt.orelse, env, body_out, loop, returns)
            exits += more
        # A handler replaces the part of the body that raised: count it as an alternative.
        falls = [body_out] if body_out is not None else []
        for handler in stmt.handlers:
            out, more = self._block(handler.body, dict(env), dict(state), loop, returns)
            exits += more
            if out is not None:
                falls.append(out)
        out = _join(falls)
        if stmt.finalbody:
            out, more = self._block(stmt.finalbody, env, out if out is not None else dict(state),
                                    loop, returns)
            exits += more
        return out, exits

    def _bind_target(self, target, value, env, state, loop, exact):
        if isinstance(target, ast.Name):
            env[target.id] = value if exact else None
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._bind_target(elt, None, env, state, loop, exact=False)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, None, env, state, loop, exact=False)
        else:
            self._children(target, env, state, loop)

    # -- expressions -----------------------------------------------------------------------
    def _expr(self, node, env, state, loop):
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _TooBig
        if node is None:
            return None
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            return None
        if isinstance(node, ast.Attribute):
            base = self._expr(node.value, env, state, loop)
            if base == SELF:
                return self._self_attribute(node.attr, env, state, loop, node)
            return None
        if isinstance(node, ast.Call):
            return self._call(node, env, state, loop)
        if isinstance(node, ast.Lambda):
            return Func(node, _closure(env))
        if isinstance(node, ast.IfExp):
            self._expr(node.test, env, state, loop)
            a, b = dict(state), dict(state)
            va = self._expr(node.body, env, a, loop)
            vb = self._expr(node.orelse, env, b, loop)
            _replace(state, _join([a, b]))
            return va if va == vb else None
        if isinstance(node, ast.BoolOp):
            self._expr(node.values[0], env, state, loop)
            rest = dict(state)
            for value in node.values[1:]:
                self._expr(value, env, rest, loop)
            _replace(state, _join([state, rest]))
            return None
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            return self._comprehension(node, env, state, loop)
        if isinstance(node, ast.NamedExpr):
            value = self._expr(node.value, env, state, loop)
            env[node.target.id] = value
            return value
        self._children(node, env, state, loop)
        return None

    def _children(self, node, env, state, loop):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self._expr(child, env, state, loop)
            elif isinstance(child, (ast.keyword, ast.comprehension, ast.arguments)):
                self._children(child, env, state, loop)
            elif isinstance(child, ast.stmt):
                self._stmt(child, env, state, loop, [])

    def _comprehension(self, node, env, state, loop):
        inner = dict(env)
        for i, gen in enumerate(node.generators):
            # The first iterable is evaluated once, outside the loop; everything else repeats.
            self._expr(gen.iter, inner, state, loop or i > 0)
            self._bind_target(gen.target, None, inner, state, True, exact=False)
            for cond in gen.ifs:
                self._expr(cond, inner, state, True)
        elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        for elt in elements:
            self._expr(elt, inner, state, True)
        return None

    def _self_attribute(self, name, env, state, loop, node):
        method = self.methods.get(name)
        if method is None:
            return Slot(name)
        if _is_property(method):
            return self._apply(Func(method, (), True), [], {}, state, node, loop)
        return Func(method, (), True)

    def _call(self, node, env, state, loop):
        callee = self._callee(node.func, env, state, loop)
        args = [self._expr(a, env, state, loop) for a in node.args]
        kwargs = {}
        for kw in node.keywords:
            value = self._expr(kw.value, env, state, loop)
            if kw.arg is not None:
                kwargs[kw.arg] = value
        if isinstance(callee, Slot):
            self._count(callee.name, node, state, loop)
            return None
        if isinstance(callee, Func):
            return self._apply(callee, args, kwargs, state, node, loop)
        return None

    def _callee(self, func, env, state, loop):
        # getattr(self, "name") is self.name; super().method is the method found above this class.
        if (isinstance(func, ast.Call) and isinstance(func.func, ast.Name)
                and func.func.id == "getattr" and len(func.args) == 2
                and isinstance(func.args[1], ast.Constant) and isinstance(func.args[1].value, str)
                and self._expr(func.args[0], env, state, loop) == SELF):
            return self._self_attribute(func.args[1].value, env, state, loop, func)
        return self._expr(func, env, state, loop)


def _bind(func, args, kwargs):
    """Map a helper's parameters to the layer values passed in; others stay unknown."""
    node = func.node
    params = [a.arg for a in node.args.posonlyargs + node.args.args]
    values = list(args)
    if func.self_bound:
        values = [SELF] + values
    bound = {}
    for name, value in zip(params, values):
        bound[name] = value
    for name, value in kwargs.items():
        if name in params or name in [a.arg for a in node.args.kwonlyargs]:
            bound[name] = value
    names = params + [a.arg for a in node.args.kwonlyargs]
    for extra in (node.args.vararg, node.args.kwarg):
        if extra is not None:
            names.append(extra.arg)
    return tuple((name, bound.get(name)) for name in names)


def _closure(env):
    return tuple(sorted(((k, v) for k, v in env.items() if v is not None), key=lambda kv: kv[0]))


def _join(states):
    if not states:
        return None
    out = {}
    for st in states:
        for slot, site in st.items():
            out.setdefault(slot, site)
    return out


def _replace(state, new):
    state.clear()
    state.update(new or {})


def _merge_env(env, branch_env):
    for name, value in branch_env.items():
        if env.get(name) != value:
            env[name] = None if name in env else value
