"""The repository's pre-commit hook, installed by pre-commit itself from a local clone."""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "bench-envs",
)

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pre_commit") is None,
    reason="pre-commit is not installed (pip install -e '.[test]')",
)


def git(*args, cwd):
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=cwd,
        check=True,
        capture_output=True,
        timeout=120,
    )


def clone_of_this_tree(dest):
    """A git repository holding the working tree as it is now (committed or not), as a clone
    of it would once committed."""
    shutil.copytree(ROOT, dest, ignore=NOT_SOURCE)
    git("init", "-q", cwd=dest)
    git("add", "-A", cwd=dest)
    git("commit", "-q", "-m", "snapshot", cwd=dest)


def test_try_repo_reports_the_examples_findings(tmp_path):
    hooks = tmp_path / "hooks"
    clone_of_this_tree(hooks)
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "feature_extractor.py", project / "models")
    shutil.copy(
        ROOT / "tests" / "fixtures" / "notebooks" / "two_blocks_one_norm.ipynb", project / "models"
    )
    (project / "models" / "clean.py").write_text("print('no keras here')\n")
    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "cache"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(hooks),
            "keras-reuse",
            "--all-files",
            "--color=never",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "keras-reuse" in out and "Failed" in out
    assert "models/feature_extractor.py:21:23: KR005 'self.norm' (BatchNormalization)" in out
    assert "models/feature_extractor.py:24:21: KR002 'self.head' (Dense)" in out
    assert "models/two_blocks_one_norm.ipynb:cell 5:3:5: KR005" in out
    assert "clean.py" not in out
