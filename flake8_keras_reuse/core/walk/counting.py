"""Whether a call of a layer is a second call in one pass: an earlier call on the same path, or
a loop around it. The only place a Reuse is made."""

from __future__ import annotations

import ast
from typing import Any, Dict, FrozenSet, List, NamedTuple, Optional, Set, Tuple

from .. import footprints
from ..syntax import bound_names
from .paths import Ctx, Record, State, conflict
from .values import Reuse

# A call as the graphs remember it: (id(call site), object key).
Call = Tuple[int, Any]


class CallSite(NamedTuple):
    """One call of a layer, as the walk meets it."""

    slot: Any  # an attribute name, or Built.key for a local layer
    site: ast.expr  # the call (or the element of a Sequential list)
    args: Any = None  # the arguments' key (interpreter._args_key), None when not comparable
    via: str = ""  # the helper through which the site calls the layer
    earlier: Optional[Tuple[Record, ...]] = None  # the records it follows; None: the path's
    shown: str = ""  # how the layer is written at the site
    graphs: Optional[FrozenSet[Any]] = None  # in a graph: the graphs of its inputs
    listed: bool = False  # listed in a Sequential model rather than called


class CallCounter:
    """Counts calls along the path state and keeps the reuses found. `composites` are the
    module classes the instance holds (footprints.Composite), whose direct calls may run parts
    of them that share nothing."""

    def __init__(self, composites: Optional[Dict[str, Any]] = None) -> None:
        self.composites = composites or {}
        self.reuses: Dict[Tuple[int, int, Any], Reuse] = {}
        self.birth: Dict[Any, Tuple[int, ...]] = {}  # Built key -> the loops around its making
        self.loop_stores: Dict[int, Set[str]] = {}  # id(loop) -> the names it binds
        self.footprints: Dict[int, Any] = {}  # id(call site) -> the layers that call may use

    def born(self, key: Any, loops: Tuple[int, ...]) -> None:
        """An object made inside these loops: each pass makes it anew."""
        self.birth[key] = loops

    def enter_loop(self, loop: ast.AST) -> None:
        self.loop_stores.setdefault(id(loop), bound_names(loop))

    def count(self, call: CallSite, state: State, ctx: Ctx) -> Call:
        """Record the call on the path; a Reuse when an earlier call may have run on the same
        path, or a loop repeats it. Returns the call as graphs remember it."""
        slot, site = call.slot, call.site
        records = state.get(slot) if call.earlier is None else call.earlier
        earlier = [
            r
            for r in records
            if not conflict(r.assume, ctx.assume) and not self._apart(slot, r.site, site)
        ]
        # A loop repeats the call unless the object itself is made anew on every pass.
        repeating = set(ctx.loops) - set(self.birth.get(slot, ()))
        here = (id(site), slot)
        if earlier or repeating:
            key = (site.lineno, site.col_offset, slot)
            if key not in self.reuses:
                self.reuses[key] = self._reuse(call, earlier, repeating, here)
        state.add(slot, Record(site, ctx.assume, call.args, call.shown, call.graphs, call.listed))
        return here

    def _reuse(
        self, call: CallSite, earlier: List[Record], repeating: Set[int], here: Call
    ) -> Reuse:
        site, args = call.site, call.args
        if earlier:
            same = not repeating and args is not None and all(r.args == args for r in earlier)
        else:  # only the loop repeats it: on the same input when the loop changes none
            same = args is not None and self._invariant(site, repeating)
        first = earlier[0].site if earlier else site
        return Reuse(
            slot=call.slot,
            line=site.lineno,
            col=site.col_offset,
            first_line=first.lineno,
            in_loop=not earlier,
            via=call.via,
            same_input=same,
            shown=call.shown,
            listed=call.listed,
            graphs=(call.graphs, tuple(r.graphs for r in earlier)),
            calls=(here, tuple((id(r.site), call.slot) for r in earlier)),
            earlier_lines=tuple(r.site.lineno for r in earlier),
            end_line=getattr(site, "end_lineno", None),
            end_col=getattr(site, "end_col_offset", None),
        )

    def _invariant(self, site: Any, loops: Set[int]) -> bool:
        """Whether a call's arguments are the same on every pass of these loops: constants and
        names none of them rebinds (`self.bias(0.0)`, `self.norm(x)` with x set before)."""
        args = list(site.args) + [k.value for k in site.keywords]
        if not all(isinstance(a, (ast.Constant, ast.Name)) for a in args):
            return False
        names = {a.id for a in args if isinstance(a, ast.Name)}
        # A comprehension's names are not recorded: its repeats are never taken as the same.
        return all(
            loop in self.loop_stores and not names & self.loop_stores[loop] for loop in loops
        )

    def _apart(self, slot: Any, first: ast.AST, second: ast.AST) -> bool:
        """Whether two direct calls (`self.<slot>(...)`) of a composite kept on self use no
        sublayer in common: each runs its own part, chosen by constant arguments
        (footprints.py). A call through a helper is never taken apart."""
        composite = self.composites.get(slot) if isinstance(slot, str) else None
        if composite is None or not (
            _calls_attribute(first, slot) and _calls_attribute(second, slot)
        ):
            return False
        return footprints.disjoint(
            self._footprint(composite, first), self._footprint(composite, second)
        )

    def _footprint(self, composite: Any, site: ast.AST) -> Any:
        if id(site) not in self.footprints:
            self.footprints[id(site)] = composite.footprint(site)
        return self.footprints[id(site)]


def _calls_attribute(site: ast.AST, name: str) -> bool:
    return (
        isinstance(site, ast.Call)
        and isinstance(site.func, ast.Attribute)
        and site.func.attr == name
    )
