"""Adopting the command on a code base with findings: `--add-noqa[=REASON]` and
`per-file-ignores`, through the real `keras-reuse` and, where the two must agree, real flake8.
"""

import json
import os
import textwrap

import pytest
from cli_run import flake8, keras_reuse, normalized

from flake8_keras_reuse.command.per_file import PerFileError, parse

MODEL = textwrap.dedent(
    '''\
    import keras
    from keras import layers


    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = layers.Conv2D(8, 3, padding="same")
            self.bn = layers.BatchNormalization()
            self.head = layers.Dense(4)

        def call(self, x):
            x = self.bn(self.conv(x))
            x = self.bn(x)  # a comment of the user's
            x = self.bn(self.bn(x))
            y = self.head(x)
            y = self.head(
                y,
            )
            y = self.head(y)  # noqa: E501
            y = self.head(y, training="""a
    b""")
            return self.head(y) + \\
                1
    '''
)
# Where each directive goes: the finding's own line (two findings, one directive), the first
# line of a multi-line call (where flake8 reads it), merged into `# noqa: E501`, after the last
# line of a multi-line string and of a backslash continuation.
NOQAED = (
    MODEL.replace("(x)  # a comment of the user's", "(x)  # a comment of the user's  # noqa: KR001")
    .replace("self.bn(self.bn(x))", "self.bn(self.bn(x))  # noqa: KR001")
    .replace("self.head(\n", "self.head(  # noqa: KR005\n")
    .replace("# noqa: E501", "# noqa: E501, KR002")
    .replace('b""")', 'b""")  # noqa: KR002')
    .replace("            1\n", "            1  # noqa: KR002\n")
)


def test_add_noqa_silences_every_finding_where_flake8_reads_it(tmp_path):
    work = tmp_path / "m.py"
    work.write_text(MODEL, encoding="utf-8")
    before = keras_reuse("--isolated", "m.py", cwd=tmp_path, status=(1,))
    assert before.stdout.count("\n") == 7
    proc = keras_reuse("--isolated", "--add-noqa", "m.py", cwd=tmp_path, status=(0,))
    assert "added # noqa to 7 findings in 1 file" in proc.stderr
    assert work.read_text(encoding="utf-8") == NOQAED
    assert keras_reuse("--isolated", "m.py", cwd=tmp_path, status=(0,)).stdout == ""
    assert flake8("--isolated", "--select", "KR", "m.py", cwd=tmp_path).stdout == ""
    keras_reuse("--isolated", "--add-noqa", "m.py", cwd=tmp_path, status=(0,))
    assert work.read_text(encoding="utf-8") == NOQAED  # idempotent


def test_add_noqa_with_a_reason(tmp_path):
    work = tmp_path / "m.py"
    work.write_text(MODEL, encoding="utf-8")
    keras_reuse("--isolated", "--add-noqa=tied on purpose", "m.py", cwd=tmp_path, status=(0,))
    text = work.read_text(encoding="utf-8")
    assert "self.bn(self.bn(x))  # noqa: KR001 - tied on purpose\n" in text
    # a merged directive gets the reason when it had none; flake8 still reads both codes
    assert "# noqa: E501, KR002 - tied on purpose\n" in text
    assert keras_reuse("--isolated", "m.py", cwd=tmp_path, status=(0,)).stdout == ""
    assert flake8("--isolated", "--select", "KR", "m.py", cwd=tmp_path).stdout == ""


def test_a_bare_add_noqa_never_takes_the_next_path_as_its_reason(tmp_path):
    (tmp_path / "m.py").write_text(MODEL, encoding="utf-8")
    keras_reuse("--isolated", "--add-noqa", "m.py", cwd=tmp_path, status=(0,))
    assert " - " not in (tmp_path / "m.py").read_text(encoding="utf-8")


def test_add_noqa_keeps_line_endings_and_byte_order_mark(tmp_path):
    work = tmp_path / "m.py"
    work.write_bytes(b"\xef\xbb\xbf" + MODEL.replace("\n", "\r\n").encode("utf-8"))
    keras_reuse("--isolated", "--add-noqa", "m.py", cwd=tmp_path, status=(0,))
    assert work.read_bytes() == b"\xef\xbb\xbf" + NOQAED.replace("\n", "\r\n").encode("utf-8")


def test_add_noqa_on_stdin_writes_the_new_text():
    proc = keras_reuse("--isolated", "--add-noqa", "-", stdin=MODEL, status=(0,))
    assert proc.stdout == NOQAED


def test_add_noqa_in_a_notebook_edits_its_cells_only(tmp_path):
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Model\n"]},
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": MODEL.splitlines(keepends=True),
        },
    ]
    book = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    work = tmp_path / "n.ipynb"
    text = json.dumps(book, indent=1) + "\n"
    work.write_text(text, encoding="utf-8")
    keras_reuse("--isolated", "--add-noqa", "n.ipynb", cwd=tmp_path, status=(0,))
    after = json.loads(work.read_text(encoding="utf-8"))
    assert "".join(after["cells"][1]["source"]) == NOQAED
    after["cells"][1]["source"] = cells[1]["source"]
    assert after == book  # the rest unchanged
    assert keras_reuse("--isolated", "n.ipynb", cwd=tmp_path, status=(0,)).stdout == ""


