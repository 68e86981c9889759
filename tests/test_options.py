"""Users extend the catalog through flake8 options, on the command line or in a config file."""

import os
import subprocess
import sys
import textwrap

import pytest

SOURCE = textwrap.dedent("""\
    import keras
    from mylib.layers import GhostBatchNorm, FancyDense, Identityish


    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.norm = GhostBatchNorm()
            self.proj = FancyDense(8)
            self.same = Identityish()
            self.pool = keras.layers.Dense(4)

        def call(self, a, b):
            a, b = self.norm(a), self.norm(b)
            a, b = self.proj(a), self.proj(b)
            a, b = self.same(a), self.same(b)
            return self.pool(a), self.pool(b)
    """)


def lint(cwd, *args, target="net.py"):
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select=KR", *args, target],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr
    return sorted(
        line.split(": ")[1].split()[0] + "@" + line.split(":")[1]
        for line in proc.stdout.splitlines()
    )


def test_unknown_classes_are_silent_by_default(tmp_path):
    (tmp_path / "net.py").write_text(SOURCE)
    assert lint(tmp_path, "--isolated") == ["KR002@17"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_options_in_a_config_file(tmp_path, jobs):
    (tmp_path / "net.py").write_text(SOURCE)
    (tmp_path / "other.py").write_text(SOURCE)  # two files, so -j 2 really uses workers
    (tmp_path / "setup.cfg").write_text(
        textwrap.dedent("""\
        [flake8]
        keras-reuse-stats-layers = mylib.layers.GhostBatchNorm
        keras-reuse-weight-layers =
            mylib.layers.FancyDense,
        keras-reuse-safe-layers = mylib.layers.Identityish, keras.layers.Dense
        """)
    )
    assert lint(tmp_path, "-j", jobs, target=".") == ["KR001@14"] * 2 + ["KR002@15"] * 2


def test_options_on_the_command_line(tmp_path):
    (tmp_path / "net.py").write_text(SOURCE)
    found = lint(tmp_path, "--isolated", "--keras-reuse-stats-layers=mylib.layers.FancyDense")
    assert found == ["KR001@15", "KR002@17"]


SPELLINGS = textwrap.dedent("""\
    import tensorflow as tf
    from keras.src.layers.core.dense import Dense

    from mypkg.blocks import Block


    class Net(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.a = tf.keras.layers.Dense(4)
            self.b = Dense(4)
            self.block = Block()

        def call(self, x):
            x = self.a(self.a(x))
            x = self.b(self.b(x))
            return self.block(self.block(x))
    """)


def test_a_keras_class_in_one_spelling_matches_all_and_a_project_class_its_qualified_name(tmp_path):
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    (tmp_path / "mypkg" / "blocks.py").write_text(
        "import keras\n\n\nclass Block(keras.layers.Layer):\n    pass\n"
    )
    (tmp_path / "net.py").write_text(SPELLINGS)
    assert lint(tmp_path, "--isolated") == ["KR002@15", "KR002@16"]
    # keras.layers.Dense named once covers tf.keras.layers.Dense and keras.src...Dense too.
    found = lint(
        tmp_path,
        "--isolated",
        "--keras-reuse-safe-layers=keras.layers.Dense",
        "--keras-reuse-stats-layers=mypkg.blocks.Block",
    )
    assert found == ["KR001@17"]


def test_flake8_offers_the_option_tables_flake8_options(tmp_path):
    from flake8_keras_reuse.options import FLAKE8_OPTIONS, LAYER_OPTIONS, OPTIONS

    assert FLAKE8_OPTIONS == LAYER_OPTIONS  # only the layer options today
    # Run outside the repository: flake8 5 counts the source tree's egg-info (left by the
    # editable install) as a second copy of the plugin and registers its options twice.
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200"},
    )
    section = proc.stdout.split("flake8-keras-reuse:")[1].split("\n\n")[0]
    offered = [line.split()[0] for line in section.splitlines() if line.strip().startswith("--")]
    assert offered == [option.long for option in FLAKE8_OPTIONS]
    for option in FLAKE8_OPTIONS:
        assert option.help in section
    assert {option.long for option in OPTIONS if not option.flake8}.isdisjoint(offered)
