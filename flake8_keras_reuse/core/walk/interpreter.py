"""The forward-path walk: which `self.<attr>` layers run more than once in one pass of `call()`.

Works on the stdlib `ast` tree flake8 already parsed, so it costs next to nothing on files with no
reuse; only what it finds is handed to resolution (astroid) to learn the layer's class.

The walk is a small abstract interpreter. Its state records, for each attribute called on some
path to the current point, where it was called and under which conditions (`if self.pre_norm:`).
Branches that exclude each other (if/else, try/except, early return, conditional expressions,
match) start from the same state and are joined afterwards. A call is a reuse when an earlier
call may have run on the same path: it is not under a condition the earlier one contradicts.
Helpers (methods, properties, nested functions, lambdas) are summarised once per binding of
their layer arguments, and applying a summary at a call site counts the layers it calls there.

The rooms: this module walks statements and expressions; paths.py holds the path state and the
conditions, objects.py the values (which object a call runs), summaries.py the helpers and
graphs.py the functional and Sequential graphs.
"""
import ast
import itertools

from .. import footprints, owners
from .budget import Budget, BudgetSpent
from .counting import CallCounter, CallSite
from .graphs import GraphBook, _is_sequential, _Method
from .values import NONE, SELF, Built, Env, Func, Slot, Symbolic
from .paths import Conditions, Ctx, State
from .helpers import Frame, Summaries
from ..syntax import (MATCH, TRY, bound_names, class_like, instance_assignments, is_self_attr,
                     terminal_name)
from ...knowledge.keras_api import (ENTRY_METHODS, EXPECTS_ERROR, GRAPH_INPUTS, GRAPH_MODELS,
                                     KEEPING_METHODS, PROPERTY_DECORATORS, SEQUENTIAL)


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