def test_files_that_could_not_be_checked_are_never_silenced(tmp_path):
    (tmp_path / "broken.py").write_text("def f(:\n    pass\n", encoding="utf-8")
    proc = keras_reuse("--isolated", "--add-noqa", "broken.py", cwd=tmp_path, status=(1,))
    assert "SyntaxError" in proc.stdout
    assert (tmp_path / "broken.py").read_text(encoding="utf-8") == "def f(:\n    pass\n"


def test_add_noqa_refuses_to_be_combined_with_fixes(tmp_path):
    (tmp_path / "m.py").write_text(MODEL, encoding="utf-8")
    for other in ("--fix", "--diff", "--disable-noqa"):
        proc = keras_reuse("--isolated", "--add-noqa", other, "m.py", cwd=tmp_path, status=(2,))
        assert "cannot be used with" in proc.stderr
    assert (tmp_path / "m.py").read_text(encoding="utf-8") == MODEL


# -- per-file-ignores --------------------------------------------------------------------------

SPELLINGS = [
    "",
    "a.py:KR001",
    "a.py:KR001,KR002 b.py:KR",
    "a.py, b.py: KR001",
    "tests/*:KR001\nlegacy.py:KR",
    "a.py",
    ":KR001",
    "a.py:KR001:",
    "a.py::KR001",
    "KR001:a.py",
    "a.py:kr001",
    "a.py: ",
    "a.py:KR001.py",
    "  a.py  :  KR001 ,  KR002  ",
    "a.py:KR001,",
    "a.py:KR001b.py:E",
    "README:KR1",
    "a.py:KR1 b.py",
    "a.py: KR001 b.py: c.py: KR2",
    "a.py KR1",
    "a.py:KR1 :E2",
    "a.py:KR1:KR2",
    "a.py:KR1 KR2:b.py",
    "a.py :KR1",
]


@pytest.mark.parametrize("value", SPELLINGS)
def test_per_file_ignores_reads_what_flake8_reads(value):
    from flake8.utils import parse_files_to_codes_mapping

    try:
        theirs = [(pattern, tuple(codes)) for pattern, codes in parse_files_to_codes_mapping(value)]
    except Exception:  # noqa: BLE001 - flake8 raises ValueError or ExecutionError by version
        theirs = None
    try:
        ours = parse(value)
    except PerFileError:
        ours = None
    assert ours == theirs


PER_FILE = "tests/*:KR002 legacy.py:KR *.py:KR005 pkg/*:KR001"


def _tree(root):
    for name in ("tests/test_net.py", "legacy.py", "pkg/net.py", "plain.py"):
        path = root / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(MODEL, encoding="utf-8")


def test_per_file_ignores_means_what_it_means_to_flake8(tmp_path):
    _tree(tmp_path)
    (tmp_path / "setup.cfg").write_text(
        f"[flake8]\nper-file-ignores =\n    {PER_FILE.replace(' ', chr(10) + '    ')}\n",
        encoding="utf-8",
    )
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.keras-reuse]\nper-file-ignores = "{PER_FILE}"\n', encoding="utf-8"
    )
    theirs = normalized(flake8("--select", "KR", ".", cwd=tmp_path).stdout, tmp_path)
    ours = normalized(keras_reuse(".", cwd=tmp_path).stdout, tmp_path)
    assert ours == theirs
    by_file = {
        name: [line for line in ours if f"{os.sep}{name}:" in line]
        for name in ("test_net.py", "legacy.py", "net.py", "plain.py")
    }
    assert not by_file["legacy.py"]
    # the longest matching pattern applies alone: pkg/* (KR001) over *.py (KR005)
    assert not any(" KR001 " in line for line in by_file["net.py"])
    assert any(" KR005 " in line for line in by_file["net.py"])
    assert not any(" KR005 " in line for line in by_file["plain.py"])
    assert not any(" KR002 " in line for line in by_file["test_net.py"])
    assert any(" KR005 " in line for line in by_file["test_net.py"])
    # the command line, and pyproject's table, say the same
    line = keras_reuse("--isolated", "--per-file-ignores", PER_FILE, ".", cwd=tmp_path)
    assert normalized(line.stdout, tmp_path) == ours
    table = "\n".join(f'"{p}" = "{c}"' for p, c in (e.split(":") for e in PER_FILE.split()))
    (tmp_path / "pyproject.toml").write_text(
        f"[tool.keras-reuse.per-file-ignores]\n{table}\n", encoding="utf-8"
    )
    assert normalized(keras_reuse(".", cwd=tmp_path).stdout, tmp_path) == ours


def test_per_file_ignores_errors_are_said(tmp_path):
    (tmp_path / "m.py").write_text(MODEL, encoding="utf-8")
    proc = keras_reuse(
        "--isolated", "--per-file-ignores", "m.py KR001", "m.py", cwd=tmp_path, status=(2,)
    )
    assert "per-file-ignores" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "pyproject.toml").write_text(
        "[tool.keras-reuse]\nper-file-ignores = 3\n", encoding="utf-8"
    )
    proc = keras_reuse("m.py", cwd=tmp_path, status=(2,))
    assert "per-file-ignores must be" in proc.stderr
