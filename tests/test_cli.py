"""The `keras-reuse` command end to end, in real processes: paths, selection, noqa, stdin, jobs,
configuration, exit status, and files that cannot be checked."""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cli_run import codes, flake8, keras_reuse, normalized
from expectations import FIXTURES
from test_options import SOURCE

from flake8_keras_reuse import __version__

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "feature_extractor.py"
SEED_BAD = FIXTURES / "subclass" / "seed_article_bad.py"
ASSIGNMENTS = FIXTURES / "subclass" / "assignments.py"
TIED = textwrap.dedent("""\
    import keras


    class Tied(keras.Model):
        def __init__(self):
            super().__init__()
            self.proj = keras.layers.Dense(8)
            self.bn = keras.layers.BatchNormalization()

        def call(self, a, b):
            a = self.bn(self.proj(a))
            b = self.proj(b)  # noqa: KR002 - encoder and decoder share one projection
            return self.bn(b)
    """)


def test_version():
    out = keras_reuse("--version").stdout
    assert out.startswith(f"keras-reuse {__version__} ")


def test_the_example_as_the_readme_shows_it():
    proc = keras_reuse("examples", cwd=ROOT, status=(1,))
    lines = proc.stdout.splitlines()
    assert [line.split(": ")[0] for line in lines] == [
        "examples/feature_extractor.py:21:23",
        "examples/feature_extractor.py:24:21",
    ]
    assert lines[0].split(": ", 1)[1].startswith("KR005 'self.norm' (BatchNormalization)")
    assert proc.stderr == ""


def test_a_clean_tree_exits_0_and_prints_nothing(tmp_path):
    (tmp_path / "good.py").write_text(
        (FIXTURES / "subclass" / "seed_article_good.py").read_text(encoding="utf-8")
    )
    proc = keras_reuse(cwd=tmp_path, status=(0,))  # no PATH: the current folder
    assert proc.stdout == proc.stderr == ""


def test_usage_errors_exit_2(tmp_path):
    for args in (
        ["--no-such-option"],
        ["missing.py"],
        ["--jobs", "0"],
        ["--format", "xml"],
        ["-", "x.py"],
    ):
        proc = keras_reuse(*args, cwd=tmp_path, status=(2,))
        assert "error" in proc.stderr and "Traceback" not in proc.stderr, args


@pytest.mark.parametrize(
    "args",
    [
        ["--select=KR001"],
        ["--ignore=KR002"],
        ["--extend-ignore=KR00"],
        ["--select=KR002", "--extend-select=KR001"],
        ["--select=KR", "--ignore=KR001"],
        ["--ignore=KR", "--select=KR001"],
        ["--select=KR0", "--ignore=KR00"],
        ["--extend-select=KR001", "--ignore=KR"],
    ],
)
def test_selection_means_what_it_means_in_flake8(args):
    command = keras_reuse("--isolated", *args, "subclass", cwd=FIXTURES).stdout
    # flake8 without --select reports its own codes too; keep KR's to compare.
    plugin = flake8("--isolated", *args, "subclass", cwd=FIXTURES).stdout
    plugin = "\n".join(line for line in plugin.splitlines() if ": KR" in line)
    assert normalized(command, FIXTURES) == normalized(plugin, FIXTURES), args


NOQA_CASES = textwrap.dedent('''\
    import keras


    class Many(keras.Model):
        def __init__(self):
            super().__init__()
            self.bn = keras.layers.BatchNormalization()
            self.proj = keras.layers.Dense(8)

        def call(self, x):
            x = self.bn(x)
            x = self.proj(x)
            x = self.bn(x)  # noqa
            x = self.bn(x)  # NOQA:KR001
            x = self.bn(x)  # noqa: KR002
            x = self.bn(x)  # noqa: KR
            x = self.bn(x)  # noqa : KR001
            x = self.bn(x)  # noqa:KR002,KR001
            x = self.bn(x)  # noqa: kr001
            x = self.bn(x)  # some words # noqa: E501 KR001
            x = self.proj(self.bn(x),
                          x)  # noqa: KR001
            x = self.bn(x) + len("""
                many lines
            """)  # noqa: KR001
            x = self.bn(x) + \\
                1  # noqa
            return self.proj(x)  # noqa:KR0
    ''')