def find_reuses(classdef, module_classes, budget=None, module_functions=(), conditions=None,
                assigns=None):
    """The reuses along the forward path of one class, and the layer-like constructions on it.

    Returns ([Reuse], [ast.Call]); both empty when the class defines no `call()`.
    `module_functions` are the module's own functions, which the methods may call with a layer;
    `conditions` the file's (paths.Conditions); `assigns` the class's
    syntax.instance_assignments, when the caller has them. Raises BudgetSpent when the file's
    budget runs out.
    """
    own = {s.name: s for s in classdef.body
           if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    entry = next((own[m] for m in ENTRY_METHODS if m in own), None)
    if entry is None:
        return [], []
    assigns = instance_assignments(classdef) if assigns is None else assigns
    # Attributes bound to one instance count as one (`self.a = self.b = Norm()`), and so do
    # the slots of `self.norms = [Norm()] * n`.
    walk = Interpreter(class_methods(classdef, module_classes), owners.attribute_aliases(assigns),
                 repeated=owners.repeated_attributes(assigns), budget=budget,
                 conditions=conditions, lambdas=_lambda_attributes(assigns),
                 composites=footprints.composites(assigns, module_classes, class_methods),
                 module_functions=module_functions)
    walk.run_entry(entry)
    return _sorted(walk.counter.reuses), sorted(walk.constructions.values(), key=_position)


def find_graph_reuses(scopes, module_functions=(), budget=None, conditions=None):
    """Reuses of layers kept in local names of module or function bodies (functional API).

    `module_functions` are the module's own functions, which a body may call as helpers; one
    walk serves every body, so each helper is summarised once per binding for the file. When
    the budget runs out, the bodies walked in full keep their findings.
    """
    # Two walks: the first finds the layers called more than once; the second (deterministic,
    # so its objects are the first's) tracks only their calls in what tensors descend from, so
    # a long graph does not copy every call into every tensor after it.
    conditions = conditions or Conditions()
    candidates = _graph_walk(scopes, module_functions, budget, frozenset(),
                             conditions).counter.reuses
    if not candidates:
        return []
    track = frozenset(reuse.slot for reuse in candidates.values())
    walk = _graph_walk(scopes, module_functions, budget, track, conditions)
    verdicts = {key: walk.book.classify(reuse) for key, reuse in walk.counter.reuses.items()}
    return _sorted({key: reuse for key, reuse in verdicts.items() if reuse is not None})


def _graph_walk(scopes, module_functions, budget, track, conditions):
    walk = Interpreter({}, {}, graph=True, budget=budget, track=track, conditions=conditions,
                 module_functions=module_functions)
    for scope in scopes:
        done = dict(walk.counter.reuses)
        try:
            walk.run_body(scope)
        except BudgetSpent:
            walk.counter.reuses = done
            break
    return walk


def _sorted(reuses):
    return sorted(reuses.values(), key=lambda r: (r.line, r.col, str(r.slot)))


def _position(node):
    return (node.lineno, node.col_offset)


class Interpreter:
    def __init__(self, methods, aliases, graph=False, repeated=frozenset(), budget=None,
                 track=frozenset(), conditions=None, lambdas=None, composites=None,
                 module_functions=()):
        self.methods = methods
        self.track = track  # objects whose calls tensors remember (graphs.py)
        self.aliases = aliases
        self.repeated = repeated
        self.graph = graph  # a module or function body: local names hold layers
        self.constructions = {}  # class-like calls made on the forward path (KR003)
        self.kept = set()  # calls whose result is assigned to self.<attr>: made once, then kept
        self.returned = set()  # calls that are a `return` value: their caller decides
        self.budget = budget if budget is not None else Budget(0)
        self.module_env = None
        self.module_functions = module_functions
        # attribute -> (lambda, the instance's name where it was made)
        self.lambdas = lambdas or {}
        self.counter = CallCounter(composites)
        self.instances = itertools.count(1)  # Built objects and graphs, one id each
        self.frames = [Frame()]  # one per helper being summarised, innermost last
        self.book = GraphBook(self.frames, self.instances, self.budget)
        self.summaries = Summaries(self)
        self.objects = {}  # Built key -> Built
        self.falls_under = None  # facts the statement just run leaves on its fall-through path
        self.versions = itertools.count(1)
        self.conditions = conditions or Conditions()
        self.method_funcs = {}

    # -- functions -------------------------------------------------------------------------
    def run_entry(self, func):
        self.summaries.apply(self._method(func.name), [], {}, State(), None, Ctx())

    def _module_scope(self, module_functions):
        """The module's functions, once per walk: every body sees them (and they see each
        other) through its parent scope, without a copy per body."""
        if self.module_env is None:
            self.module_env = Env()
            for func in module_functions:
                self._set(self.module_env, func.name, Func(func, self.module_env))
        return self.module_env

    def run_body(self, scope):
        env = self._module_scope(self.module_functions).child()
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = scope.args
            for a in args.posonlyargs + args.args + args.kwonlyargs:
                self._set(env, a.arg, None)
        self._block(scope.body, env, State(), Ctx(func=scope if hasattr(scope, "args") else None),
                    [])

    # -- statements ------------------------------------------------------------------------
    def _block(self, body, env, state, ctx, returns):
        """Run statements; return (state falling through or None, [states that returned])."""
        exits = []
        for stmt in body:
            if state is None:
                break
            self.falls_under = None
            state, more = self._stmt(stmt, env, state, ctx, returns)
            exits.extend(more)
            if self.falls_under:
                # `if self.pre_norm: return ...`: what follows runs only when it is false.
                ctx = ctx.assuming(self.falls_under)
        return state, exits

    def _stmt(self, stmt, env, state, ctx, returns):
        self._step()
        if isinstance(stmt, ast.Return):
            if isinstance(stmt.value, ast.Call):
                self.returned.add(id(stmt.value))
            value = self._expr(stmt.value, env, state, ctx) if stmt.value else None
            returns.append(value)
            self._step(len(state.own))
            return None, [state.snapshot()]
        if isinstance(stmt, ast.Raise):
            self._children(stmt, env, state, ctx)
            return None, []
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if isinstance(stmt.value, ast.Call) and all(_on_self(t, env) for t in targets):
                # lazily built once: `self.dense = Dense(4)`, `self.heads[name] = Dense(4)`
                self.kept.add(id(stmt.value))
            parts = None
            if isinstance(stmt.value, (ast.Tuple, ast.List)) and not any(
                    isinstance(e, ast.Starred) for e in stmt.value.elts):
                parts = [self._expr(e, env, state, ctx) for e in stmt.value.elts]
                # Bound whole (`outputs = [a, b]`), a list of tensors stands for all of them.
                tensors = [p for p in parts if isinstance(p, Symbolic)]
                value = self.book.tensor({g for t in tensors for g in t.graphs},
                                     {c for t in tensors for c in t.calls})
            else:
                value = self._expr(stmt.value, env, state, ctx) if stmt.value else None
            if (self.graph and value is None and isinstance(stmt.value, ast.Call)
                    and class_like(stmt.value.func)
                    and len(targets) == 1 and isinstance(targets[0], ast.Name)):
                value = self._new_built(stmt.value, targets[0].id, ctx)
            for target in targets:
                self._bind_target(target, value, env, state, ctx,
                                  exact=not isinstance(stmt, ast.AugAssign), parts=parts)
            return state, []
        if isinstance(stmt, ast.If):
            self._expr(stmt.test, env, state, ctx)
            known = _known_truth(stmt.test, env)
            if known is not None:  # `if key_value is not None:` right after `key_value = None`
                return self._block(stmt.body if known else stmt.orelse, env, state, ctx, returns)
            when_true, when_false = self._facts(stmt.test, ctx)
            out, exits, fell = self._alternatives(
                [(stmt.body, ctx.assuming(when_true).once_in(stmt.test)),
                 (stmt.orelse, ctx.assuming(when_false))], env, state, returns, which=True)
            if fell == [0]:
                self.falls_under = when_true
            elif fell == [1]:
                self.falls_under = when_false
            return out, exits
        if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
            return self._loop(stmt, env, state, ctx, returns)
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            if any(_expects_error(item.context_expr) for item in stmt.items):
                # `with self.assertRaises(...)`: code meant to fail builds nothing that lasts
                # (a test that Keras refuses a graph). Not walked; what it binds is unknown.
                for name in bound_names(stmt):
                    self._set(env, name, None)
                return state, []
            for item in stmt.items:
                self._expr(item.context_expr, env, state, ctx)
                if item.optional_vars is not None:
                    self._bind_target(item.optional_vars, None, env, state, ctx, exact=False)
            return self._block(stmt.body, env, state, ctx, returns)
        if isinstance(stmt, TRY):
            return self._try(stmt, env, state, ctx, returns)
        if isinstance(stmt, MATCH):
            self._expr(stmt.subject, env, state, ctx)
            bodies = [(case.body, ctx) for case in stmt.cases] + [([], ctx)]
            return self._alternatives(bodies, env, state, returns)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._set(env, stmt.name, Func(stmt, env))
            return state, []
        if isinstance(stmt, ast.ClassDef):
            self._set(env, stmt.name, None)
            return state, []
        self._children(stmt, env, state, ctx)
        return state, []

    def _alternatives(self, branches, env, state, returns, which=False):
        falls, exits, envs, fell = [], [], [], []
        for i, (body, ctx) in enumerate(branches):
            branch_env = env.child()  # holds only what the branch binds
            out, more = self._block(body, branch_env, state.fork(), ctx, returns)
            exits.extend(more)
            if out is not None:
                falls.append(out)
                envs.append(branch_env)
                fell.append(i)
        self._join_env(env, envs)
        out = state.merge(falls) if falls else None
        return (out, exits, fell) if which else (out, exits)

    def _loop(self, stmt, env, state, ctx, returns):
        inner = ctx.inside_loop(stmt)
        self.counter.enter_loop(stmt)
        if isinstance(stmt, ast.While):
            self._expr(stmt.test, env, state, inner)
        else:
            items = self._expr(stmt.iter, env, state, ctx)
            if (self._one_instance(items) or isinstance(items, Symbolic)) \
                    and isinstance(stmt.target, ast.Name):
                # Every slot of `[Norm()] * n` is the same layer: each pass calls it again;
                # every item of a list of symbolic tensors is a tensor of their graphs.
                self._bind_target(stmt.target, items, env, state, ctx, exact=True)
            else:
                # The loop variable changes with each pass: whatever it holds is not one layer.
                self._bind_target(stmt.target, None, env, state, ctx, exact=False)
        body_env = env.child()
        body_state, exits = self._block(stmt.body, body_env, state.fork(), inner, returns)
        # The body may run zero times, so what follows sees both the state before and after it.
        self._join_env(env, [body_env], env)
        after = state.merge([body_state]) if body_state is not None else state
        out, more = self._block(stmt.orelse, env, after, ctx, returns)
        return out, exits + more

    def _try(self, stmt, env, state, ctx, returns):
        body_out, exits = self._block(stmt.body, env, state.fork(), ctx, returns)
        if body_out is not None and stmt.orelse:
            body_out, more = self._block(stmt.orelse, env, body_out, ctx, returns)
            exits += more
        # A handler replaces the part of the body that raised: count it as an alternative.
        falls = [body_out] if body_out is not None else []
        for handler in stmt.handlers:
            out, more = self._block(handler.body, env.child(), state.fork(), ctx, returns)
            exits += more
            if out is not None:
                falls.append(out)
        out = state.merge(falls) if falls else None
        if stmt.finalbody:
            out, more = self._block(stmt.finalbody, env, out if out is not None else state.fork(),
                                    ctx, returns)
            exits += more
        return out, exits

    def _bind_target(self, target, value, env, state, ctx, exact, parts=None):
        if isinstance(target, ast.Name):
            self._set(env, target.id, value if exact else None)
        elif isinstance(target, (ast.Tuple, ast.List)):
            # `a, b = x, y` binds pairwise; the parts of a symbolic result are symbolic.
            for i, elt in enumerate(target.elts):
                part = parts[i] if parts and len(parts) == len(target.elts) else (
                    value if isinstance(value, Symbolic) else None)
                self._bind_target(elt, part, env, state, ctx, exact=part is not None)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, None, env, state, ctx, exact=False)
        else:
            self._children(target, env, state, ctx)

    def _set(self, env, name, value):
        env[name] = value
        env[("version", name)] = next(self.versions)

    def _join_env(self, env, branch_envs, also=None):
        """After alternatives, a name keeps its value only when every branch agrees on it.

        The branches are children of `env` holding only what they bound, so the join costs
        what the branches bound, not every name in scope. `also` is a path that bound nothing
        (a loop body that may run zero times: `env` itself).
        """
        paths = branch_envs + ([also] if also is not None else [])
        if not branch_envs:
            return
        names = set()
        for branch in branch_envs:
            names.update(dict.keys(branch))
        self._step(len(names))
        for name in names:
            values = [p.get(name) for p in paths]
            if all(v == values[0] for v in values):
                env[name] = values[0]
            elif all(isinstance(v, Symbolic) for v in values):
                # A tensor from either branch: it descends from what either descends from.
                env[name] = Symbolic(frozenset().union(*(v.graphs for v in values)),
                                     frozenset().union(*(v.calls for v in values)))
            elif isinstance(name, tuple):
                env[name] = next(self.versions)
            else:
                env[name] = None

    # -- conditions ------------------------------------------------------------------------
    def _facts(self, test, ctx):
        """Facts known in the true and in the false branch of `if test:`."""
        return self.conditions.facts(test, ctx.func, self.graph)

    # -- expressions -----------------------------------------------------------------------
    def _step(self, steps=1):
        self.budget.spend(steps)

    def _expr(self, node, env, state, ctx):
        self._step()
        if node is None:
            return None
        if isinstance(node, ast.Constant):
            return NONE if node.value is None else None
        if isinstance(node, ast.Name):
            return env.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self._expr(node.value, env, state, ctx)
            if base == SELF:
                return self._self_attribute(node.attr, state, ctx, node)
            if isinstance(base, Built) and node.attr == "add":
                return _Method(base)
            return None
        if isinstance(node, ast.Call):
            return self._call(node, env, state, ctx)
        if isinstance(node, ast.Subscript):
            items = self._expr(node.value, env, state, ctx)
            self._expr(node.slice, env, state, ctx)
            if self._one_instance(items):
                return items
            index = _constant_index(node.slice)
            if isinstance(items, Slot) and "[" not in items.name and index is not None:
                # `self.norms[0]` is one slot of the list: the same slot twice is one layer.
                return Slot(f"{items.name}[{index!r}]", f"{items.shown}[{index!r}]")
            return None
        if isinstance(node, ast.Lambda):
            return Func(node, env)
        if isinstance(node, ast.IfExp):
            self._expr(node.test, env, state, ctx)
            when_true, when_false = self._facts(node.test, ctx)
            a, b = state.fork(), state.fork()
            va = self._expr(node.body, env, a, ctx.assuming(when_true))
            vb = self._expr(node.orelse, env, b, ctx.assuming(when_false))
            state.merge([a, b])
            return va if va == vb else None
        if isinstance(node, ast.BoolOp):
            self._expr(node.values[0], env, state, ctx)
            rest = state.fork()
            for value in node.values[1:]:
                self._expr(value, env, rest, ctx)
            state.merge([rest])
            return None
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            return self._comprehension(node, env, state, ctx)
        if isinstance(node, ast.NamedExpr):
            value = self._expr(node.value, env, state, ctx)
            self._set(env, node.target.id, value)
            return value
        return self.book.tensor(*self._children(node, env, state, ctx))

    def _children(self, node, env, state, ctx):
        """Evaluate the children; the graphs and upstream calls of the tensors among them."""
        graphs, calls = set(), set()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                value = self._expr(child, env, state, ctx)
                if isinstance(value, Symbolic):
                    graphs |= value.graphs
                    calls |= value.calls
            elif isinstance(child, (ast.keyword, ast.comprehension, ast.arguments)):
                more_graphs, more_calls = self._children(child, env, state, ctx)
                graphs |= more_graphs
                calls |= more_calls
            elif isinstance(child, ast.stmt):
                self._stmt(child, env, state, ctx, [])
        return graphs, calls

    def _comprehension(self, node, env, state, ctx):
        inner = env.child()
        looped = ctx.inside_loop(node)
        for i, gen in enumerate(node.generators):
            # The first iterable is evaluated once, outside the loop; everything else repeats.
            items = self._expr(gen.iter, inner, state, looped if i else ctx)
            tensors = isinstance(items, Symbolic) and isinstance(gen.target, ast.Name)
            self._bind_target(gen.target, items if tensors else None, inner, state, looped,
                              exact=tensors)
            for cond in gen.ifs:
                self._expr(cond, inner, state, looped)
        elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        values = [self._expr(elt, inner, state, looped) for elt in elements]
        # `[head(level) for level in levels]` is a list of tensors: it stands for all of them.
        return values[-1] if isinstance(values[-1], Symbolic) else None

    def _one_instance(self, value):
        return isinstance(value, Slot) and value.name in self.repeated

    def _self_attribute(self, name, state, ctx, node):
        method = self.methods.get(name)
        if method is None and name in self.lambdas:
            return self._lambda_attribute(name)
        if method is None:
            return Slot(self.aliases.get(name, name), f"self.{name}")
        func = self._method(name)
        if _is_property(method):
            return self.summaries.apply(func, [], {}, state, node, ctx)
        return func

    def _lambda_attribute(self, name):
        """`self.f = lambda x: self.norm(x)` in `__init__`: a helper whose `self` is the
        instance, as it was where the lambda was made."""
        if name not in self.method_funcs:
            lam, instance = self.lambdas[name]
            env = self._module_scope(self.module_functions).child()
            self._set(env, instance, SELF)
            self.method_funcs[name] = Func(lam, env)
        return self.method_funcs[name]

    def _call(self, node, env, state, ctx):
        if _is_getattr_of_constant(node) and self._expr(node.args[0], env, state, ctx) == SELF:
            return self._self_attribute(node.args[1].value, state, ctx, node)  # self.<name>
        if isinstance(node.func, ast.Attribute) and node.func.attr in KEEPING_METHODS \
                and _on_self(node.func.value, env):
            # `self.blocks.append(Dense(4))`: built once and kept, like `self.x = Dense(4)`
            for arg in node.args:
                for made in ([arg] if isinstance(arg, ast.Call) else getattr(arg, "elts", ())):
                    if isinstance(made, ast.Call):
                        self.kept.add(id(made))
        callee = self._expr(node.func, env, state, ctx)
        if terminal_name(node.func) == "partial" and node.args:
            # functools.partial(layer, training=True) calls the layer it is given.
            wrapped = self._expr(node.args[0], env, state, ctx)
            for arg in node.args[1:] + [kw.value for kw in node.keywords]:
                self._expr(arg, env, state, ctx)
            if isinstance(wrapped, (Slot, Built, Func)):
                return wrapped
            return None
        if terminal_name(node.func) == SEQUENTIAL and node.args \
                and isinstance(node.args[0], (ast.List, ast.Tuple)):
            # Each listed layer runs when the model runs: listing one twice calls it twice;
            # listing it in two models makes two owners.
            model = frozenset({self.book.sequential(node)})
            for elt in node.args[0].elts:
                self._call_layer(self._expr(elt, env, state, ctx), elt, state, ctx, None,
                                 model, listed=True)
            args = [self._expr(a, env, state, ctx) for a in node.args[1:]]
        else:
            args = [self._expr(a, env, state, ctx) for a in node.args]
        kwargs = {}
        for kw in node.keywords:
            value = self._expr(kw.value, env, state, ctx)
            if kw.arg is not None:
                kwargs[kw.arg] = value
        if (isinstance(node.func, ast.Attribute) and node.func.attr == "add" and len(args) == 1
                and isinstance(callee, _Method) and _is_sequential(callee.of)):
            model = frozenset({self.book.sequential(callee.of)})
            return self._call_layer(args[0], node.args[0], state, ctx, None, model, listed=True)
        # An op or a layer given a symbolic tensor returns one; constructing an object (a
        # class, such as keras.Model(inputs, outputs)) does not. keras.Input() makes one.
        graphs, upstream = None, frozenset()
        tensors = [a for a in itertools.chain(args, kwargs.values()) if isinstance(a, Symbolic)]
        if self.graph and terminal_name(node.func) in GRAPH_INPUTS:
            placeholder = terminal_name(node.func) == "placeholder"
            graphs = frozenset({self.book.new_graph(placeholder)})
        elif self.graph and not class_like(node.func):
            graphs = frozenset(g for a in tensors for g in a.graphs) or None
            upstream = frozenset(c for a in tensors for c in a.calls)
        elif self.graph and terminal_name(node.func) in GRAPH_MODELS:
            self.book.model(args, kwargs)
        if isinstance(callee, (Slot, Built)):
            call = self._call_layer(callee, node, state, ctx, _args_key(node, env), graphs)
            if call is not None and call[1] in self.track:
                upstream |= {call}
        elif isinstance(callee, Func):
            return self.summaries.apply(callee, args, kwargs, state, node, ctx,
                               _param_keys(callee, node, env))
        elif callee is None and not self.graph and _may_be_layer(node.func):
            self._made(node, node)
        elif callee is None and self.graph and class_like(node.func) \
                and terminal_name(node.func) not in GRAPH_INPUTS:
            # In a graph body a construction is an object of its own, made at each evaluation
            # (`return keras.Model(...)` from a builder makes a new model per call).
            return self._new_built(node, "", ctx)
        return self.book.tensor(graphs, upstream)

    def _made(self, construction, site):
        """A layer-like object made at `site`'s call: kept, handed up, or made on every pass."""
        if id(site) in self.kept:
            return  # `self.x = Dense()` or `self.x = self._make()`: built once, then kept
        if id(site) in self.returned and len(self.frames) > 1:
            self.frames[-1].made.append(construction)  # the helper's caller decides
        else:
            self.constructions[_position(construction)] = construction

    def _new_built(self, node, name, ctx):
        built = Built(node, name, next(self.instances))
        self.counter.born(built.key, ctx.loops)
        self.objects[built.key] = built
        self.frames[-1].allocated.append(built)
        return built

    def _method(self, name):
        """One function object per method, so its summaries are shared by every call site."""
        if name not in self.method_funcs:
            self.method_funcs[name] = Func(self.methods[name],
                                           self._module_scope(self.module_functions), True)
        return self.method_funcs[name]

    def _call_layer(self, value, site, state, ctx, args_key, graphs=None, listed=False):
        """Count a call of a layer. A local layer counts only in a graph (`graphs`: the graphs
        of its symbolic inputs, or of the Sequential model it is listed in)."""
        if isinstance(value, Slot):
            return self.counter.count(CallSite(value.name, site, args_key, shown=value.shown,
                                               graphs=graphs), state, ctx)
        elif isinstance(value, Built) and graphs:
            # Named as written where it is used: `twice(x)` for a block a builder returned.
            written = site.func if isinstance(site, ast.Call) else site
            shown = written.id if isinstance(written, ast.Name) else value.name
            return self.counter.count(CallSite(value.key, site, args_key, shown=shown,
                                               graphs=graphs, listed=listed), state, ctx)
        return None


