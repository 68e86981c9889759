"""The fixes the findings of one file carry: text edits with an applicability (ruff's model).

Read from the syntax alone, after the rules decided; a fix is offered only where the text
says unambiguously what to change, and every other finding is left without one.

- KR006 (a slip): call the twin that is built and never called. Safe.
- KR005 and KR001 (a second call of one instance): give the call its own instance, a new
  attribute (or local) right after the original's single assignment, made by the same
  constructor text, named after it with `_2` (`_3`, ... when taken); the call is renamed.
  Safe for KR005 (the model raises before it runs, so no checkpoint holds its weights), unsafe
  for KR001 (a checkpoint finds its weights by attribute path).
- KR004 `[Layer(...)] * n`: `[Layer(...) for _ in range(n)]`. Unsafe, as KR001: a checkpoint
  of the shared instance has one set of weights where the model now has n. KR004 one local
  instance handed to a second constructor (`Branch(norm)` twice): the second gets a new local,
  made as KR005's copy is. Unsafe: the sharing may be what the code means.
- KR003 (a construction in call()): made once at the end of `__init__` as `self.<snake name>`,
  and called there. Unsafe (one trained layer where each call made a new one); display-only
  when its arguments read what `__init__` does not have (call()'s locals, attributes set later).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Sequence, Set, Tuple

from ..findings import DISPLAY_ONLY, SAFE, UNSAFE, Edit, Finding, Fix
from .syntax import terminal_name

_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# The methods a layer's sublayers are made in (Keras's own two places).
_MAKERS = ("__init__", "build")

# Why each fix can be trusted, or not (the README's "Fixing" section says the same).
_SAFE_OWN = "safe: this call raises, so the model never ran and no checkpoint holds its weights"
_UNSAFE_OWN = (
    "unsafe: weights saved before are found by attribute path, and Keras's automatic layer "
    "names shift, so an existing checkpoint no longer loads as it did"
)
_UNSAFE_MANY = (
    "unsafe: the slots stop sharing one set of weights, so a checkpoint saved with the shared "
    "instance no longer loads as it did"
)
_UNSAFE_OWNERS = (
    "unsafe: the two owners stop sharing weights and statistics, so code that relied on the "
    "sharing, or a checkpoint saved with it, behaves differently"
)
_UNSAFE_MOVED = (
    "unsafe: the layer is then one, tracked and trained, where each call made a new one, so "
    "the model's outputs and weights change"
)
_NAMED = "display-only: the copy would repeat the layer's name={name}; give it a name of its own"


def attach(findings: Sequence[Finding], tree: ast.Module, source: str) -> List[Finding]:
    """The findings, each with the fix it can carry."""
    if not any(f.code in _FIXERS for f in findings):
        return list(findings)
    text = _Text(source)
    fixer = _Fixer(tree, text)
    out = []
    for finding in findings:
        make = _FIXERS.get(finding.code)
        fix = make(fixer, finding) if make is not None else None
        out.append(replace(finding, fix=fix) if fix is not None else finding)
    return out


class _Text:
    """The source by lines, in UTF-8 bytes: the columns of findings and of ast count bytes."""

    def __init__(self, source: str) -> None:
        self.lines = [line.encode("utf-8") for line in source.split("\n")]

    def segment(self, node: ast.AST) -> Optional[str]:
        line, col = getattr(node, "lineno", None), getattr(node, "col_offset", None)
        end_line, end_col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
        if line is None or col is None or end_line is None or end_col is None:
            return None
        if line == end_line:
            return self.lines[line - 1][col:end_col].decode("utf-8", "replace")
        parts = [self.lines[line - 1][col:]]
        parts.extend(self.lines[line : end_line - 1])
        parts.append(self.lines[end_line - 1][:end_col])
        return b"\n".join(parts).decode("utf-8", "replace")

    def alone_on_lines(self, stmt: ast.stmt) -> bool:
        """Whether a statement starts its first line and ends its last (a comment may follow):
        a line copied after it holds nothing else."""
        head = self.lines[stmt.lineno - 1][: stmt.col_offset]
        end_line = stmt.end_lineno or stmt.lineno
        tail = self.lines[end_line - 1][stmt.end_col_offset or 0 :].strip()
        return not head.strip() and (not tail or tail.startswith(b"#"))

    def indent(self, stmt: ast.stmt) -> str:
        return self.lines[stmt.lineno - 1][: stmt.col_offset].decode("utf-8", "replace")

    def between(self, start: Tuple[int, int], end: Tuple[int, int]) -> Optional[str]:
        """The text from one (line, byte column) to another."""
        (line, col), (end_line, end_col) = start, end
        if not 0 < line <= end_line <= len(self.lines):
            return None
        if line == end_line:
            return self.lines[line - 1][col:end_col].decode("utf-8", "replace")
        parts = [self.lines[line - 1][col:], *self.lines[line : end_line - 1]]
        parts.append(self.lines[end_line - 1][:end_col])
        return b"\n".join(parts).decode("utf-8", "replace")

    def line_end(self, line: int) -> int:
        return len(self.lines[line - 1])


@dataclass(frozen=True)
class _Owner:
    """Where an instance's name is bound: a class's attributes or a function's locals."""

    node: ast.AST  # the ClassDef or the function
    attribute: bool  # `self.<name>`, else a local name