def test_noqa_is_read_as_flake8_reads_it(tmp_path):
    (tmp_path / "many.py").write_text(NOQA_CASES)
    # A form feed splits a line for str.splitlines(), not for Python or flake8.
    (tmp_path / "formfeed.py").write_text(
        NOQA_CASES.replace("import keras\n", "import keras  # one\x0ctwo\n")
    )
    command = keras_reuse("--isolated", ".", cwd=tmp_path).stdout
    plugin = flake8("--isolated", "--select=KR", ".", cwd=tmp_path).stdout
    assert normalized(command, tmp_path) == normalized(plugin, tmp_path)
    assert command.count("formfeed.py:") == command.count("many.py:")
    command = keras_reuse("--isolated", "many.py", cwd=tmp_path).stdout
    # Reported: another code named, a lower-case code, and the first line of a call whose
    # noqa is on its second line (`# noqa : KR001` is a blanket noqa, as in flake8).
    assert codes(command) == [(15, "KR001"), (19, "KR001"), (21, "KR002"), (21, "KR001")]
    disabled = keras_reuse("--isolated", "--disable-noqa", "many.py", cwd=tmp_path).stdout
    assert len(codes(disabled)) == 13


def test_flake8_noqa_line_skips_the_file(tmp_path):
    (tmp_path / "skipped.py").write_text("# flake8: noqa\n" + NOQA_CASES)
    assert keras_reuse("--isolated", ".", cwd=tmp_path, status=(0,)).stdout == ""
    assert keras_reuse("--isolated", "--disable-noqa", ".", cwd=tmp_path).stdout


@pytest.mark.parametrize(
    "source",
    [
        "x = 1\n\n   \n# flake8: noqa\n",
        "x = 1\n  \t# FLAKE8=NOQA: KR001\n",
        "\n\n",
        "x = 1  # flake8: noqa\n",
        's = """\n# flake8: noqa\n"""\n',
        "# flake8 noqa\n",
        "",
    ],
)
def test_file_noqa_is_found_as_flake8_finds_it(source):
    """One scan of the text decides what flake8's line-by-line match decides."""
    from flake8.defaults import NOQA_FILE

    from flake8_keras_reuse.command.noqa import Noqa

    flake8_lines = source.splitlines(True)
    assert Noqa(source).skips_file() == any(NOQA_FILE.match(line) for line in flake8_lines)


def test_stdin_is_the_file_it_names():
    rel = "project/zoo/models/net.py"  # finds its base classes in sibling modules
    on_disk = keras_reuse("--isolated", rel, cwd=FIXTURES).stdout
    piped = keras_reuse(
        "--isolated",
        "--stdin-filename",
        rel,
        cwd=FIXTURES,
        stdin=(FIXTURES / rel).read_text(encoding="utf-8"),
    ).stdout
    assert piped == on_disk and "KR001" in piped
    dash = keras_reuse("--isolated", "-", cwd=FIXTURES, stdin=TIED).stdout
    assert dash.startswith("stdin:13:16: KR001")


def test_stdin_buffer_wins_over_the_file_on_disk():
    original = SEED_BAD.read_text(encoding="utf-8")
    source = original.replace("x = self.bn(x)  # expect: KR005:13", "x = self.maxpool(x)")
    # The edit must happen and leave valid Python, or the empty report proves nothing.
    assert source != original and compile(source, str(SEED_BAD), "exec")
    proc = keras_reuse(
        "--isolated",
        "--stdin-filename",
        "subclass/seed_article_bad.py",
        cwd=FIXTURES,
        stdin=source,
        status=(0,),
    )
    assert proc.stdout == ""


def test_jobs_give_the_same_output_byte_for_byte():
    one = keras_reuse("--isolated", "-j", "1", ".", cwd=FIXTURES).stdout
    two = keras_reuse("--isolated", "-j", "2", ".", cwd=FIXTURES).stdout
    auto = keras_reuse("--isolated", ".", cwd=FIXTURES).stdout
    assert one == two == auto
    assert one.count(": KR00") >= 30
    assert one.splitlines() == sorted(one.splitlines(), key=lambda line: line.split(":")[0])


