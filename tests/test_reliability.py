"""The command never loses a run: a bad input is one line for that file, counted for exit 1,
and every other file keeps its findings; no traceback, no hang. Each case runs the real
`keras-reuse` on a file of its own beside a model with two findings."""

import json
import os
import re
import signal
import subprocess
import textwrap
import time

import pytest
from cli_run import SCRIPT, keras_reuse

MODEL = textwrap.dedent("""\
    import keras
    from keras import layers


    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.norm = layers.BatchNormalization()

        def call(self, x):
            return self.norm(self.norm(x))
""")


def run_beside_model(tmp_path, name, content, *args):
    """(the lines about `name`, the lines about model.py, the process) of one run over both."""
    (tmp_path / "model.py").write_text(MODEL)
    target = tmp_path / name
    if isinstance(content, bytes):
        target.write_bytes(content)
    elif content is not None:
        target.write_text(content, encoding="utf-8")
    proc = keras_reuse("--isolated", "-j", "1", *args, name, "model.py", cwd=tmp_path, status=(1,))
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    lines = proc.stdout.splitlines()
    mine = [line for line in lines if line.startswith(name + ":")]
    model = [line for line in lines if line.startswith("model.py:")]
    assert len(model) == 1 and " KR001 " in model[0], proc.stdout  # the other file's finding
    assert len(mine) + len(model) == len(lines), proc.stdout
    return mine, proc