class _Fixer:
    def __init__(self, tree: ast.Module, text: _Text) -> None:
        self.tree = tree
        self.text = text
        self._calls: Optional[Dict[Tuple[int, int], ast.Call]] = None
        self._scopes: Optional[List[ast.AST]] = None
        self._products: Optional[Dict[Tuple[int, int], ast.BinOp]] = None
        self._taken: Optional[Set[str]] = None
        # Names handed out so far, per owner and original name: a third call gets `_3`.
        self.given: Dict[Tuple[int, str], List[str]] = {}

    def call_at(self, finding: Finding) -> Optional[ast.Call]:
        """The call a finding points at (its position is the call's)."""
        call = self.call_starting_at(finding.line, finding.col)
        if call is None or (finding.end_line, finding.end_col) != (
            call.end_lineno,
            call.end_col_offset,
        ):
            return None
        return call

    def call_starting_at(self, line: int, col: int) -> Optional[ast.Call]:
        if self._calls is None:
            self._calls = {
                (n.lineno, n.col_offset): n for n in ast.walk(self.tree) if isinstance(n, ast.Call)
            }
        return self._calls.get((line, col))

    def repeated_at(self, line: int, col: int) -> Optional[Tuple[ast.BinOp, ast.List, ast.expr]]:
        """`[Layer(...)] * n` at a position: (the product, the list, the count);
        None when the product is itself repeated again (`[L()] * 2 * k`)."""
        if self._products is None:
            products = [
                n
                for n in ast.walk(self.tree)
                if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult)
            ]
            inner = {id(side) for p in products for side in (p.left, p.right)}
            self._products = {(p.lineno, p.col_offset): p for p in products if id(p) not in inner}
        product = self._products.get((line, col))
        if product is None:
            return None
        for one, count in ((product.left, product.right), (product.right, product.left)):
            if isinstance(one, ast.List) and len(one.elts) == 1:
                if isinstance(one.elts[0], ast.Call) and not isinstance(count, ast.List):
                    return product, one, count
        return None

    def scopes_around(self, line: int) -> List[ast.AST]:
        """The classes and functions whose lines hold `line`, innermost last."""
        if self._scopes is None:
            self._scopes = [
                n for n in ast.walk(self.tree) if isinstance(n, (ast.ClassDef, *_FUNCTIONS))
            ]
        found = [s for s in self._scopes if s.lineno <= line <= (s.end_lineno or s.lineno)]  # type: ignore[attr-defined]
        return sorted(found, key=lambda s: s.lineno)  # type: ignore[attr-defined]

    def taken(self) -> Set[str]:
        """Every name and attribute name the file writes or reads: a new name is none of them."""
        if self._taken is None:
            taken: Set[str] = set()
            for node in ast.walk(self.tree):
                if isinstance(node, ast.Attribute):
                    taken.add(node.attr)
                elif isinstance(node, ast.Name):
                    taken.add(node.id)
                elif isinstance(node, (ast.ClassDef, *_FUNCTIONS)):
                    taken.add(node.name)
                elif isinstance(node, ast.arg):
                    taken.add(node.arg)
                elif isinstance(node, ast.alias):
                    taken.add((node.asname or node.name).split(".")[0])
            self._taken = taken
        return self._taken

    def fresh_attribute(self, name: str) -> str:
        """`name`, or `name_2`, `name_3` ... when the file uses it."""
        taken = self.taken()
        new, number = name, 2
        while new in taken:
            new, number = f"{name}_{number}", number + 1
        taken.add(new)
        return new

    def new_name(self, owner: _Owner, name: str) -> str:
        taken = self.taken()
        number = 2
        while f"{name}_{number}" in taken:
            number += 1
        new = f"{name}_{number}"
        taken.add(new)
        self.given.setdefault((id(owner.node), name), []).append(new)
        return new