def test_unreadable_files_are_reported_and_the_rest_still_checked(tmp_path):
    (tmp_path / "broken.py").write_text("import os\nclass Net(:\n    pass\n")
    (tmp_path / "latin1.py").write_bytes(
        SEED_BAD.read_text(encoding="utf-8")
        .replace('"""The article', '# -*- coding: latin-1 -*-\n"""Caf\xe9: the article', 1)
        .encode("latin-1")
    )
    (tmp_path / "undecodable.py").write_bytes(b"x = 1\n\n\ny = '\xe9'\n")
    (tmp_path / "nul.py").write_bytes(b"x = 1\x00\n")
    (tmp_path / "seed.py").write_bytes(SEED_BAD.read_bytes().replace(b"\n", b"\r\n"))
    proc = keras_reuse("--isolated", "--select=KR005", ".", cwd=tmp_path, status=(1,))
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("broken.py:2:11: SyntaxError: ")
    assert lines[1].startswith("latin1.py:20:13: KR005 ")
    assert lines[2].startswith("nul.py:1:1: SyntaxError: ")
    assert lines[3].startswith("seed.py:19:13: KR005 ")  # CRLF line ends
    assert lines[4].startswith("undecodable.py:4:6: UnicodeDecodeError: ")
    assert len(lines) == 5 and "Traceback" not in proc.stderr


def test_statistics(tmp_path):
    proc = keras_reuse("--isolated", "--statistics", "subclass/assignments.py", cwd=FIXTURES)
    tail = proc.stdout.splitlines()[-2:]
    assert tail[0].split()[1] == "KR001" and tail[1].split()[1] == "KR002"
    counted = sum(int(line.split()[0]) for line in tail)
    assert counted == len(proc.stdout.splitlines()) - 2
    as_json = keras_reuse(
        "--isolated", "--statistics", "--format=json", "subclass/assignments.py", cwd=FIXTURES
    )
    assert as_json.stderr.splitlines() == tail


def test_exit_zero_reports_and_succeeds(tmp_path, monkeypatch, capsys):
    # As flake8's and ruff's --exit-zero: the same report, status 0; from pyproject too.
    failing = keras_reuse("--isolated", EXAMPLE, status=(1,))
    passing = keras_reuse("--isolated", "--exit-zero", EXAMPLE, status=(0,))
    assert passing.stdout == failing.stdout and len(codes(passing.stdout)) == 2
    (tmp_path / "pyproject.toml").write_text("[tool.keras-reuse]\nexit-zero = true\n")
    (tmp_path / "net.py").write_text(CONFIGURED)
    assert codes(keras_reuse(cwd=tmp_path, status=(0,)).stdout)
    (tmp_path / "pyproject.toml").write_text('[tool.keras-reuse]\nexit-zero = "yes"\n')
    assert "exit-zero" in keras_reuse(cwd=tmp_path, status=(2,)).stderr
    # An internal error is no finding to adopt: it still fails the run.
    from flake8_keras_reuse.command import lint
    from flake8_keras_reuse.command import main as cli
    from flake8_keras_reuse.findings import Finding

    def broken(*args, **kwargs):
        return [Finding("KR900", 1, 0, "internal", {"error": "X", "where": "y.py:1"})]

    monkeypatch.setattr(lint, "analyse", broken)
    assert cli.main(["--isolated", "--exit-zero", str(EXAMPLE)]) == 2
    assert "KR900" in capsys.readouterr().out


def test_output_file(tmp_path):
    out = tmp_path / "report.txt"
    proc = keras_reuse("--isolated", "-o", out, EXAMPLE, status=(1,))
    assert proc.stdout == "" and len(codes(out.read_text(encoding="utf-8"))) == 2


# The model the options tests configure: the same for the command as for the plugin.
CONFIGURED = SOURCE


def test_configuration_from_pyproject_upwards(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent("""\
        [tool.keras-reuse]
        keras-reuse-stats-layers = ["mylib.layers.GhostBatchNorm"]
        keras-reuse-weight-layers = "mylib.layers.FancyDense,"
        keras-reuse-safe-layers = "mylib.layers.Identityish, keras.layers.Dense"
        extend-exclude = ["vendored", "src/pkg/skip_*.py"]
        """)
    )
    pkg = tmp_path / "src" / "pkg"
    pkg.mkdir(parents=True)
    for name in ("net.py", "skip_me.py"):
        (pkg / name).write_text(CONFIGURED)
    (tmp_path / "vendored").mkdir()
    (tmp_path / "vendored" / "other.py").write_text(CONFIGURED)
    found = keras_reuse(cwd=pkg).stdout  # run from below the pyproject.toml
    assert codes(found) == [(14, "KR001"), (15, "KR002")]
    assert keras_reuse(cwd=tmp_path).stdout.startswith("src/pkg/net.py:14:")
    # The command line wins over the file; --isolated reads no file.
    assert codes(keras_reuse("--select=KR002", cwd=pkg).stdout) == [(15, "KR002")]
    assert codes(keras_reuse("--isolated", cwd=pkg).stdout) == [(17, "KR002")] * 2
    # A named file is excluded too, as flake8 does (pre-commit names files).
    assert keras_reuse("src/pkg/skip_me.py", cwd=tmp_path, status=(0,)).stdout == ""


