"""The package's rooms import one way: front ends -> seam -> rules -> core/resolution ->
knowledge. A module that imports upward fails here, so the folders keep telling the truth."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "flake8_keras_reuse"

# room -> the rooms it may import (its own room always); a room is a sub-package or a module.
ALLOWED = {
    "knowledge": set(),
    "findings": set(),
    "rules": {"findings", "knowledge"},
    "core": {"findings", "knowledge", "rules", "resolution"},
    "resolution": {"knowledge"},
    "api": {"findings", "rules", "core"},
    "options": set(),
    "plugin": {"__init__", "api", "findings", "rules", "options"},
    "command": {"__init__", "api", "findings", "rules", "options"},
    "server": {"__init__", "api", "findings", "rules", "options", "command"},
    "cli": {"command", "server"},
    "__init__": {"api", "findings"},
    "__main__": {"cli"},
}
# Inside core, the syntax passes never reach resolution or the rules: only core/check.py
# joins them to the analysis.
SYNTAX_ONLY = (
    "core/walk",
    "core/owners.py",
    "core/footprints.py",
    "core/syntax.py",
    "core/index.py",
)


def room(path, package=PACKAGE):
    rel = path.relative_to(package)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported_rooms(path, package=PACKAGE):
    """The package rooms a module imports, absolute or relative (`from .. import x` names the
    module x when there is one, else an attribute of the package's __init__)."""
    rel = path.relative_to(package)
    here = list(rel.parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                parts = base + (node.module.split(".") if node.module else [])
                names = [parts] if node.module else [base + [a.name] for a in node.names]
            elif node.module and node.module.split(".")[0] == package.name:
                names = [node.module.split(".")[1:] or ["__init__"]]
            else:
                continue
        elif isinstance(node, ast.Import):
            names = [
                a.name.split(".")[1:] or ["__init__"]
                for a in node.names
                if a.name.split(".")[0] == package.name
            ]
        else:
            continue
        for parts in names:
            top = parts[0] if parts else "__init__"
            exists = (package / top).is_dir() or (package / f"{top}.py").is_file()
            found.add(top if exists else "__init__")
    return found


def upward_imports(package=PACKAGE):
    wrong = []
    for path in sorted(package.rglob("*.py")):
        mine = room(path, package)
        for other in imported_rooms(path, package) - {mine}:
            if other not in ALLOWED.get(mine, ()):
                wrong.append(f"{path.relative_to(package).as_posix()} imports {other}")
    return wrong


def modules():
    return sorted(PACKAGE.rglob("*.py"))


def test_every_room_imports_only_downward():
    assert upward_imports() == []


def test_the_syntax_passes_never_reach_resolution_or_rules():
    wrong = []
    for path in modules():
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(SYNTAX_ONLY):
            text = path.read_text(encoding="utf-8")
            for banned in ("resolution", "rules", "astroid"):
                if any(
                    banned in line
                    for line in text.splitlines()
                    if line.lstrip().startswith(("import ", "from "))
                ):
                    wrong.append(f"{rel} imports {banned}")
    assert wrong == []


def test_the_seam_is_pure():
    # The analysis imports neither flake8 nor argparse: any front end can call it.
    wrong = [
        f"{path.relative_to(PACKAGE)}"
        for path in modules()
        if room(path) not in ("plugin", "command", "__main__")
        and {"flake8", "argparse"} & _top_imports(path)
    ]
    assert wrong == []


def test_the_check_catches_an_upward_import(tmp_path):
    # The test can fail: knowledge importing the rules, relatively or absolutely, is caught.
    package = tmp_path / PACKAGE.name
    for room_file in ("rules/__init__.py", "knowledge/__init__.py", "api.py", "__init__.py"):
        (package / room_file).parent.mkdir(parents=True, exist_ok=True)
        (package / room_file).write_text("")
    (package / "knowledge" / "facts.py").write_text(
        "from ..rules import RULES\nfrom . import catalog\n"
    )
    (package / "knowledge" / "more.py").write_text(f"import {PACKAGE.name}.api\n")
    (package / "rules" / "x.py").write_text("from .. import __version__\n")
    assert upward_imports(package) == [
        "knowledge/facts.py imports rules",
        "knowledge/more.py imports api",
        "rules/x.py imports __init__",
    ]


def _top_imports(path):
    tops = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            tops.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            tops.add(node.module.split(".")[0])
    return tops