def _callee(call: ast.Call, shown: str) -> Optional[Tuple[Optional[str], str]]:
    """(instance name, attribute) for `self.bn(...)`, (None, name) for `bn(...)`, when the
    callee is written as the finding names it."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        if f"{func.value.id}.{func.attr}" == shown:
            return func.value.id, func.attr
    if isinstance(func, ast.Name) and func.id == shown:
        return None, func.id
    return None


def _rename(call: ast.Call, new: str, text: _Text) -> Edit:
    """Replace the callee's last name (`bn` of `self . bn`), spacing kept."""
    func = call.func
    old = func.attr if isinstance(func, ast.Attribute) else func.id  # type: ignore[attr-defined]
    end_line = func.end_lineno or func.lineno
    end_col = func.end_col_offset or 0
    return Edit(end_line, end_col - len(old.encode("utf-8")), end_line, end_col, new)


def _twin(fixer: _Fixer, finding: Finding) -> Optional[Fix]:
    """KR006: call the twin instead."""
    call = fixer.call_at(finding)
    twin = str(finding.args.get("twin", ""))
    if call is None or finding.args.get("via") or "." not in twin:
        return None
    callee = _callee(call, str(finding.args.get("attr", "")))
    if callee is None or callee[0] is None or twin.split(".", 1)[0] != callee[0]:
        return None
    name = twin.split(".", 1)[1]
    if not name.isidentifier():
        return None
    return Fix(
        f"Call '{twin}', the twin built beside '{finding.args['attr']}' and never called "
        "(safe: every instance the model builds is then used once)",
        (_rename(call, name, fixer.text),),
        SAFE,
    )


def _own_instance(fixer: _Fixer, finding: Finding) -> Optional[Fix]:
    """KR005/KR001: a new instance for this call, made right after the original."""
    if finding.kind != "again" or finding.args.get("via"):
        return None
    call = fixer.call_at(finding)
    if call is None:
        return None
    callee = _callee(call, str(finding.args.get("attr", "")))
    if callee is None:
        return None
    self_name, name = callee
    scopes = fixer.scopes_around(finding.line)
    if self_name is not None:
        classes = [s for s in scopes if isinstance(s, ast.ClassDef)]
        if not classes:
            return None
        owner = _Owner(classes[-1], attribute=True)
    else:
        functions = [s for s in scopes if isinstance(s, _FUNCTIONS)]
        owner = _Owner(functions[-1] if functions else fixer.tree, attribute=False)
    made = _single_construction(owner, name)
    if made is None:
        return None
    stmt, body = made
    if not fixer.text.alone_on_lines(stmt):
        return None
    target_text = fixer.text.segment(stmt.targets[0])
    stmt_text = fixer.text.segment(stmt)
    if target_text is None or stmt_text is None or not stmt_text.startswith(target_text):
        return None
    new = fixer.new_name(owner, name)
    new_target = f"{self_name}.{new}" if self_name is not None else new
    # After the original and the copies made beside it before (`bn_2` when this is `bn_3`).
    anchor = _last_copy(stmt, body, name, fixer.text)
    end_line = anchor.end_lineno or anchor.lineno
    insert = Edit(
        end_line,
        fixer.text.line_end(end_line),
        end_line,
        fixer.text.line_end(end_line),
        "\n" + fixer.text.indent(stmt) + new_target + stmt_text[len(target_text) :],
    )
    ctor = stmt.value
    assert isinstance(ctor, ast.Call)
    layer = str(finding.args.get("cls", "layer"))
    what = (
        f"Give this call its own '{new_target}', a new {layer} made as "
        f"'{target_text}' is, right after it"
    )
    named = next((k for k in ctor.keywords if k.arg == "name"), None)
    if named is not None:
        shown = fixer.text.segment(named.value) or "..."
        edits = (insert, _rename(call, new, fixer.text))
        return Fix(f"{what} ({_NAMED.format(name=shown)})", edits, DISPLAY_ONLY)
    safe = finding.code == "KR005"
    return Fix(
        f"{what} ({_SAFE_OWN if safe else _UNSAFE_OWN})",
        (insert, _rename(call, new, fixer.text)),
        SAFE if safe else UNSAFE,
    )


