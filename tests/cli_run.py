"""Running the installed `keras-reuse` command, and flake8 beside it, in real processes."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from expectations import runs_here

# The console script pip installed beside this interpreter (`pip install -e .`).
SCRIPT = Path(sys.executable).with_name("keras-reuse" + (".exe" if os.name == "nt" else ""))
LINE = re.compile(
    r"^(?P<path>.+?):(?:cell (?P<cell>\d+):)?(?P<row>\d+):(?P<col>\d+): "
    r"(?P<code>[A-Z]+[0-9]+) "
)
SYNTAX_ERROR = re.compile(r"^(?P<path>.+?):\d+:\d+: SyntaxError: ")


def keras_reuse(*args, cwd=None, stdin=None, env=None, status=(0, 1)):
    """The command's CompletedProcess; its exit status must be one of `status`."""
    if not SCRIPT.exists():
        pytest.fail(f"{SCRIPT} is missing: reinstall the package (pip install -e .)")
    proc = subprocess.run(
        [str(SCRIPT), *map(str, args)],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=isinstance(stdin, (str, type(None))),
        env=env,
        timeout=300,
    )
    assert proc.returncode in status, (proc.returncode, proc.stdout, proc.stderr)
    return proc


def flake8(*args, cwd=None, stdin=None):
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", *map(str, args)],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr
    return proc


def normalized(output, root):
    """Finding lines with each path made absolute from `root`, sorted: flake8 prints `./a.py`
    where the command prints `a.py`.

    The command's SyntaxError line for a fixture newer than this Python (`# requires-python:`)
    is left out: flake8 reports it as E999, which the comparisons do not select."""
    lines = []
    for line in output.splitlines():
        match = LINE.match(line)
        if match is None:
            problem = SYNTAX_ERROR.match(line)
            assert problem and not runs_here(Path(root, problem["path"])), line
            continue
        path = os.path.normpath(os.path.join(root, match["path"]))
        lines.append(path + line[len(match["path"]) :])
    return sorted(lines)


def codes(output):
    """[(row, code)] of the findings printed, in order."""
    return [(int(m["row"]), m["code"]) for m in map(LINE.match, output.splitlines()) if m]
