"""The checker against every fixture: found exactly what each line's `# expect:` says."""

import ast

import pytest
from expectations import FIXTURES, compare, expectations, expected, fixture_files

from flake8_keras_reuse.api import analyse_unsafely
from flake8_keras_reuse.rules import text


def findings(path):
    source = path.read_text(encoding="utf-8")
    return analyse_unsafely(ast.parse(source), source, str(path))


def verdict_report(rel, missing, extra):
    """The failure message: each (line, code[, col]) the fixture expects and did not get, and
    each one reported that the fixture does not expect, as `path:line:col: CODE`."""

    def row(kind, item):
        line, code, *col = item
        return f"  {kind} {rel}:{line}:{col[0] if col else '?'}: {code}"

    return "\n".join(
        [f"{rel}: findings differ from the `# expect:` comments"]
        + [row("missing", m) for m in missing]
        + [row("extra  ", e) for e in extra]
    )


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_verdicts(path):
    # The column is compared wherever the fixture gives one (`# expect: KR001:13`).
    got = [(f.line, f.code, f.col + 1) for f in findings(path)]
    missing, extra = compare(path, got)
    assert not (missing or extra), verdict_report(str(path.relative_to(FIXTURES)), missing, extra)


def test_verdict_compares_columns_and_names_what_differs(tmp_path):
    fixture = tmp_path / "case.py"
    fixture.write_text("x = 1  # expect: KR001:5, KR002\ny = 2  # expect: KR001\n")
    assert compare(fixture, [(1, "KR001", 5), (1, "KR002", 9), (2, "KR001", 3)]) == ([], [])
    missing, extra = compare(fixture, [(1, "KR001", 6), (1, "KR002", 1), (3, "KR003", 2)])
    assert missing == [(1, "KR001", 5), (2, "KR001")]
    assert extra == [(1, "KR001", 6), (3, "KR003")]
    report = verdict_report("case.py", missing, extra)
    assert "missing case.py:1:5: KR001" in report and "missing case.py:2:?: KR001" in report
    assert "extra   case.py:1:6: KR001" in report and "extra   case.py:3:?: KR003" in report


def test_every_expectation_gives_its_column():
    # Columns were added to every fixture: a new `# expect:` must give one too.
    bare = [
        f"{p.relative_to(FIXTURES)}:{e.line}"
        for p in fixture_files()
        for e in expectations(p)
        if e.col is None
    ]
    assert bare == []


def test_fixtures_have_positive_and_negative_cases():
    # A suite whose fixtures expect nothing cannot fail: make sure both kinds are there.
    verdicts = [expected(p) for p in fixture_files()]
    assert sum(len(v) for v in verdicts) >= 30
    assert {code for v in verdicts for _, code in v} >= {"KR001", "KR002"}


def test_message_names_attribute_class_first_line_and_fix():
    [finding] = findings(FIXTURES / "subclass" / "seed_article_bad.py")
    message = text(finding)
    assert (finding.line, finding.col) == (19, 12)  # flake8 adds 1: column 13 on screen
    assert message.startswith("KR005 'self.bn' (BatchNormalization) was built for 6 channels")
    assert "on line 16 (after self.conv1 = Conv2D(6, ...))" in message
    assert "here it gets 16 (after self.conv2 = Conv2D(16, ...)): this call raises" in message
    assert "give each use its own instance" in message.lower()


def test_kr002_message_says_how_to_declare_tying():
    messages = [
        text(f)
        for f in findings(FIXTURES / "subclass" / "assignments.py")
        if f.code == "KR002" and f.args["attr"] == "self.shared_head"
    ]
    assert len(messages) == 1 and "# noqa: KR002" in messages[0]


def test_helper_and_subclass_are_named():
    messages = [text(f) for f in findings(FIXTURES / "subclass" / "helpers.py")]
    assert any("through _block()" in m for m in messages)
    messages = [text(f) for f in findings(FIXTURES / "subclass" / "assignments.py")]
    assert any("(FrozenNorm, a BatchNormalization)" in m for m in messages)


def test_project_module_with_side_effects_is_never_imported():
    findings(FIXTURES / "project" / "zoo" / "models" / "net.py")
    assert not (FIXTURES / "project" / "zoo" / "IMPORTED").exists()
