"""The checker against every fixture: found exactly what each line's `# expect:` says."""
import ast

import pytest

from expectations import FIXTURES, expected, fixture_files
from flake8_keras_reuse.api import analyse_unsafely
from flake8_keras_reuse.rules import text


def findings(path):
    source = path.read_text(encoding="utf-8")
    return analyse_unsafely(ast.parse(source), source, str(path))


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_verdicts(path):
    got = {(f.line, f.code) for f in findings(path)}
    assert got == expected(path)


def test_fixtures_have_positive_and_negative_cases():
    # A suite whose fixtures expect nothing cannot fail: make sure both kinds are there.
    verdicts = [expected(p) for p in fixture_files()]
    assert sum(len(v) for v in verdicts) >= 30
    assert {code for v in verdicts for _, code in v} >= {"KR001", "KR002"}


def test_message_names_attribute_class_first_line_and_fix():
    [finding] = findings(FIXTURES / "subclass" / "seed_article_bad.py")
    message = text(finding)
    assert (finding.line, finding.col) == (19, 12)  # flake8 adds 1: column 13 on screen
    assert message.startswith("KR001 'self.bn' (BatchNormalization) is called again here;")
    assert "first called on line 16" in message
    assert "give each use its own instance" in message


def test_kr002_message_says_how_to_declare_tying():
    messages = [text(f) for f in findings(FIXTURES / "subclass" / "assignments.py")
                if f.code == "KR002" and f.args["attr"] == "self.shared_head"]
    assert len(messages) == 1 and "# noqa: KR002" in messages[0]


def test_helper_and_subclass_are_named():
    messages = [text(f) for f in findings(FIXTURES / "subclass" / "helpers.py")]
    assert any("through _block()" in m for m in messages)
    messages = [text(f) for f in findings(FIXTURES / "subclass" / "assignments.py")]
    assert any("(FrozenNorm, a BatchNormalization)" in m for m in messages)


def test_project_module_with_side_effects_is_never_imported():
    findings(FIXTURES / "project" / "zoo" / "models" / "net.py")
    assert not (FIXTURES / "project" / "zoo" / "IMPORTED").exists()