def _may_be_layer(func):
    """A class-like callee that is not plainly something else (an exception being raised)."""
    name = terminal_name(func)
    return class_like(func) and not name.endswith(("Error", "Exception", "Warning"))


def _is_getattr_of_constant(node):
    return (isinstance(node.func, ast.Name) and node.func.id == "getattr" and len(node.args) == 2
            and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str))


def _lambda_attributes(assigns):
    """Attributes a method assigns a lambda exactly once (`self.f = lambda x: self.norm(x)`)."""
    found, seen = {}, set()
    for _, instance, stmt in assigns:
        for target in stmt.targets:
            if is_self_attr(target, instance):
                if target.attr in seen:
                    found.pop(target.attr, None)
                elif isinstance(stmt.value, ast.Lambda):
                    found[target.attr] = (stmt.value, instance)
                seen.add(target.attr)
    return found


def _is_property(func):
    for dec in func.decorator_list:
        name = dec.attr if isinstance(dec, ast.Attribute) else getattr(dec, "id", None)
        if name in PROPERTY_DECORATORS:
            return True
    return False


_SIMPLE_ARGS = (ast.Name, ast.Attribute, ast.Subscript, ast.Constant, ast.Slice, ast.Tuple,
                ast.Load, ast.UnaryOp, ast.USub, ast.expr_context)


