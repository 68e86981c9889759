"""The `keras-reuse` command and the flake8 plugin report the very same findings, text included,
on every fixture and every shared acceptance case."""

from pathlib import Path

import pytest
from cli_run import flake8, keras_reuse, normalized
from expectations import FIXTURES

ACCEPTANCE = Path(__file__).resolve().parents[2] / "shared" / "acceptance"


def both(folder, *args):
    # --isolated: neither reads a configuration (the repository's excludes the fixtures).
    command = keras_reuse("--isolated", *args, ".", cwd=folder).stdout
    plugin = flake8("--isolated", "--select=KR", *args, ".", cwd=folder).stdout
    # The command also reads notebooks, which flake8 does not: compare the Python files.
    command = "\n".join(line for line in command.splitlines() if ".ipynb:" not in line)
    return normalized(command, folder), normalized(plugin, folder)


def test_every_fixture():
    command, plugin = both(FIXTURES)
    assert command == plugin
    assert len(command) >= 30


@pytest.mark.skipif(not ACCEPTANCE.is_dir(), reason="no shared acceptance cases beside the repo")
def test_every_acceptance_case():
    command, plugin = both(ACCEPTANCE)
    assert command == plugin
    assert len(command) >= 10


def test_layer_options_mean_the_same():
    option = "--keras-reuse-safe-layers=keras.layers.BatchNormalization"
    command, plugin = both(FIXTURES / "subclass", option)
    assert command == plugin
    assert len(command) < len(both(FIXTURES / "subclass")[0])