def test_configuration_errors_exit_2(tmp_path):
    for body in (
        'selct = ["KR001"]',
        "select = 1",
        "jobs = 0",
        'format = "xml"',
        'statistics = "yes"',
        "select = [",
    ):
        (tmp_path / "pyproject.toml").write_text(f"[tool.keras-reuse]\n{body}\n")
        proc = keras_reuse(cwd=tmp_path, status=(2,))
        assert "pyproject.toml" in proc.stderr and "Traceback" not in proc.stderr, body
    other = tmp_path / "other.toml"
    other.write_text('[tool.keras-reuse]\nselect = ["KR002"]\n')
    (tmp_path / "net.py").write_text(CONFIGURED)
    assert codes(keras_reuse("--config", other, cwd=tmp_path).stdout) == [(17, "KR002")]


def test_gitignore_is_respected_when_walking_folders(tmp_path):
    (tmp_path / ".git").mkdir()  # the work tree's root
    (tmp_path / ".gitignore").write_text("generated/\n*_gen.py\n!keep_gen.py\n/top.py\n")
    for rel in (
        "a.py",
        "generated/b.py",
        "sub/c_gen.py",
        "sub/keep_gen.py",
        "top.py",
        "sub/top.py",
        "sub/deeper/d.py",
    ):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SEED_BAD.read_text(encoding="utf-8"))
    (tmp_path / "sub" / ".gitignore").write_text("deeper/\n")
    found = {
        line.split(":")[0] for line in keras_reuse("--isolated", cwd=tmp_path).stdout.splitlines()
    }
    assert found == {"a.py", "sub/keep_gen.py", "sub/top.py"}
    every = keras_reuse("--isolated", "--no-respect-gitignore", cwd=tmp_path).stdout
    assert len({line.split(":")[0] for line in every.splitlines()}) == 7
    # A file named on the command line is checked even when git ignores it.
    assert keras_reuse("--isolated", "generated/b.py", cwd=tmp_path).stdout


def test_the_command_needs_no_flake8(tmp_path):
    # A stand-in `flake8` that fails on import: the command must never import it.
    (tmp_path / "flake8").mkdir()
    (tmp_path / "flake8" / "__init__.py").write_text("raise ImportError('no flake8 here')\n")
    code = (
        "import sys; from flake8_keras_reuse.command.main import main; "
        f"sys.exit(main(['--isolated', {str(EXAMPLE)!r}]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1 and len(codes(proc.stdout)) == 2, proc.stderr


def test_an_internal_error_exits_2(monkeypatch, capsys):
    from flake8_keras_reuse.command import lint
    from flake8_keras_reuse.command import main as cli
    from flake8_keras_reuse.findings import Finding

    def broken(*args, **kwargs):
        return [Finding("KR900", 1, 0, "internal", {"error": "X", "where": "y.py:1"})]

    monkeypatch.setattr(lint, "analyse", broken)
    assert cli.main(["--isolated", str(EXAMPLE)]) == 2
    assert "KR900" in capsys.readouterr().out
    # An error of ours while checking one file is a KR900 line for that file, not the run's end.
    monkeypatch.setattr(lint, "analyse", lambda *args, **kwargs: 1 / 0)
    monkeypatch.setenv("KERAS_REUSE_RAISE", "0")
    assert cli.main(["--isolated", "-j", "1", str(EXAMPLE)]) == 2
    out, err = capsys.readouterr()
    assert re.fullmatch(
        r".+:1:1: KR900 flake8-keras-reuse could not check this file "
        r"\(ZeroDivisionError in command/lint\.py:\d+\); please report it\n",
        out,
    )
    assert err == ""
