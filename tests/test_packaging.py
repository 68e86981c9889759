"""The distributions: `python -m build` and `twine check` without a warning, the metadata PyPI
shows, an sdist whose tests run, and a wheel that works alone in a clean virtual environment."""

import importlib.util
import os
import re
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest
from cli_run import codes

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "feature_extractor.py"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("build") is None or importlib.util.find_spec("twine") is None,
    reason="build and twine are not installed (pip install -e '.[test]')",
)


def run(*args, **kwargs):
    kwargs.setdefault("timeout", 600)
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    # PYTHONDONTWRITEBYTECODE makes setuptools warn that it skips byte-compiling: a warning
    # about this machine, not about the package.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = run(sys.executable, "-m", "build", "--outdir", out, ROOT, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out, proc.stdout + proc.stderr


def only(folder, pattern):
    [path] = folder.glob(pattern)
    return path


def test_build_and_twine_check_without_warnings(dist):
    out, log = dist
    assert [line for line in log.splitlines() if re.search("warn", line, re.I)] == []
    assert "Successfully built" in log
    check = run(sys.executable, "-m", "twine", "check", "--strict", *sorted(out.iterdir()))
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("PASSED") == 2 and "WARNING" not in check.stdout


def test_metadata(dist):
    wheel = zipfile.ZipFile(only(dist[0], "*.whl"))
    [meta] = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    metadata = wheel.read(meta).decode("utf-8")
    assert "License-Expression: MIT" in metadata.splitlines()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in wheel.namelist())
    for minor in range(9, 14):
        assert f"Classifier: Programming Language :: Python :: 3.{minor}" in metadata
    urls = re.findall(r"^Project-URL: ([^,]+),", metadata, re.M)
    assert set(urls) >= {"Homepage", "Changelog", "Issues", "Rule documentation"}
    assert 'Requires-Dist: tomli>=1.1; python_version < "3.11"' in metadata
    entry_points = wheel.read(meta.replace("METADATA", "entry_points.txt")).decode("utf-8")
    assert "keras-reuse = flake8_keras_reuse.cli:main" in entry_points
    assert "KR = flake8_keras_reuse.plugin:KerasReuseChecker" in entry_points


def test_the_sdist_runs_its_tests(dist, tmp_path):
    with tarfile.open(only(dist[0], "*.tar.gz")) as sdist:
        # The "data" filter (Python 3.12, and backported) refuses links out of the folder.
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        sdist.extractall(tmp_path, **safe)
    [unpacked] = tmp_path.iterdir()
    for needed in (
        "LICENSE",
        "CHANGELOG.md",
        ".pre-commit-hooks.yaml",
        "examples",
        "tests/fixtures",
        "tests/data/sarif-schema-2.1.0.json",
    ):
        assert (unpacked / needed).exists(), needed
    # Run from the unpacked folder, the sdist's own package is the one imported.
    where = run(
        sys.executable,
        "-c",
        "import flake8_keras_reuse; print(flake8_keras_reuse.__file__)",
        cwd=unpacked,
    )
    assert Path(where.stdout.strip()).parent == unpacked / "flake8_keras_reuse"
    proc = run(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/test_fixtures.py",
        "tests/test_catalog.py",
        "tests/test_discover.py",
        cwd=unpacked,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert re.search(r"\d+ passed", proc.stdout)


def test_the_wheel_works_alone_in_a_clean_venv(dist, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    install = run(
        bin_dir / "python", "-m", "pip", "install", "--quiet", only(dist[0], "*.whl"), env=clean
    )
    assert install.returncode == 0, install.stdout + install.stderr
    # Outside the repository, so nothing of the source tree can be imported.
    command = run(bin_dir / "keras-reuse", EXAMPLE, cwd=tmp_path, env=clean)
    assert command.returncode == 1, command.stderr
    assert codes(command.stdout) == [(21, "KR005"), (24, "KR002")]
    plugin = run(bin_dir / "flake8", "--select=KR", EXAMPLE, cwd=tmp_path, env=clean)
    assert plugin.stdout == command.stdout
