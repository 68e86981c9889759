"""`python -m flake8_keras_reuse`: the command, safe to run from any folder, and inert on import."""

import importlib
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "feature_extractor.py"


def test_importing_main_runs_nothing():
    # Tools that import every module (pdoc, pytest --doctest-modules) must not start a run.
    module = importlib.import_module("flake8_keras_reuse.__main__")
    assert module.__name__ == "flake8_keras_reuse.__main__"


def test_python_m_never_imports_a_module_of_the_current_folder(tmp_path):
    # A checked-out repository's own tomllib.py or json.py must not run in place of the
    # standard library's (python -m puts the current folder first on sys.path).
    for name in ("tomllib", "json", "tomli", "argparse"):
        (tmp_path / f"{name}.py").write_text(f"open({name + '.ran'!r}, 'w').write('imported')\n")
    (tmp_path / "model.py").write_text(EXAMPLE.read_text(encoding="utf-8"))
    proc = subprocess.run(
        [sys.executable, "-m", "flake8_keras_reuse", "--isolated", "model.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert sorted(p.name for p in tmp_path.glob("*.ran")) == []
    assert proc.returncode == 1, proc.stderr
    assert [line.split()[1] for line in proc.stdout.splitlines()] == ["KR005", "KR002"]
