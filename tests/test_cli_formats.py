"""`keras-reuse --format json|sarif|github`: machine-readable reports of the same findings."""

import json
import re
from pathlib import Path

import pytest
from cli_run import keras_reuse

from flake8_keras_reuse.rules import RULES

jsonschema = pytest.importorskip("jsonschema", reason="pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
)
NOTEBOOK = "tests/fixtures/notebooks/two_blocks_one_norm.ipynb"


def report(fmt, *paths, cwd=ROOT):
    proc = keras_reuse("--isolated", f"--format={fmt}", *paths, cwd=cwd)
    return proc.stdout


def validate(document):
    validator = jsonschema.Draft4Validator(
        SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(document), key=str)
    assert not errors, "\n".join(e.message for e in errors[:5])


def test_sarif_on_the_example_is_valid_sarif_2_1_0():
    document = json.loads(report("sarif", "examples"))
    validate(document)
    assert document["version"] == "2.1.0"
    [run] = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "keras-reuse"
    assert [rule["id"] for rule in driver["rules"]] == list(RULES)
    for rule in driver["rules"]:
        assert rule["helpUri"] == RULES[rule["id"]].help_uri
        assert rule["helpUri"].split("#")[1] == RULES[rule["id"]].anchor
    found = [
        (r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
        for r in run["results"]
    ]
    assert found == [("KR005", 21), ("KR002", 24)]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"KR005": "error", "KR002": "warning"}  # a bug fails, a review warns
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {
            "uri": "examples/feature_extractor.py",
            "uriBaseId": "%SRCROOT%",
        }


def _fingerprints(folder):
    [run] = json.loads(report("sarif", "net.py", cwd=folder))["runs"]
    return [(r["ruleId"], r["partialFingerprints"]["kerasReuseFinding/v1"]) for r in run["results"]]


def test_sarif_fingerprints_follow_a_finding_across_line_moves(tmp_path):
    # Code scanning matches results across commits by partialFingerprints: a finding keeps its
    # key when the code above it moves, and two calls of one instance get two keys.
    body = (ROOT / "examples" / "feature_extractor.py").read_text(encoding="utf-8")
    (tmp_path / "net.py").write_text(body, encoding="utf-8")
    before = _fingerprints(tmp_path)
    assert before == _fingerprints(tmp_path) and len(before) == 2  # stable across runs
    assert len({key for _, key in before}) == 2
    (tmp_path / "net.py").write_text("import os\n\n\n" + body, encoding="utf-8")
    assert _fingerprints(tmp_path) == before
    # A third call of the reused instance is a new finding with a new key; the old ones keep theirs.
    twice = body.replace("        return x\n", "        x = self.norm(x)\n        return x\n", 1)
    assert twice != body
    (tmp_path / "net.py").write_text(twice, encoding="utf-8")
    after = _fingerprints(tmp_path)
    assert len(after) == 3 and set(before) <= set(after)


def test_every_help_uri_names_a_readme_section():
    headings = re.findall(r"^#+ (.+)$", (ROOT / "README.md").read_text(encoding="utf-8"), re.M)
    # GitHub's anchors: lower case, punctuation dropped, spaces as hyphens.
    anchors = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}
    missing = [code for code, rule in RULES.items() if rule.anchor not in anchors]
    assert missing == []


def test_sarif_with_notebooks_unreadable_files_and_columns_in_characters(tmp_path):
    (tmp_path / "broken.py").write_text("class Net(:\n    pass\n")
    source = (ROOT / "examples" / "feature_extractor.py").read_text(encoding="utf-8")
    (tmp_path / "accents.py").write_text(
        source.replace(
            "x = self.pool(self.norm(self.conv2(x)))",
            "x = {'é': 1} and self.pool(self.norm(self.conv2(x)))",
        ),
        encoding="utf-8",
    )
    (tmp_path / "nb.ipynb").write_text((ROOT / NOTEBOOK).read_text(encoding="utf-8"))
    document = json.loads(report("sarif", ".", cwd=tmp_path))
    validate(document)
    [run] = document["runs"]
    [note] = run["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"].startswith("SyntaxError")
    regions = {
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r.get("properties", {}).get("cell"),
            r["ruleId"],
        ): r["locations"][0]["physicalLocation"]["region"]
        for r in run["results"]
    }
    # One character before the call, two bytes in UTF-8: flake8's column 37, SARIF's 36.
    assert regions[("accents.py", None, "KR005")] == {"startLine": 21, "startColumn": 36}
    # A notebook's finding sits on the .ipynb file's line of its cell's source line; the cell
    # and the position within it are properties.
    notebook = (ROOT / NOTEBOOK).read_text(encoding="utf-8")
    line = regions[("nb.ipynb", 5, "KR005")]["startLine"]
    [result] = [r for r in run["results"] if r.get("properties", {}).get("cell") == 5]
    assert result["properties"] == {"cell": 5, "cellLine": 3, "cellColumn": 5}
    assert (
        json.loads(notebook.splitlines()[line - 1].strip().rstrip(","))
        == json.loads(notebook)["cells"][4]["source"][2]
    )


def test_json_lists_every_finding_with_its_rule():
    rows = json.loads(report("json", "examples", NOTEBOOK))
    assert [(r["filename"], r["cell"], r["line"], r["column"], r["code"]) for r in rows] == [
        ("examples/feature_extractor.py", None, 21, 23, "KR005"),
        ("examples/feature_extractor.py", None, 24, 21, "KR002"),
        (NOTEBOOK, 5, 3, 5, "KR005"),
        (NOTEBOOK, 7, 10, 16, "KR001"),
    ]
    assert rows[0]["name"] == "proven-shape-crash" and rows[0]["url"] == RULES["KR005"].help_uri
    assert rows[0]["message"].startswith("'self.norm' (BatchNormalization) was built for 6")
    assert [r["severity"] for r in rows] == ["bug", "review", "bug", "bug"]
    assert json.loads(report("json", "tests/fixtures/subclass/seed_article_good.py")) == []


def test_github_prints_workflow_annotations(tmp_path):
    lines = report("github", "examples").splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("::warning title=keras-reuse (KR002),")  # sharing to review
    assert lines[0].startswith(
        "::error title=keras-reuse (KR005),file=examples/feature_extractor.py,line=21,col=23::"
        "examples/feature_extractor.py:21:23: KR005 'self.norm' (BatchNormalization)"
    )
    # Property values escape ':' and ','; the message escapes '%' and line breaks.
    (tmp_path / "a,b:100%.py").write_text(
        (ROOT / "examples" / "feature_extractor.py").read_text(encoding="utf-8")
    )
    [first, _] = report("github", ".", cwd=tmp_path).splitlines()
    assert first.startswith(
        "::error title=keras-reuse (KR005),file=a%2Cb%3A100%25.py,line=21,"
        "col=23::a,b:100%25.py:21:23: KR005 "
    )