def _single_construction(owner: _Owner, name: str) -> Optional[Tuple[ast.Assign, List[ast.stmt]]]:
    """The one statement that binds the instance, `self.bn = BatchNormalization(...)` in
    `__init__` or `build()` (a local: `bn = ...` in the function), with the body it is in;
    None when the name is bound anywhere else too, in a loop, or to anything but a call."""
    bindings = _bindings(owner, name)
    if len(bindings) != 1:
        return None
    stmt, body, deferred, method = bindings[0]
    if deferred or not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
        return None
    if not isinstance(stmt.value, ast.Call):
        return None
    if owner.attribute and (method is None or method.name not in _MAKERS):  # type: ignore[attr-defined]
        return None
    if not _binds_target(stmt.targets[0], owner, name):
        return None
    return stmt, body


def _binds_target(target: ast.AST, owner: _Owner, name: str) -> bool:
    """The statement's one target is the name itself (not `self.bn, x = ...`)."""
    if owner.attribute:
        return isinstance(target, ast.Attribute) and target.attr == name
    return isinstance(target, ast.Name) and target.id == name


# (the binding statement, the body it is in, whether it may run more than once or later, the
# method it is in)
_Binding = Tuple[ast.stmt, List[ast.stmt], bool, Optional[ast.AST]]
_BODIES = ("body", "orelse", "finalbody")


def _bindings(owner: _Owner, name: str) -> List[_Binding]:
    """Every statement that binds the name in its owner (a class's methods for an attribute,
    a function's or the module's own statements for a local)."""
    found: List[_Binding] = []

    def binds(node: ast.AST) -> bool:
        if owner.attribute:
            return (
                isinstance(node, ast.Attribute)
                and node.attr == name
                and isinstance(node.value, ast.Name)
                and isinstance(node.ctx, (ast.Store, ast.Del))
            )
        return isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Load)

    def statements(body: List[ast.stmt], deferred: bool, method: Optional[ast.AST]) -> None:
        for stmt in body:
            statement(stmt, body, deferred, method)

    def statement(
        stmt: ast.stmt, body: List[ast.stmt], deferred: bool, method: Optional[ast.AST]
    ) -> None:
        if isinstance(stmt, (*_FUNCTIONS, ast.ClassDef)):
            if not owner.attribute:
                if stmt.name == name:
                    found.append((stmt, body, deferred, method))
                return  # a nested function's or class's names are its own
            if isinstance(stmt, ast.ClassDef):
                return  # a nested class's attributes are its own
            # A method of the class, or a function inside one (run later, if ever).
            statements(stmt.body, deferred or method is not None, method or stmt)
            return
        if isinstance(stmt, (ast.Global, ast.Nonlocal)) and name in stmt.names:
            found.append((stmt, body, deferred, method))
        if isinstance(stmt, (ast.Import, ast.ImportFrom)) and not owner.attribute:
            if any((a.asname or a.name).split(".")[0] == name for a in stmt.names):
                found.append((stmt, body, deferred, method))
        for field, value in ast.iter_fields(stmt):
            if field in _BODIES or field == "handlers" or field == "cases":
                continue
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST) and any(binds(n) for n in ast.walk(child)):
                    found.append((stmt, body, deferred, method))
        loops = deferred or isinstance(stmt, _LOOPS)
        for field in _BODIES:
            inner = getattr(stmt, field, None)
            if inner:
                statements(inner, loops, method)
        for handler in getattr(stmt, "handlers", None) or ():
            if handler.name == name and not owner.attribute:
                found.append((stmt, body, deferred, method))
            statements(handler.body, loops, method)
        for case in getattr(stmt, "cases", None) or ():
            found.append((stmt, body, deferred, method))  # a pattern may bind: not followed
            statements(case.body, loops, method)

    node = owner.node
    if isinstance(node, ast.ClassDef):
        statements(node.body, False, None)
    elif isinstance(node, _FUNCTIONS):
        statements(node.body, False, node)
    elif isinstance(node, ast.Module):
        statements(node.body, False, None)
    return found