def _args_key(call, env):
    """The call's arguments as a comparable key, naming each variable with its current binding.

    None when an argument computes something (a call, arithmetic): two such calls are not known
    to receive the same tensor.
    """
    # Constant keywords (`training=True`, `return_attention_scores=True`) change what the call
    # returns, not which tensors it gets: the same tensors twice are still a recomputation.
    keywords = [kw for kw in call.keywords if not isinstance(kw.value, ast.Constant)]
    parts = [_arg_key(e, env) for e in call.args] + [_arg_key(kw.value, env) for kw in keywords]
    if None in parts:
        return None
    text = [t for t, _ in parts[:len(call.args)]] + [
        f"{kw.arg}={t}" for kw, (t, _) in zip(keywords, parts[len(call.args):])]
    return (tuple(text), tuple(n for _, names in parts for n in names))


def _arg_key(expr, env):
    """One argument's part of _args_key: (its text, its names with their bindings), or None."""
    names = []
    for node in ast.walk(expr):
        if not isinstance(node, _SIMPLE_ARGS):
            return None
        if isinstance(node, ast.Name):
            names.append((node.id, env.get(("version", node.id))))
    return ast.dump(expr), tuple(names)


def _param_keys(func, call, env):
    """For a call of a helper: {parameter: _arg_key of the argument the caller passes}, for the
    arguments that are simple enough to compare (summaries.py translates the helper's own
    argument keys with it)."""
    params = [a.arg for a in func.node.args.posonlyargs + func.node.args.args]
    if func.self_bound:
        params = params[1:]
    pairs = [] if any(isinstance(a, ast.Starred) for a in call.args) else list(
        zip(params, call.args))
    pairs += [(kw.arg, kw.value) for kw in call.keywords if kw.arg is not None]
    keys = {}
    for name, expr in pairs:
        key = _arg_key(expr, env)
        if key is not None:
            keys[name] = key
    return keys




