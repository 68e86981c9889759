"""The fixes the findings of one file carry: text edits with an applicability (ruff's model).

Read from the syntax alone, after the rules decided; a fix is offered only where the text
says unambiguously what to change, and every other finding is left without one.

- KR006 (a slip): call the twin that is built and never called. Safe.
- KR005 and KR001 (a second call of one instance): give the call its own instance, a new
  attribute (or local) right after the original's single assignment, made by the same
  constructor text, named after it with `_2` (`_3`, ... when taken); the call is renamed.
  Safe for KR005 (the model raises before it runs, so no checkpoint holds its weights), unsafe
  for KR001 (a checkpoint finds its weights by attribute path).
- KR004 `[Layer(...)] * n`: `[Layer(...) for _ in range(n)]`. Unsafe, as KR001.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Sequence, Set, Tuple

from ..findings import DISPLAY_ONLY, SAFE, UNSAFE, Edit, Finding, Fix

_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# The methods a layer's sublayers are made in (Keras's own two places).
_MAKERS = ("__init__", "build")

# Why each fix can be trusted, or not (the README's "Fixing" section says the same).
_SAFE_OWN = "safe: this call raises, so the model never ran and no checkpoint holds its weights"
_UNSAFE_OWN = (
    "unsafe: weights saved before are found by attribute path, and Keras's automatic layer "
    "names shift, so an existing checkpoint no longer loads as it did"
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
        self._taken: Optional[Set[str]] = None
        # Names handed out so far, per owner and original name: a third call gets `_3`.
        self.given: Dict[Tuple[int, str], List[str]] = {}

    def call_at(self, finding: Finding) -> Optional[ast.Call]:
        """The call a finding points at (its position is the call's)."""
        if self._calls is None:
            self._calls = {
                (n.lineno, n.col_offset): n for n in ast.walk(self.tree) if isinstance(n, ast.Call)
            }
        call = self._calls.get((finding.line, finding.col))
        if call is None or (finding.end_line, finding.end_col) != (
            call.end_lineno,
            call.end_col_offset,
        ):
            return None
        return call

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


_FIXERS = {"KR006": _twin, "KR005": _own_instance, "KR001": _own_instance}