def _last_copy(stmt: ast.Assign, body: List[ast.stmt], name: str, text: _Text) -> ast.stmt:
    """The original's statement, or the last of the copies made right after it by this fix
    before (`self.bn_2 = <the same constructor>`), so a later copy goes after them."""
    value = text.segment(stmt.value)
    index = next(i for i, s in enumerate(body) if s is stmt)
    last: ast.stmt = stmt
    for following in body[index + 1 :]:
        if not (
            isinstance(following, ast.Assign)
            and len(following.targets) == 1
            and text.segment(following.value) == value
        ):
            break
        target = following.targets[0]
        named = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if not named.startswith(name + "_") or not named[len(name) + 1 :].isdigit():
            break
        last = following
    return last


def _repeated(fixer: _Fixer, finding: Finding) -> Optional[Fix]:
    """KR004 `[Layer(...)] * n` (or `n * [...]`): n instances, `[Layer(...) for _ in range(n)]`.

    Made in place, so the list's own text and comments stay: ` * n` is removed and
    ` for _ in range(n)` follows the construction."""
    if finding.kind != "bound":
        return None
    found = fixer.repeated_at(finding.line, finding.col)
    if found is None:
        return None
    product, listed, count = found
    made = listed.elts[0]
    count_text = fixer.text.segment(count)
    if count_text is None or not _may_repeat(made, count):
        return None
    scopes = fixer.scopes_around(finding.line)
    if scopes and isinstance(scopes[-1], ast.ClassDef):
        return None  # a comprehension in a class body does not see the class's names
    # The repetition's own text goes: ` * n` after the list, or `n * ` before it.
    if product.left is listed:
        cut = (_end(listed), _end(product))
    else:
        cut = ((product.lineno, product.col_offset), (listed.lineno, listed.col_offset))
    removed = fixer.text.between(*cut)
    # After the construction, up to `]`: only spacing and at most a trailing comma, which the
    # comprehension cannot keep.
    after = fixer.text.between(_end(made), _end(listed))
    if removed is None or "#" in removed or after is None:
        return None
    # Comments there stay where they are; only the comma goes.
    bare = re.sub(r"#[^\n]*", lambda m: " " * len(m.group()), after[:-1])
    if bare.strip() not in ("", ","):
        return None
    edits = [Edit(*cut[0], *cut[1], "")]
    made_end = _end(made)
    tail = f" for _ in range({count_text})"
    if "," in bare:
        comma = len(after[: bare.index(",")].encode("utf-8"))
        edits.append(Edit(*made_end, made_end[0], made_end[1] + comma + 1, tail))
    else:
        edits.append(Edit(*made_end, *made_end, tail))
    applicability, why = UNSAFE, _UNSAFE_MANY
    named = next((k for k in made.keywords if k.arg == "name"), None)  # type: ignore[attr-defined]
    if named is not None and not (
        isinstance(named.value, ast.Constant) and named.value.value is None
    ):
        applicability = DISPLAY_ONLY
        why = _NAMED.format(name=fixer.text.segment(named.value) or "...").replace(
            "the copy would", "the copies would"
        )
    shown = _short(fixer.text.segment(made) or "...")
    return Fix(
        f"Make {count_text} instances, one per slot: '[{shown} for _ in range({count_text})]' "
        f"({why})",
        tuple(sorted(edits, key=lambda e: (e.line, e.col))),
        applicability,
    )


def _end(node: ast.AST) -> Tuple[int, int]:
    return getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0


