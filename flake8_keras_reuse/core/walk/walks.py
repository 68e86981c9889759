"""The two walks and their entry points: a class's call() (ClassWalk: layers kept on self) and
bodies that build functional or Sequential graphs (GraphWalk: layers kept in local names).
Each overrides what differs: what `self.<name>` is, constructing an object, the graphs of a
call's result, and the condition keys."""

from __future__ import annotations

import ast
import itertools
from typing import (
    AbstractSet,
    Any,
    Dict,
    FrozenSet,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
)

from ...knowledge.keras_api import ENTRY_METHODS, GRAPH_INPUTS, GRAPH_MODELS, PROPERTY_DECORATORS
from .. import footprints, owners
from ..syntax import (
    Function,
    class_like,
    instance_assignments,
    is_instance_method,
    is_self_attr,
    self_name,
    terminal_name,
)
from .branches import Branches
from .budget import Budget, BudgetSpent
from .counting import Call
from .paths import Conditions, Ctx, Facts, State
from .values import SELF, Assigned, Attr, Built, Env, Func, Instance, Reuse, Slot, Symbolic

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def class_methods(
    classdef: ast.ClassDef, module_classes: Mapping[str, ast.ClassDef]
) -> Dict[str, Function]:
    """Methods of a class and of its base classes defined in the same module, nearest first."""
    methods: Dict[str, Function] = {}
    seen, todo = set(), [classdef]
    while todo:
        cls = todo.pop(0)
        if id(cls) in seen:
            continue
        seen.add(id(cls))
        for stmt in cls.body:
            if isinstance(stmt, FUNCTIONS):
                methods.setdefault(stmt.name, stmt)
        for base in cls.bases:
            if isinstance(base, ast.Name) and base.id in module_classes:
                todo.append(module_classes[base.id])
    return methods


def find_reuses(
    classdef: ast.ClassDef,
    module_classes: Dict[str, ast.ClassDef],
    budget: Optional[Budget] = None,
    module_functions: Sequence[ast.AST] = (),
    conditions: Optional[Conditions] = None,
    assigns: Optional[List[Any]] = None,
) -> Tuple[List[Reuse], List[ast.Call]]:
    """The reuses along the forward path of one class, and the layer-like constructions on it.

    Returns ([Reuse], [ast.Call]); both empty when the class defines no `call()`.
    `module_functions` are the module's own functions, which the methods may call with a layer;
    `conditions` the file's (paths.Conditions); `assigns` the class's
    syntax.instance_assignments, when the caller has them. Raises BudgetSpent when the file's
    budget runs out.
    """
    own = {s.name: s for s in classdef.body if isinstance(s, FUNCTIONS)}
    entry = next((own[m] for m in ENTRY_METHODS if m in own), None)
    if entry is None:
        return [], []
    assigns = instance_assignments(classdef) if assigns is None else assigns
    # Attributes bound to one instance count as one (`self.a = self.b = Norm()`), and so do
    # the slots of `self.norms = [Norm()] * n`.
    walk = ClassWalk(
        class_methods(classdef, module_classes),
        owners.attribute_aliases(assigns),
        repeated=owners.repeated_attributes(assigns),
        lambdas=_lambda_attributes(assigns),
        composites=footprints.composites(assigns, module_classes, class_methods),
        budget=budget,
        conditions=conditions,
        module_functions=module_functions,
    )
    walk.run_entry(entry)
    return (
        _sorted(walk.counter.reuses),
        sorted(walk.constructions.values(), key=lambda n: (n.lineno, n.col_offset)),
    )