def notebook(*cells, metadata=None):
    """A notebook's JSON from cells given as dicts or as code sources."""
    cells = [
        c
        if isinstance(c, dict)
        else {"cell_type": "code", "metadata": {}, "outputs": [], "source": c}
        for c in cells
    ]
    return json.dumps(
        {
            "cells": cells,
            "metadata": metadata if metadata is not None else {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


@pytest.mark.parametrize(
    "content, error",
    [
        (notebook(["import keras\n", None]), "NotebookError: cell 1: 'source' is neither text"),
        (notebook(["x = 1\n", 7]), "NotebookError: cell 1: 'source' is neither text"),
        (
            notebook({"metadata": {}, "source": "x = 1\n"}),
            "NotebookError: cell 1 has no 'cell_type'",
        ),
        (
            # Past every Python's limit (3.13's json module takes 5,000 levels in its stride).
            '{"cells": [], "metadata": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}",
            "NotebookError: not a notebook this tool can read: its JSON is nested too deeply",
        ),
        (
            json.dumps({"nbformat": 3, "worksheets": [{"cells": []}]}),
            "NotebookError: nbformat 3 is not supported",
        ),
        ("[1, 2]", "NotebookError: not a Jupyter notebook: the JSON is not an object"),
    ],
    # Short ids: pytest puts the id in the environment of every subprocess it starts.
    ids=["null-source", "number-source", "no-cell-type", "deep-json", "nbformat-3", "not-object"],
)
def test_a_notebook_that_cannot_be_read_is_one_line(tmp_path, content, error):
    mine, _ = run_beside_model(tmp_path, "nb.ipynb", content)
    assert len(mine) == 1 and mine[0].startswith(f"nb.ipynb:1:1: {error}"), mine


def test_a_notebook_with_null_metadata_is_read_as_python(tmp_path):
    text = notebook(
        "import keras\nn = keras.layers.BatchNormalization()\n"
        "i = keras.Input((4,))\nm = keras.Model(i, n(n(i)))\n",
        metadata=None,
    )
    data = json.loads(text)
    data["metadata"] = None
    mine, _ = run_beside_model(tmp_path, "nb.ipynb", json.dumps(data))
    assert [line.split(": ")[1].split(" ")[0] for line in mine] == ["KR001"], mine


def test_a_cell_left_inside_a_string_does_not_hide_the_next_cells(tmp_path):
    # Jupyter fails that cell alone: it is reported, and the next cell's finding still is.
    content = notebook(
        "import keras\nfrom keras import layers\nnotes = '''\n",
        "i = keras.Input((4,))\nn = layers.BatchNormalization()\nm = keras.Model(i, n(n(i)))\n",
    )
    mine, _ = run_beside_model(tmp_path, "nb.ipynb", content)
    assert [line.split(": ", 1)[1].split(" ")[0] for line in mine] == ["SyntaxError:", "KR001"]
    assert mine[0].startswith("nb.ipynb:cell 1:3:")
    assert mine[1].startswith("nb.ipynb:cell 2:3:")


def test_notebook_messages_name_cells_for_every_line_of_ours_and_none_of_the_users(tmp_path):
    content = notebook(
        "import keras\nfrom keras import layers\n",
        "a = keras.Sequential([layers.Dense(4), layers.Dense(2)])\n",
        "b = keras.Sequential(a.layers[:-1])\n",
        "class K(keras.Model):\n    def __init__(self):\n        super().__init__()\n"
        "        self.h = {'on line 1': layers.BatchNormalization()}\n\n"
        "    def call(self, x):\n        return self.h['on line 1'](self.h['on line 1'](x))\n",
    )
    mine, _ = run_beside_model(tmp_path, "nb.ipynb", content)
    borrowed, reused = mine
    assert " KR004 " in borrowed and "holds those layers since cell 2, line 1." in borrowed
    assert "self.h['on line 1']" in reused and "first called in cell 4, line 7" in reused


@pytest.mark.parametrize("coding", ["undefined", "punycode"])
def test_an_encoding_that_cannot_decode_is_one_line(tmp_path, coding):
    mine, _ = run_beside_model(tmp_path, "bad.py", f"# -*- coding: {coding} -*-\nx = 1\n")
    # Python 3.13's punycode says where it failed (UnicodeDecodeError); older ones do not.
    assert len(mine) == 1, mine
    assert re.match(r"bad\.py:\d+:\d+: Unicode(Decode)?Error: ", mine[0]), mine


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_like_a_module_is_never_waited_on(tmp_path):
    os.mkfifo(tmp_path / "pipe.py")
    mine, _ = run_beside_model(tmp_path, "pipe.py", None)
    assert mine == ["pipe.py:1:1: NotAFile: not a regular file (a FIFO, socket or device)"]


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/stdin"])
def test_a_link_to_a_device_is_never_read(tmp_path, device):
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    os.symlink(device, tmp_path / "dev.py")
    start = time.monotonic()
    mine, _ = run_beside_model(tmp_path, "dev.py", None)
    assert mine == ["dev.py:1:1: NotAFile: not a regular file (a FIFO, socket or device)"]
    assert time.monotonic() - start < 60


def test_a_file_over_the_size_limit_is_one_line(tmp_path):
    from flake8_keras_reuse.command.lint import MAX_BYTES

    with open(tmp_path / "big.py", "wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: costs no disk
    mine, _ = run_beside_model(tmp_path, "big.py", None)
    assert len(mine) == 1 and mine[0].startswith("big.py:1:1: FileTooLarge: "), mine


def _seconds(*args, cwd):
    start = time.perf_counter()
    keras_reuse("--isolated", *args, cwd=cwd, status=(0, 1))
    return time.perf_counter() - start


@pytest.mark.parametrize(
    "source",
    [
        " " * 100_000 + "\nx = 1\n",  # one long line of spaces (the old line pattern was quadratic)
        "x = (1\n" + "% 2\n" * 4000 + ")\n",  # %-led lines inside a statement (re-tokenized)
    ],
)
def test_notebook_ipython_handling_is_linear(tmp_path, source):
    (tmp_path / "nb.ipynb").write_text(notebook(source))
    (tmp_path / "same.py").write_text(source)
    as_py = min(_seconds("same.py", cwd=tmp_path) for _ in range(2))
    as_notebook = min(_seconds("nb.ipynb", cwd=tmp_path) for _ in range(2))
    assert as_notebook <= 2 * as_py + 0.2, (as_notebook, as_py)


# -- output, signals, jobs -------------------------------------------------------------------


def _model(tmp_path):
    (tmp_path / "model.py").write_text(MODEL)
    return tmp_path / "model.py"


@pytest.mark.parametrize(
    "target, reason",
    [
        ("folder", "it is a folder"),
        ("missing/r.txt", "no folder"),
        ("link.txt", "symbolic link"),
        ("/dev/full", "No space left on device"),
    ],
)
def test_an_output_file_that_cannot_be_written_is_one_line(tmp_path, target, reason):
    _model(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "elsewhere.txt").write_text("kept\n")
    os.symlink(tmp_path / "elsewhere.txt", tmp_path / "link.txt")
    if target == "/dev/full" and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    proc = keras_reuse("--isolated", "-o", target, "model.py", cwd=tmp_path, status=(2,))
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"keras-reuse: error: cannot write {target}: ") and reason in line
    assert (tmp_path / "elsewhere.txt").read_text() == "kept\n"  # a link is never followed


def test_stdout_on_a_full_disk_is_one_line(tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    _model(tmp_path)
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [str(SCRIPT), "--isolated", "model.py"],
            cwd=tmp_path,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 2
    assert proc.stderr == "keras-reuse: error: cannot write the report: No space left on device\n"


def test_a_reader_that_stops_early_ends_the_run_quietly(tmp_path):
    for i in range(300):
        (tmp_path / f"m{i}.py").write_text(MODEL)
    proc = subprocess.Popen(
        [str(SCRIPT), "--isolated", "-j", "1", "."],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) in (0, 1) and err == "", err


def _group_run(tmp_path, *args):
    # Work for far longer than the signal takes to come: 2,000 files of 20 models each.
    body = MODEL + "".join(MODEL.split("\n\n\n", 1)[1].replace("Net", f"Net{k}") for k in range(20))
    for i in range(2000):
        (tmp_path / f"m{i}.py").write_text(body)
    env = {k: v for k, v in os.environ.items() if k != "KERAS_REUSE_RAISE"}
    return subprocess.Popen(
        [str(SCRIPT), "--isolated", *args, "."],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=env,
    )


def _alive(group):
    try:
        os.killpg(group, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_exits_130_without_a_traceback(tmp_path, jobs):
    proc = _group_run(tmp_path, "-j", jobs)
    time.sleep(1.5)
    os.killpg(proc.pid, signal.SIGINT)  # a terminal sends it to the whole group
    err = proc.communicate(timeout=60)[1].decode()
    assert proc.returncode == 130 and err == "keras-reuse: interrupted\n", err
    time.sleep(0.5)
    assert not _alive(proc.pid)


def test_sigterm_ends_the_workers_too(tmp_path):
    proc = _group_run(tmp_path, "-j", "2")
    time.sleep(1.5)
    os.kill(proc.pid, signal.SIGTERM)  # to the main process only, as a supervisor does
    err = proc.communicate(timeout=60)[1].decode()
    assert proc.returncode == 143 and "Traceback" not in err, err
    deadline = time.monotonic() + 10
    while _alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(proc.pid), "workers outlived the main process"


def test_jobs_are_capped_at_the_cores(tmp_path, monkeypatch):
    from flake8_keras_reuse.command import main as cli

    started = []

    class Pool:
        def __init__(self, jobs, initializer=None):
            started.append(jobs)
            raise OSError("no processes in this test")

    monkeypatch.setattr(cli.multiprocessing, "Pool", Pool)
    monkeypatch.setattr(cli.os, "cpu_count", lambda: 2)
    path = _model(tmp_path)
    for i in range(5):
        (tmp_path / f"m{i}.py").write_text(MODEL)
    files = sorted(str(p) for p in tmp_path.glob("*.py"))
    rows = [row for found in cli._check(cli.Linter().lint_path, files, 300) for row in found]
    assert started == [2] and len(rows) == 6 and str(path) in {r.path for r in rows}


def test_a_closed_standard_input_is_one_line(tmp_path):
    proc = subprocess.run(
        [str(SCRIPT), "--isolated", "--stdin-filename", "x.py"],
        preexec_fn=lambda: os.close(0),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr == "keras-reuse: error: standard input is closed: nothing to check\n"


# -- files, configuration, resources ---------------------------------------------------------


def test_a_deep_folder_tree_is_walked(tmp_path):
    folder = tmp_path / "deep"
    folder.mkdir()
    os.chdir(folder)  # paths of 1,100 levels are too long to name from the top at once
    try:
        for _ in range(1100):
            os.mkdir("a")
            os.chdir("a")
        with open("m.py", "w") as handle:
            handle.write(MODEL)
    finally:
        os.chdir(tmp_path)
    try:
        start = time.monotonic()
        proc = keras_reuse("--isolated", "-j", "1", "deep", cwd=tmp_path, status=(1,))
        assert time.monotonic() - start < 60
        [line] = proc.stdout.splitlines()
        assert line.startswith("deep/" + "a/" * 1100 + "m.py:11:") and " KR001 " in line
        assert proc.stderr == ""
    finally:
        _remove_deep(folder)


def _remove_deep(folder):
    """Remove a 1,100-deep chain of folders bottom-up (pytest's clean-up recurses)."""
    os.chdir(folder)
    depth = 0
    while os.path.isdir("a"):
        os.chdir("a")
        depth += 1
    for name in os.listdir("."):
        os.remove(name)
    for _ in range(depth):
        os.chdir("..")
        os.rmdir("a")
    os.chdir(folder.parent)


def test_an_unreadable_folder_is_one_line(tmp_path, monkeypatch):
    # (Root reads every folder, so the folder's refusal is simulated in-process.)
    from flake8_keras_reuse.command import files

    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "m.py").write_text(MODEL)
    _model(tmp_path)
    real = os.scandir

    def scandir(path="."):
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real(path)

    monkeypatch.setattr(files.os, "scandir", scandir)
    unreadable = []
    found = files.find_files([str(tmp_path)], [], False, unreadable)
    assert found == [str(tmp_path / "model.py")]
    assert unreadable == [(str(tmp_path / "locked"), "PermissionError: Permission denied")]


@pytest.mark.skipif(
    os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads every folder"
)
def test_an_unreadable_folder_is_reported_by_the_command(tmp_path):
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "m.py").write_text(MODEL)
    os.chmod(tmp_path / "locked", 0)
    try:
        mine, _ = run_beside_model(tmp_path, "locked", None)
    finally:
        os.chmod(tmp_path / "locked", 0o755)
    assert mine == ["locked:1:1: PermissionError: Permission denied"]


def test_the_checker_runs_where_its_large_stack_cannot_be_reserved(tmp_path):
    import resource

    _model(tmp_path)

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (400 * 2**20, 400 * 2**20))

    proc = subprocess.run(
        [str(SCRIPT), "--isolated", "model.py"],
        cwd=tmp_path,
        preexec_fn=limit,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert [line.split(": ")[1].split(" ")[0] for line in proc.stdout.splitlines()] == ["KR001"]


def test_a_file_name_that_is_not_utf8_is_reported_in_every_format(tmp_path):
    name = os.fsdecode(b"caf\xe9.py")
    (tmp_path / name).write_text(MODEL)
    for fmt in ("text", "json", "sarif", "github"):
        proc = keras_reuse("--isolated", "--format", fmt, ".", cwd=tmp_path, status=(1,))
        assert proc.stderr == "" and "KR001" in proc.stdout, (fmt, proc.stderr)
    keras_reuse("--isolated", "-o", "r.txt", ".", cwd=tmp_path, status=(1,))
    assert (tmp_path / "r.txt").read_bytes().startswith(b"caf\xe9.py:11:")
    sarif = json.loads(
        keras_reuse("--isolated", "--format", "sarif", ".", cwd=tmp_path, status=(1,)).stdout
    )
    [result] = sarif["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "caf%E9.py"


def test_a_file_name_with_a_newline_stays_on_its_line(tmp_path):
    (tmp_path / "a\ntouch PWNED\n#.py").write_text(MODEL)
    proc = keras_reuse("--isolated", ".", cwd=tmp_path, status=(1,))
    [line] = proc.stdout.splitlines()
    assert line.startswith("a\\ntouch PWNED\\n#.py:11:")


def test_a_gitignore_line_git_rejects_costs_nothing_else(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=60)
    (tmp_path / ".gitignore").write_text("[z-a].py\n[[:bogus:]]\n[unclosed\n")
    _model(tmp_path)
    proc = keras_reuse("--isolated", ".", cwd=tmp_path, status=(1,))
    assert proc.stderr == "" and len(proc.stdout.splitlines()) == 1


@pytest.mark.parametrize("tool", ["5", '"text"', "[1, 2]"])
def test_a_pyproject_whose_tool_is_not_a_table_is_one_line(tmp_path, tool):
    (tmp_path / "pyproject.toml").write_text(f"tool = {tool}\n")
    (tmp_path / "proj").mkdir()
    _model(tmp_path / "proj")
    proc = keras_reuse(".", cwd=tmp_path / "proj", status=(2,))
    [line] = proc.stderr.splitlines()
    assert line.startswith("keras-reuse: error: ") and "'tool' must be a table" in line


def test_a_parse_out_of_memory_says_so(monkeypatch):
    from flake8_keras_reuse.command import lint

    def parse(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(lint.ast, "parse", parse)
    [row] = lint.Linter().lint_bytes(b"x = 1\n", "big.py")
    assert (row.line, row.code, row.message) == (
        1,
        None,
        "MemoryError: not enough memory to parse the file",
    )


def test_github_and_sarif_place_notebook_findings_on_the_ipynb_files_lines(tmp_path):
    cells = [
        "import keras\nfrom keras import layers\n",
        "i = keras.Input((4,))\nn = layers.BatchNormalization()\nm = keras.Model(i, n(n(i)))\n",
        "x = (\n",
    ]
    data = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "source": c.splitlines(keepends=True),
            }
            for c in cells
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    text = json.dumps(data, indent=1)
    (tmp_path / "nb.ipynb").write_text(text)
    lines = text.splitlines()
    finding_line = next(k for k, line in enumerate(lines, 1) if "keras.Model(i, n(n(i)))" in line)
    error_line = next(k for k, line in enumerate(lines, 1) if '"x = (' in line)
    github = keras_reuse(
        "--isolated", "--format", "github", "nb.ipynb", cwd=tmp_path, status=(1,)
    ).stdout.splitlines()
    assert [line.split("::")[1] for line in github] == [
        f"error title=keras-reuse (KR001),file=nb.ipynb,line={finding_line}",
        f"error title=keras-reuse (error),file=nb.ipynb,line={error_line}",
    ]
    sarif = json.loads(
        keras_reuse("--isolated", "--format", "sarif", "nb.ipynb", cwd=tmp_path, status=(1,)).stdout
    )
    [result] = sarif["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": finding_line}
    assert result["properties"] == {"cell": 2, "cellLine": 3, "cellColumn": 20}


@pytest.mark.parametrize("where", ["command line", "pyproject"])
def test_a_code_that_selects_nothing_is_a_usage_error(tmp_path, where):
    _model(tmp_path)
    if where == "pyproject":
        (tmp_path / "pyproject.toml").write_text('[tool.keras-reuse]\nextend-ignore = ["kr002"]\n')
        args = ["model.py"]
    else:
        args = ["--isolated", "--select", "KR,kr001", "model.py"]
    proc = keras_reuse(*args, cwd=tmp_path, status=(2,))
    [line] = proc.stderr.splitlines()
    assert line.startswith("keras-reuse: error: ") and "is not a code or a prefix" in line
    assert proc.stdout == ""


def test_jobs_past_the_cores_start_no_more_workers_than_cores(tmp_path):
    # Watched from outside: the processes of the run's group, at most the main one and a
    # worker per core (a pool's helper threads are not processes).
    import shutil

    if shutil.which("ps") is None:
        pytest.skip("no ps here")
    proc = _group_run(tmp_path, "-j", "300")
    most = 0
    while proc.poll() is None:
        out = subprocess.run(
            ["ps", "-o", "pid=", "-g", str(proc.pid)], capture_output=True, text=True
        ).stdout
        most = max(most, len(out.split()))
        time.sleep(0.05)
    proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert 1 <= most <= (os.cpu_count() or 1) + 1, most