# Inside a comprehension these mean something else, or are a syntax error.
_NOT_REPEATABLE = (ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await)


def _may_repeat(made: ast.AST, count: ast.AST) -> bool:
    """Whether `made` can run once per slot inside a comprehension over `range(count)`: no
    `_` of its own (gettext's) that the loop variable would hide, no `super()` (before 3.12
    a comprehension is a function without `__class__`), no walrus, yield or await."""
    for node in (*ast.walk(made), *ast.walk(count)):
        if isinstance(node, _NOT_REPEATABLE):
            return False
        if isinstance(node, ast.Name) and node.id in ("_", "super"):
            return False
    return True


def _short(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= 40 else one_line[:37] + "..."


def _second_owner(fixer: _Fixer, finding: Finding) -> Optional[Fix]:
    """KR004 `Branch(norm)` twice: the second constructor gets a new instance, a local made
    right after `norm = ...` with the same constructor text."""
    name = str(finding.args.get("name", ""))
    if finding.kind != "bound" or not str(finding.args.get("owner", "")).endswith("(...)"):
        return None
    owner_call = fixer.call_starting_at(finding.line, finding.col)
    if owner_call is None or not name.isidentifier():
        return None
    given = [
        arg
        for arg in (*owner_call.args, *(k.value for k in owner_call.keywords))
        if isinstance(arg, ast.Name) and arg.id == name
    ]
    if len(given) != 1:
        return None  # `Pair(norm, norm)`: which one to replace is not one place
    functions = [s for s in fixer.scopes_around(finding.line) if isinstance(s, _FUNCTIONS)]
    owner = _Owner(functions[-1] if functions else fixer.tree, attribute=False)
    made = _single_construction(owner, name)
    if made is None:
        return None
    stmt, body = made
    if not fixer.text.alone_on_lines(stmt) or stmt.lineno >= owner_call.lineno:
        return None
    stmt_text, target_text = fixer.text.segment(stmt), fixer.text.segment(stmt.targets[0])
    if stmt_text is None or target_text is None or not stmt_text.startswith(target_text):
        return None
    new = fixer.new_name(owner, name)
    anchor = _last_copy(stmt, body, name, fixer.text)
    end_line = anchor.end_lineno or anchor.lineno
    at = fixer.text.line_end(end_line)
    arg = given[0]
    edits = (
        Edit(
            end_line,
            at,
            end_line,
            at,
            "\n" + fixer.text.indent(stmt) + new + stmt_text[len(target_text) :],
        ),
        Edit(arg.lineno, arg.col_offset, *_end(arg), new),
    )
    layer = str(finding.args.get("cls", "layer"))
    return Fix(
        f"Give {_short(fixer.text.segment(owner_call.func) or '...')}(...) its own '{new}', a "
        f"new {layer} made as '{name}' is, right after it ({_UNSAFE_OWNERS})",
        edits,
        UNSAFE,
    )


def _moved(fixer: _Fixer, finding: Finding) -> Optional[Fix]:
    """KR003: the construction goes to the end of `__init__` as `self.<name>`, and call()
    calls that. Only for a construction written in call() itself, run at most once per pass
    (not in a loop, comprehension, lambda or nested function: moved, one instance would be
    called many times)."""
    made = fixer.call_at(finding)
    scopes = fixer.scopes_around(finding.line)
    if made is None or len(scopes) < 2:
        return None
    method, cls = scopes[-1], scopes[-2]
    if not isinstance(method, ast.FunctionDef) or method.name != "call":
        return None
    if not isinstance(cls, ast.ClassDef) or not _once_in(method, made):
        return None
    init = next(
        (s for s in cls.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None
    )
    if init is None or not init.args.args or not method.args.args or not init.body:
        return None
    me = init.args.args[0].arg
    if method.args.args[0].arg != me or not _ends_plainly(init, fixer.text):
        return None
    made_text = fixer.text.segment(made)
    if made_text is None:
        return None
    name = fixer.fresh_attribute(_snake(terminal_name(made.func) or "layer"))
    last = init.body[-1]
    end_line = last.end_lineno or last.lineno
    at = fixer.text.line_end(end_line)
    indent = fixer.text.indent(init.body[0])
    edits = (
        Edit(end_line, at, end_line, at, f"\n{indent}{me}.{name} = {made_text}"),
        Edit(made.lineno, made.col_offset, *_end(made), f"{me}.{name}"),
    )
    what = f"Make it once, as '{me}.{name}' at the end of __init__, and call that here"
    reads = _reads_of_call(made, method, init, me)
    if reads:
        return Fix(
            f"{what} (display-only: its arguments read {', '.join(reads)}, which __init__ does "
            "not have; move it by hand, to build() when they come from the input's shape)",
            edits,
            DISPLAY_ONLY,
        )
    return Fix(f"{what} ({_UNSAFE_MOVED})", edits, UNSAFE)


def _once_in(method: ast.FunctionDef, node: ast.AST) -> bool:
    """Whether `node` is in `method`'s own statements outside any loop or nested scope."""
    repeating = (*_LOOPS, *_COMPREHENSIONS, ast.Lambda, *_FUNCTIONS, ast.ClassDef)

    def find(parent: ast.AST, inside_loop: bool) -> Optional[bool]:
        for child in ast.iter_child_nodes(parent):
            if child is node:
                return not inside_loop
            found = find(child, inside_loop or isinstance(child, repeating))
            if found is not None:
                return found
        return None

    return bool(find(method, False))


def _ends_plainly(init: ast.FunctionDef, text: _Text) -> bool:
    """`__init__` calls super().__init__ in its own statements, returns nowhere, and its last
    statement ends its line: a line added after it runs last."""
    own = [n for s in init.body for n in _walk_own(s)]
    if any(isinstance(n, ast.Return) for n in own):
        return False
    supers = [
        n
        for n in own
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "__init__"
        and isinstance(n.func.value, ast.Call)
        and isinstance(n.func.value.func, ast.Name)
        and n.func.value.func.id == "super"
    ]
    return bool(supers) and text.alone_on_lines(init.body[-1])


def _walk_own(node: ast.AST) -> List[ast.AST]:
    """The nodes of a statement, without those of nested functions and classes."""
    out, todo = [], [node]
    while todo:
        current = todo.pop()
        out.append(current)
        for child in ast.iter_child_nodes(current):
            if not isinstance(child, (*_FUNCTIONS, ast.ClassDef, ast.Lambda)):
                todo.append(child)
    return out


def _reads_of_call(
    made: ast.Call, method: ast.FunctionDef, init: ast.FunctionDef, me: str
) -> List[str]:
    """What the construction reads that will not be there at the end of __init__: call()'s
    parameters and locals, and `self.x` that __init__ does not assign."""
    params = {a.arg for a in (*method.args.args, *method.args.kwonlyargs, *method.args.posonlyargs)}
    params |= {a.arg for a in (method.args.vararg, method.args.kwarg) if a is not None}
    local = params | {
        n.id
        for n in _walk_own_body(method)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    assigned = {
        n.attr
        for n in _walk_own_body(init)
        if isinstance(n, ast.Attribute)
        and isinstance(n.ctx, ast.Store)
        and isinstance(n.value, ast.Name)
        and n.value.id == me
    }
    reads: List[str] = []
    for node in ast.walk(made):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == me and node.attr not in assigned:
                reads.append(f"{me}.{node.attr}")
        elif isinstance(node, ast.Name) and node.id != me and node.id in local:
            reads.append(node.id)
    return sorted(set(reads))


def _walk_own_body(function: ast.FunctionDef) -> List[ast.AST]:
    return [n for s in function.body for n in _walk_own(s)]


def _snake(name: str) -> str:
    """`BatchNormalization` -> `batch_normalization`, `Conv2D` -> `conv2d` (Keras's own names)."""
    out = re.sub(r"(?<!^)(?<!_)(?=[A-Z][a-z])", "_", name).lower()  # a new word: `Norm...`
    return out if out.isidentifier() else "layer"


def _kr004(fixer: _Fixer, finding: Finding) -> Optional[Fix]:
    return _repeated(fixer, finding) or _second_owner(fixer, finding)


_FIXERS = {
    "KR003": _moved,
    "KR006": _twin,
    "KR005": _own_instance,
    "KR001": _own_instance,
    "KR004": _kr004,
}
