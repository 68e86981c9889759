"""Beside ruff: ruff leaves our `# noqa: KR...` comments alone once `lint.external` names KR,
and keras-reuse honours them, reading only its own table of pyproject.toml."""

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cli_run import codes, keras_reuse

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("ruff") is None,
    reason="ruff is not installed (pip install -e '.[test]')",
)

MODEL = textwrap.dedent("""\
    import keras


    class Tied(keras.Model):
        def __init__(self):
            super().__init__()
            self.proj = keras.layers.Dense(8)
            self.bn = keras.layers.BatchNormalization()

        def call(self, a, b):
            a = self.bn(self.proj(a))
            b = self.proj(b)  # noqa: KR002
            return self.bn(b)
    """)
# What the README tells ruff users to write.
PYPROJECT = textwrap.dedent("""\
    [tool.ruff.lint]
    extend-select = ["RUF100", "RUF102"]  # report unused and unknown noqa codes
    external = ["KR"]  # keras-reuse's codes: not ruff's, not to be removed

    [tool.keras-reuse]
    extend-exclude = ["scratch"]
    """)


def ruff(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_ruff_keeps_our_noqa_with_external_and_removes_it_without(tmp_path):
    (tmp_path / "model.py").write_text(MODEL)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    side_by_side = ruff("check", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert side_by_side.returncode == 0, side_by_side.stdout + side_by_side.stderr
    assert (tmp_path / "model.py").read_text() == MODEL
    assert codes(keras_reuse(cwd=tmp_path).stdout) == [(13, "KR001")]

    # Without `external`, ruff takes KR002 for a code it does not know, and its fix drops it.
    (tmp_path / "pyproject.toml").write_text(PYPROJECT.replace('external = ["KR"]', ""))
    flagged = ruff("check", "--output-format=concise", ".", cwd=tmp_path)
    assert flagged.returncode == 1 and "KR002" in flagged.stdout
    ruff("check", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert "# noqa" not in (tmp_path / "model.py").read_text()
    assert codes(keras_reuse(cwd=tmp_path).stdout) == [(12, "KR002"), (13, "KR001")]


def test_notebook_cells_are_numbered_as_ruff_numbers_them(tmp_path):
    fixture = Path(__file__).parent / "fixtures" / "notebooks" / "two_blocks_one_norm.ipynb"
    book = json.loads(fixture.read_text(encoding="utf-8"))
    book["cells"][4]["source"].insert(0, "import os\n")  # cell 5 (markdown cells count)
    (tmp_path / "nb.ipynb").write_text(json.dumps(book))
    by_ruff = ruff(
        "check", "--isolated", "--select=F401", "--output-format=concise", "nb.ipynb", cwd=tmp_path
    ).stdout
    assert "nb.ipynb:cell 5:1:8: F401" in by_ruff
    ours = keras_reuse("--isolated", "nb.ipynb", cwd=tmp_path).stdout
    assert "nb.ipynb:cell 5:4:5: KR005" in ours