def _on_self(node, env):
    """`self.x`, `self.x[k]` or `self.x.y`: a place on the instance (not a local name)."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return env.get(node.value.id) == SELF
        node = node.value
    return False




def _expects_error(expr):
    """`self.assertRaises(E)`, `pytest.raises(E)` and the like: a block expected to raise."""
    return isinstance(expr, ast.Call) and terminal_name(expr.func) in EXPECTS_ERROR


def _known_truth(test, env):
    """The value of a test on a local known to hold None (`x is None`, `x is not None`, `x`,
    `not x`), else None when it is not known."""
    negate = False
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, negate = test.operand, True
    if isinstance(test, ast.Name):
        truth = False if env.get(test.id) == NONE else None
    elif (isinstance(test, ast.Compare) and len(test.ops) == 1
          and isinstance(test.left, ast.Name) and env.get(test.left.id) == NONE
          and isinstance(test.comparators[0], ast.Constant)
          and test.comparators[0].value is None and isinstance(test.ops[0], (ast.Is, ast.IsNot))):
        truth = isinstance(test.ops[0], ast.Is)
    else:
        return None
    return None if truth is None else truth != negate


def _constant_index(node):
    """The int or str of a constant subscript (`[0]`, `[-1]`, `["age"]`), else None."""
    if isinstance(node, ast.Index):  # Python 3.8's wrapper
        node = node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
            and isinstance(node.operand, ast.Constant) and type(node.operand.value) is int:
        return -node.operand.value
    if isinstance(node, ast.Constant) and type(node.value) in (int, str):
        return node.value
    return None
