"""End to end through real `flake8` processes: file mode, stdin mode, jobs, selection, noqa."""

import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest
from expectations import FIXTURES, expected, fixture_files

FOUND = re.compile(r"^(?P<path>.+?):(?P<row>\d+):(?P<col>\d+): (?P<code>[A-Z]+[0-9]+) ")
SEED_BAD = FIXTURES / "subclass" / "seed_article_bad.py"


def flake8(*args, cwd=FIXTURES, stdin=None, env=None):
    # --isolated: the repository's own setup.cfg excludes the fixtures from its lint run.
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout


def parse(output):
    """{path: {(line, code)}} from flake8's default format."""
    found = {}
    for line in output.splitlines():
        match = FOUND.match(line)
        if match:
            path = os.path.normpath(os.path.join(FIXTURES, match["path"]))
            found.setdefault(path, set()).add((int(match["row"]), match["code"]))
    return found


def test_flake8_lists_the_plugin():
    assert "flake8-keras-reuse" in flake8("--version")


def test_file_mode_matches_every_expectation():
    got = parse(flake8("--select=KR", "."))
    for path in fixture_files():
        assert got.get(str(path), set()) == expected(path), path


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_stdin_mode_matches_file_mode(path):
    # Editors pipe the buffer and name it; sibling modules are found from that name.
    rel = str(path.relative_to(FIXTURES))
    piped = flake8(
        "--select=KR", "--stdin-display-name", rel, "-", stdin=path.read_text(encoding="utf-8")
    )
    assert parse(piped).get(str(path), set()) == expected(path)


def test_stdin_buffer_wins_over_the_file_on_disk():
    original = SEED_BAD.read_text(encoding="utf-8")
    source = original.replace("x = self.bn(x)  # expect: KR005:13", "x = self.maxpool(x)")
    # The edit must happen and leave valid Python, or the empty report proves nothing.
    assert source != original and compile(source, str(SEED_BAD), "exec")
    piped = flake8(
        "--select=KR", "--stdin-display-name", "subclass/seed_article_bad.py", "-", stdin=source
    )
    assert piped == ""


def test_two_jobs_give_the_same_findings_as_one():
    one = flake8("--select=KR", "-j", "1", ".")
    two = flake8("--select=KR", "-j", "2", ".")
    assert sorted(one.splitlines()) == sorted(two.splitlines())
    assert one.count("KR00") >= 30


def test_select_extend_ignore_and_default_selection():
    path = "subclass/assignments.py"
    only_kr001 = parse(flake8("--select=KR001", path))
    assert {code for found in only_kr001.values() for _, code in found} == {"KR001"}
    no_kr002 = flake8("--extend-ignore=KR002", path)
    assert "KR001" in no_kr002 and "KR002" not in no_kr002
    default = flake8(path)  # plugin codes are on by default, beside pycodestyle's and pyflakes'
    assert "KR001" in default and "KR002" in default
    extended = flake8("--select=E501", "--extend-select=KR", path)
    assert "KR001" in extended


def test_noqa_silences_only_the_named_code(tmp_path):
    source = textwrap.dedent("""\
        import keras


        class Tied(keras.Model):
            def __init__(self):
                super().__init__()
                self.proj = keras.layers.Dense(8)
                self.bn = keras.layers.BatchNormalization()

            def call(self, a, b):
                a = self.bn(self.proj(a))
                b = self.proj(b)  # noqa: KR002 - encoder and decoder share one projection
                return self.bn(b)  # noqa: KR002
        """)
    (tmp_path / "tied.py").write_text(source)
    got = parse(flake8("--select=KR", "tied.py", cwd=tmp_path))
    assert got == {os.path.normpath(os.path.join(FIXTURES, "tied.py")): {(13, "KR001")}}


def test_bad_input_yields_no_traceback_and_other_plugins_still_report(tmp_path):
    (tmp_path / "broken.py").write_text("import os\nclass Net(:\n    pass\n")
    (tmp_path / "latin1.py").write_bytes(
        SEED_BAD.read_text(encoding="utf-8")
        .replace('"""The article', '# -*- coding: latin-1 -*-\n"""Caf\xe9: the article', 1)
        .encode("latin-1")
    )
    (tmp_path / "unused.py").write_bytes(b"import os\n" + SEED_BAD.read_bytes())
    out = flake8("--select=KR,E999,F401", ".", cwd=tmp_path)
    assert re.search(r"broken\.py:2:\d+: E999", out)  # the column differs across Pythons
    assert "unused.py:1:1: F401" in out
    assert "unused.py:20:13: KR005" in out
    assert "latin1.py:20:13: KR005" in out


def test_linting_writes_nothing_and_imports_no_library(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(FIXTURES, project)
    # Stand-ins for Keras and TensorFlow that leave a mark when imported: the plugin must
    # decide from names alone, so its findings are the same and no mark appears.
    fake = tmp_path / "site"
    for name in ("keras", "tensorflow", "tf_keras", "torch"):
        (fake / name).mkdir(parents=True)
        (fake / name / "__init__.py").write_text(
            f"import pathlib\npathlib.Path({str(tmp_path)!r}, 'imported-{name}').touch()\n"
            "raise ImportError('the linter must not import me')\n"
        )
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    env = dict(os.environ, PYTHONPATH=str(fake))
    with_fakes = flake8("--select=KR", ".", cwd=project, env=env)
    plain = flake8("--select=KR", ".", cwd=project)
    assert sorted(with_fakes.splitlines()) == sorted(plain.splitlines())
    assert plain.count("KR00") >= 30
    assert not list(tmp_path.glob("imported-*"))
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before