def find_graph_reuses(
    scopes: Iterable[ast.AST],
    module_functions: Sequence[ast.AST] = (),
    budget: Optional[Budget] = None,
    conditions: Optional[Conditions] = None,
    owners: Optional[Mapping[int, ast.ClassDef]] = None,
    module_classes: Optional[Mapping[str, ast.ClassDef]] = None,
) -> List[Reuse]:
    """Reuses of layers kept in local names of module or function bodies (functional API),
    and in the attributes of a method's instance (`self.critic`).

    `module_functions` are the module's own functions, which a body may call as helpers; one
    walk serves every body, so each helper is summarised once per binding for the file. When
    the budget runs out, the bodies walked in full keep their findings. `owners` maps id() of
    a body that is a method to its class; `module_classes` are the file's classes by name.
    """
    # Two walks: the first finds the layers called more than once; the second (deterministic,
    # so its objects are the first's) tracks only their calls in what tensors descend from, so
    # a long graph does not copy every call into every tensor after it.
    conditions = conditions or Conditions()
    scopes = list(scopes)
    context = (module_functions, budget, conditions, owners or {}, module_classes or {})
    candidates = _graph_walk(scopes, frozenset(), *context).counter.reuses
    if not candidates:
        return []
    track = frozenset(reuse.slot for reuse in candidates.values())
    walk = _graph_walk(scopes, track, *context)
    verdicts = {key: walk.book.classify(reuse) for key, reuse in walk.counter.reuses.items()}
    return _sorted({key: reuse for key, reuse in verdicts.items() if reuse is not None})


def _graph_walk(
    scopes: Iterable[ast.AST],
    track: FrozenSet[Any],
    module_functions: Sequence[ast.AST],
    budget: Optional[Budget],
    conditions: Conditions,
    owners: Mapping[int, ast.ClassDef],
    module_classes: Mapping[str, ast.ClassDef],
) -> GraphWalk:
    walk = GraphWalk(track, budget, conditions, module_functions, module_classes)
    for scope in scopes:
        done = dict(walk.counter.reuses)
        try:
            walk.run_body(scope, owners.get(id(scope)))
        except BudgetSpent:
            walk.counter.reuses = done
            break
    return walk


def _sorted(reuses: Dict[Any, Reuse]) -> List[Reuse]:
    return sorted(reuses.values(), key=lambda r: (r.line, r.col, str(r.slot)))


class ClassWalk(Branches):
    """A class's call() and the helpers it reaches: layers are `self.<attr>`; a construction on
    the path is one made on every pass (KR003)."""

    def __init__(
        self,
        methods: Dict[str, Any],
        aliases: Dict[str, str],
        repeated: AbstractSet[str] = frozenset(),
        lambdas: Optional[Dict[str, Any]] = None,
        composites: Optional[Dict[str, Any]] = None,
        budget: Optional[Budget] = None,
        conditions: Optional[Conditions] = None,
        module_functions: Sequence[ast.AST] = (),
    ) -> None:
        super().__init__(budget, conditions, module_functions, composites)
        self.methods = methods
        self.aliases = aliases
        self.repeated = repeated
        # attribute -> (lambda, the instance's name where it was made)
        self.lambdas = lambdas or {}
        self.method_funcs: Dict[str, Func] = {}

    def run_entry(self, func: Any) -> None:
        self.summaries.apply(self._method(func.name), [], {}, State(), None, Ctx())

    def _self_attribute(self, name: str, state: State, ctx: Ctx, node: ast.expr) -> Any:
        method = self.methods.get(name)
        if method is None and name in self.lambdas:
            return self._lambda_attribute(name)
        if method is None:
            return Slot(self.aliases.get(name, name), f"self.{name}")
        func = self._method(name)
        if _is_property(method):
            return self.summaries.apply(func, [], {}, state, node, ctx)
        return func

    def _lambda_attribute(self, name: str) -> Func:
        """`self.f = lambda x: self.norm(x)` in `__init__`: a helper whose `self` is the
        instance, as it was where the lambda was made."""
        if name not in self.method_funcs:
            lam, instance = self.lambdas[name]
            env = self._module_scope(self.module_functions).child()
            self._set(env, instance, SELF)
            self.method_funcs[name] = Func(lam, env)
        return self.method_funcs[name]

    def _method(self, name: str) -> Func:
        """One function object per method, so its summaries are shared by every call site."""
        if name not in self.method_funcs:
            self.method_funcs[name] = Func(
                self.methods[name], self._module_scope(self.module_functions), True
            )
        return self.method_funcs[name]

    def _unknown_call(
        self, node: ast.Call, ctx: Ctx, graphs: Optional[FrozenSet[Any]], upstream: FrozenSet[Call]
    ) -> Any:
        if _may_be_layer(node.func):
            self._made(node, node)
        return self.book.tensor(graphs, upstream)


