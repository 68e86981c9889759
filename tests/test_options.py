"""Users extend the catalog through flake8 options, on the command line or in a config file."""
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
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select=KR", *args, target],
                          cwd=cwd, capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr
    return sorted(line.split(": ")[1].split()[0] + "@" + line.split(":")[1]
                  for line in proc.stdout.splitlines())


def test_unknown_classes_are_silent_by_default(tmp_path):
    (tmp_path / "net.py").write_text(SOURCE)
    assert lint(tmp_path, "--isolated") == ["KR002@17"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_options_in_a_config_file(tmp_path, jobs):
    (tmp_path / "net.py").write_text(SOURCE)
    (tmp_path / "other.py").write_text(SOURCE)  # two files, so -j 2 really uses workers
    (tmp_path / "setup.cfg").write_text(textwrap.dedent("""\
        [flake8]
        keras-reuse-stats-layers = mylib.layers.GhostBatchNorm
        keras-reuse-weight-layers =
            mylib.layers.FancyDense,
        keras-reuse-safe-layers = mylib.layers.Identityish, keras.layers.Dense
        """))
    assert lint(tmp_path, "-j", jobs, target=".") == ["KR001@14"] * 2 + ["KR002@15"] * 2


def test_options_on_the_command_line(tmp_path):
    (tmp_path / "net.py").write_text(SOURCE)
    found = lint(tmp_path, "--isolated", "--keras-reuse-stats-layers=mylib.layers.FancyDense")
    assert found == ["KR001@15", "KR002@17"]
