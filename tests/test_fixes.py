"""`keras-reuse --fix`, `--unsafe-fixes`, `--diff` and `--show-fixes`, through the real command.

The pairs in tests/fixes/ (README there) are the contract: each NAME is fixed into NAME.fixed,
byte for byte, a second run changes nothing, the result parses and has no finding left, and
Keras 3 runs the fixed model with every layer instance called once per pass (a KR005 original
raises).
"""

import ast
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
from cli_run import keras_reuse
from expectations import needs_keras

from flake8_keras_reuse.command.fixing import apply_fixes
from flake8_keras_reuse.findings import Edit, Fix

FIXES = pathlib.Path(__file__).with_name("fixes")
RUNNER = pathlib.Path(__file__).with_name("oracle_runner.py")
EXPECT = re.compile(r"[ \t]*# expect: [A-Z0-9]+(?:, [A-Z0-9]+)*")
PAIRS = sorted(
    p.name for p in FIXES.iterdir() if p.suffix in (".py", ".ipynb") and ".fixed" not in p.name
)


def fixed_name(name):
    stem, suffix = name.rsplit(".", 1)
    return f"{stem}.fixed.{suffix}"


def written(tmp_path, name):
    """The pair's before side without its `# expect:` comments, in a folder of its own."""
    work = tmp_path / name
    work.write_bytes(EXPECT.sub("", (FIXES / name).read_text(encoding="utf-8")).encode("utf-8"))
    return work


@pytest.mark.parametrize("name", PAIRS)
def test_fix_gives_the_pair_and_is_stable(tmp_path, name):
    work = written(tmp_path, name)
    keras_reuse("--isolated", "--fix", "--unsafe-fixes", name, cwd=tmp_path)
    once = work.read_bytes()
    assert once == (FIXES / fixed_name(name)).read_bytes()
    again = keras_reuse("--isolated", "--fix", "--unsafe-fixes", name, cwd=tmp_path)
    assert work.read_bytes() == once  # idempotent
    assert again.returncode == 0 and again.stdout == ""  # no finding is left
    if name.endswith(".py"):
        ast.parse(once)


def test_safe_fixes_only_without_unsafe_fixes(tmp_path):
    work = written(tmp_path, "three_calls_one_line.py")  # KR001: unsafe
    before = work.read_bytes()
    proc = keras_reuse("--isolated", "--fix", work.name, cwd=tmp_path, status=(1,))
    assert work.read_bytes() == before
    assert proc.stdout.count("KR001") == 2
    work = written(tmp_path, "multiline_crash.py")  # KR005: safe
    proc = keras_reuse("--isolated", "--fix", work.name, cwd=tmp_path, status=(0,))
    assert work.read_bytes() == (FIXES / "multiline_crash.fixed.py").read_bytes()
    assert "fixed 1 finding" in proc.stderr


def test_noqa_is_respected(tmp_path):
    work = tmp_path / "m.py"
    source = EXPECT.sub("", (FIXES / "twin_slip.py").read_text(encoding="utf-8"))
    source = source.replace("self.norm1(self.conv2(x))", "self.norm1(self.conv2(x))  # noqa: KR006")
    work.write_text(source, encoding="utf-8")
    keras_reuse("--isolated", "--fix", "m.py", cwd=tmp_path, status=(0,))
    assert work.read_text(encoding="utf-8") == source


def test_display_only_fix_is_shown_never_applied(tmp_path):
    work = tmp_path / "named.py"
    source = EXPECT.sub("", (FIXES / "helper_method.py").read_text(encoding="utf-8"))
    source = source.replace("BatchNormalization()", 'BatchNormalization(name="bn")')
    work.write_text(source, encoding="utf-8")
    keras_reuse("--isolated", "--fix", "--unsafe-fixes", "named.py", cwd=tmp_path, status=(1,))
    assert work.read_text(encoding="utf-8") == source
    shown = keras_reuse("--isolated", "--show-fixes", "named.py", cwd=tmp_path, status=(1,))
    assert "KR005 [display-only]" in shown.stdout and 'name="bn"' in shown.stdout


def test_line_endings_and_byte_order_mark_are_kept(tmp_path):
    work = tmp_path / "crlf.py"
    source = EXPECT.sub("", (FIXES / "twin_slip.py").read_text(encoding="utf-8"))
    work.write_bytes(b"\xef\xbb\xbf" + source.replace("\n", "\r\n").encode("utf-8"))
    keras_reuse("--isolated", "--fix", "crlf.py", cwd=tmp_path, status=(0,))
    expected = (FIXES / "twin_slip.fixed.py").read_bytes().replace(b"\n", b"\r\n")
    assert work.read_bytes() == b"\xef\xbb\xbf" + expected