class GraphWalk(Branches):
    """Module and function bodies: layers are objects kept in local names, counted when they
    run on symbolic tensors; `track` are the objects whose calls tensors remember."""

    def __init__(
        self,
        track: FrozenSet[Any] = frozenset(),
        budget: Optional[Budget] = None,
        conditions: Optional[Conditions] = None,
        module_functions: Sequence[ast.AST] = (),
        module_classes: Optional[Mapping[str, ast.ClassDef]] = None,
    ) -> None:
        super().__init__(budget, conditions, module_functions)
        self.track = track
        self.module_classes = dict(module_classes or {})
        self.methods: AbstractSet[str] = frozenset()  # of the walked method's class
        # Bumped when the instance's attributes may have been rebound (a method of it ran).
        self.epoch = 0

    def run_body(self, scope: Any, owner: Optional[ast.ClassDef] = None) -> None:
        """Walk one body; `owner` is the class it is a method of (its instance's attributes
        are objects of the walk: `self.critic` called on two tensors of one model)."""
        module = self._module_scope(self.module_functions)
        # The module's own names live where its functions look them up when they run (late
        # binding): a function called twice sees the module's instance both times.
        env = module if isinstance(scope, ast.Module) else module.child()
        self.module_names_bound |= env is module
        self.methods = set()
        if isinstance(scope, FUNCTIONS):
            args = scope.args
            for a in args.posonlyargs + args.args + args.kwonlyargs:
                self._set(env, a.arg, None)
            if owner is not None and is_instance_method(scope):
                self._set(env, str(self_name(scope)), Instance(owner))
                self.methods = set(class_methods(owner, self.module_classes))
        self._block(
            scope.body, env, State(), Ctx(func=scope if hasattr(scope, "args") else None), []
        )

    def _facts(self, test: ast.expr, ctx: Ctx) -> Tuple[Facts, Facts]:
        return self.conditions.facts(test, ctx.func, graph=True)

    # -- the instance of a method's class -------------------------------------------------
    def _instance_attribute(self, instance: Instance, name: str, env: Env) -> Any:
        """`self.<name>`: what this body assigned it, or one object per assignment; None for
        a method (calling one may rebind any attribute: a new epoch) and inside a helper,
        whose summary serves call sites with other histories."""
        if len(self.frames) > 1:
            return None
        if name in self.methods:
            self.epoch += 1
            return None
        assigned = env.get(f"self.{name}")
        if isinstance(assigned, Assigned) and assigned.epoch == self.epoch:
            return assigned.value
        if assigned is not None and not isinstance(assigned, Assigned):
            return None  # branches that assigned it differently
        return self._fresh_attr(instance, name, env)

    def _fresh_attr(self, instance: Instance, name: str, env: Env) -> Attr:
        attr = Attr(instance.owner, name, next(self.instances))
        self._set(env, f"self.{name}", Assigned(self.epoch, attr))
        return attr

    def _bind_attribute(self, target: ast.Attribute, value: Any, env: Env, exact: bool) -> bool:
        """`self.x = value` in a method: the attribute holds that object from here on."""
        instance = env.get(target.value.id) if isinstance(target.value, ast.Name) else None
        if not isinstance(instance, Instance) or len(self.frames) > 1:
            return False
        if exact and isinstance(value, (Built, Attr)):
            self._set(env, f"self.{target.attr}", Assigned(self.epoch, value))
        else:  # whatever it was given (a builder's result): one object from here on
            self._fresh_attr(instance, target.attr, env)
        return True

    def _assigned(self, stmt: Any, targets: List[ast.expr], value: Any, ctx: Ctx) -> Any:
        if (
            value is None
            and isinstance(stmt.value, ast.Call)
            and class_like(stmt.value.func)
            and len(targets) == 1
            and isinstance(targets[0], ast.Name)
        ):
            return self._new_built(stmt.value, targets[0].id, ctx)
        return value

    def _call_graphs(
        self, node: ast.Call, callee: Any, args: List[Any], kwargs: Dict[str, Any]
    ) -> Tuple[Optional[FrozenSet[Any]], FrozenSet[Call]]:
        # An op or a layer given a symbolic tensor returns one; constructing an object (a
        # class, such as keras.Model(inputs, outputs)) does not. keras.Input() makes one. A
        # callee the walk knows is a call of that object, however its name is spelled
        # (`L = Dense(20)`, then `L(x)`); only an unknown one is taken by its name.
        graphs: Optional[FrozenSet[Any]] = None
        upstream: FrozenSet[Call] = frozenset()
        if self.methods and any(
            isinstance(a, Instance) for a in itertools.chain(args, kwargs.values())
        ):
            self.epoch += 1  # the instance handed on: its attributes may be rebound
        name = terminal_name(node.func)
        if name in GRAPH_INPUTS:
            graphs = frozenset({self.book.new_graph(name == "placeholder")})
        elif self.methods and _super_init(node):
            # A functional model built by its own class (`super().__init__(inputs, outputs)`
            # in `__init__`, as backbones are): the model holds what its outputs descend from.
            self.book.model(args, kwargs)
        elif isinstance(callee, (Slot, Built, Attr, Func)) or not class_like(node.func):
            tensors = [a for a in itertools.chain(args, kwargs.values()) if isinstance(a, Symbolic)]
            graphs = frozenset(g for a in tensors for g in a.graphs) or None
            upstream = frozenset(c for a in tensors for c in a.calls)
        elif name in GRAPH_MODELS:
            self.book.model(args, kwargs)
        return graphs, upstream

    def _unknown_call(
        self, node: ast.Call, ctx: Ctx, graphs: Optional[FrozenSet[Any]], upstream: FrozenSet[Call]
    ) -> Any:
        if class_like(node.func) and terminal_name(node.func) not in GRAPH_INPUTS:
            # In a graph body a construction is an object of its own, made at each evaluation
            # (`return keras.Model(...)` from a builder makes a new model per call).
            return self._new_built(node, "", ctx)
        return self.book.tensor(graphs, upstream)


def _super_init(node: ast.Call) -> bool:
    func = node.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "__init__"
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id == "super"
    )


def _may_be_layer(func: ast.expr) -> bool:
    """A class-like callee that is not plainly something else (an exception being raised)."""
    name = terminal_name(func)
    return class_like(func) and not (name or "").endswith(("Error", "Exception", "Warning"))


def _lambda_attributes(assigns: List[Any]) -> Dict[str, Tuple[ast.Lambda, str]]:
    """Attributes a method assigns a lambda exactly once (`self.f = lambda x: self.norm(x)`)."""
    found: Dict[str, Tuple[ast.Lambda, str]] = {}
    seen = set()
    for _, instance, stmt in assigns:
        for target in stmt.targets:
            if is_self_attr(target, instance):
                if target.attr in seen:
                    found.pop(target.attr, None)
                elif isinstance(stmt.value, ast.Lambda):
                    found[target.attr] = (stmt.value, instance)
                seen.add(target.attr)
    return found


def _is_property(func: Any) -> bool:
    for dec in func.decorator_list:
        name = dec.attr if isinstance(dec, ast.Attribute) else getattr(dec, "id", None)
        if name in PROPERTY_DECORATORS:
            return True
    return False