@pytest.mark.parametrize("tool", ["patch", "git"])
def test_diff_writes_nothing_and_applies(tmp_path, tool):
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed: the diff must be proven to apply with it")
    work = written(tmp_path, "multiline_crash.py")
    before = work.read_bytes()
    proc = keras_reuse("--isolated", "--diff", work.name, cwd=tmp_path, status=(1,))
    assert work.read_bytes() == before
    assert proc.stdout.startswith("--- multiline_crash.py\n+++ multiline_crash.py\n")
    (tmp_path / "fix.diff").write_text(proc.stdout, encoding="utf-8")
    cmd = ["patch", "-p0", "-i", "fix.diff"]
    if tool == "git":
        cmd = ["git", "apply", "-p0", "fix.diff"]
    subprocess.run(cmd, cwd=tmp_path, check=True, capture_output=True)
    assert work.read_bytes() == (FIXES / "multiline_crash.fixed.py").read_bytes()
    clean = keras_reuse("--isolated", "--diff", work.name, cwd=tmp_path, status=(0,))
    assert clean.stdout == ""


def test_stdin_fix_writes_the_fixed_text(tmp_path):
    source = EXPECT.sub("", (FIXES / "twin_slip.py").read_text(encoding="utf-8"))
    proc = keras_reuse("--isolated", "--fix", "-", stdin=source, status=(0,))
    assert proc.stdout == (FIXES / "twin_slip.fixed.py").read_text(encoding="utf-8")


def test_show_fixes_counts_what_was_fixed(tmp_path):
    written(tmp_path, "twin_slip.py")
    written(tmp_path, "three_calls_one_line.py")
    proc = keras_reuse("--isolated", "--fix", "--unsafe-fixes", "--show-fixes", ".", cwd=tmp_path)
    assert "Fixed 3 findings:" in proc.stdout
    assert "2 x KR001 (reused-stats-layer)" in proc.stdout
    assert "1 x KR006 (unused-twin-slip)" in proc.stdout


def test_json_carries_the_fix(tmp_path):
    written(tmp_path, "twin_slip.py")
    proc = keras_reuse("--isolated", "--format", "json", "twin_slip.py", cwd=tmp_path)
    (row,) = json.loads(proc.stdout)
    assert row["fix"]["applicability"] == "safe"
    assert row["fix"]["edits"] == [
        {
            "location": {"row": 16, "column": 21},
            "end_location": {"row": 16, "column": 26},
            "content": "norm2",
        }
    ]


def test_overlapping_fixes_wait_and_a_broken_result_is_refused():
    text = "a = 1\nb = 2\n"
    one = Fix("one", (Edit(1, 0, 1, 1, "x"),))
    two = Fix("two", (Edit(1, 0, 1, 5, "y = 3"),))  # overlaps one: left for the next round
    three = Fix("three", (Edit(2, 4, 2, 4, "4"),))  # an insertion after another's end
    assert apply_fixes(text, [one, two, three]) == ("x = 1\nb = 42\n", [one, three])
    broken = Fix("broken", (Edit(2, 0, 2, 1, "("),))

    def parses(t):
        try:
            ast.parse(t)
        except SyntaxError:
            return False
        return True

    assert apply_fixes(text, [one, broken], parses) == ("x = 1\nb = 2\n", [one])


# Keras 3 proves every fix: the original (KR005: raises) and the fixed model, called once.
IMG = [2, 8, 8, 3]
SPECS = {
    "multiline_crash": {"Encoder": {"inputs": [IMG]}},
    "three_calls_one_line": {"Mixer": {"inputs": [[2, 8], [2, 8], [2, 8]]}},
    "helper_method": {"Head": {"inputs": [[2, 6]]}},
    "twin_slip": {"Block": {"inputs": [IMG]}},
    "repeated_list": {"Stack": {"inputs": [[2, 8]]}},
    "two_constructors": {
        "__checks__": {
            "1": "runs(lambda: TwoBranches()(arr(2, 8), arr(2, 8)))"
            " and (lambda m: m.left.norm is not m.right.norm)(TwoBranches())"
        }
    },
    "moved_to_init": {
        "__checks__": {
            "1": "made_per_call(Classifier(3), arr(2, 8, 8, 3)) == {}"
            " and (lambda m: all(n == 1 for n in calls(m, arr(2, 8, 8, 3)).values()))"
            "(Classifier(3))"
        }
    },
    "functional_local": {
        "__checks__": {
            "1": "runs(lambda: tower()(arr(2, 8)))"
            " and not shared(tower(), keras.layers.BatchNormalization)"
        }
    },
}
CRASHES = {"multiline_crash", "helper_method"}


@needs_keras()
def test_keras_runs_every_fixed_model_with_each_instance_once():
    assert set(SPECS) | {"notebook_cells"} == {n.rsplit(".", 1)[0] for n in PAIRS}
    specs = {}
    for name, classes in SPECS.items():
        for side in (f"{name}.py", f"{name}.fixed.py"):
            specs[str(FIXES / side)] = json.loads(json.dumps(classes))
    proc = subprocess.run(
        [sys.executable, str(RUNNER)],
        input=json.dumps(specs),
        env=dict(os.environ, KERAS_BACKEND="jax"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    for name in SPECS:
        before, after = out[str(FIXES / f"{name}.py")], out[str(FIXES / f"{name}.fixed.py")]
        assert all(v is True for v in after.pop("__checks__").values()), name
        checked = before.pop("__checks__")
        if checked and not after:  # a functional model: the original shares the instance
            assert not all(v is True for v in checked.values()), name
        for cls, result in after.items():
            assert result["error"] is None, (name, result["error"])
            held = [a for a in result["attrs"].values() if a["variables"]]  # ReLU may run twice
            assert held and all(a["calls"] == 1 for a in held), (name, result["attrs"])
            if name in CRASHES:
                assert before[cls]["error"] is not None, name
            else:
                assert any(a["calls"] > 1 and a["variables"] for a in before[cls]["attrs"].values())


KR004_CASES = """
import keras
from keras import layers


def build(n, k):
    plain = [layers.Dense(4)] * n
    left = (n) * [layers.Dense(4)]
    named = [layers.Dense(4, name="head")] * n
    twice = [layers.Dense(4)] * 2 * k
    translated = [layers.Dense(_("units"))] * n
    walrus = [layers.Dense(4)] * (m := n)
    norm = layers.BatchNormalization()
    pair = Pair(norm, norm)
    return plain, left, named, twice, translated, walrus, pair


class Pair(keras.Model):
    def __init__(self, a, b):
        super().__init__()
        self.a, self.b = a, b
"""


def test_kr004_fixes_only_where_the_repetition_is_one_place():
    from flake8_keras_reuse import analyse
    from flake8_keras_reuse.findings import DISPLAY_ONLY, UNSAFE

    found = {
        f.line: f.fix.applicability if f.fix else None
        for f in analyse(KR004_CASES, "cases.py")
        if f.code == "KR004"
    }
    lines = {text.split("=")[0].strip(): n for n, text in enumerate(KR004_CASES.split("\n"), 1)}
    assert found[lines["plain"]] == UNSAFE
    assert found[lines["left"]] == UNSAFE
    assert found[lines["named"]] == DISPLAY_ONLY  # n layers with one name
    # a product repeated again, a `_` the loop variable would hide, a walrus a comprehension
    # cannot hold, one instance given twice to one constructor: no fix
    for name in ("twice", "translated", "walrus", "pair"):
        assert lines[name] in found and found[lines[name]] is None, name


KR003_CASES = """
import keras
from keras import layers


class Head(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.units = 4

    def call(self, x, width):
        y = layers.Dense(x.shape[-1])(x)  # reads: x
        z = layers.Dense(self.missing)(y)  # reads: self.missing
        for _ in range(2):
            z = layers.Dense(self.units)(z)  # none: in a loop
        w = [layers.Dense(4)(z) for _ in range(2)]  # none: in a comprehension
        z = layers.Dense(self.units)(z)  # unsafe
        return z + w[0]


class NoInit(keras.layers.Layer):
    def call(self, x):
        return layers.Dense(4)(x)  # none: no __init__


class EarlyReturn(keras.layers.Layer):
    def __init__(self, flag):
        super().__init__()
        if flag:
            return

    def call(self, x):
        return layers.Dense(4)(x)  # none: __init__ may return early
"""


def test_kr003_moves_only_what_runs_once_and_says_what_it_reads():
    from flake8_keras_reuse import analyse
    from flake8_keras_reuse.findings import DISPLAY_ONLY, UNSAFE

    findings = [f for f in analyse(KR003_CASES, "cases.py") if f.code == "KR003"]
    lines = KR003_CASES.split("\n")
    assert len(findings) == 7
    for finding in findings:
        said = lines[finding.line - 1].split("# ", 1)[1]
        if said.startswith("reads: "):
            assert finding.fix.applicability == DISPLAY_ONLY, said
            assert said[len("reads: ") :] in finding.fix.description
        elif said == "unsafe":
            assert finding.fix.applicability == UNSAFE
            assert "self.dense" in finding.fix.description
        else:
            assert finding.fix is None, said
