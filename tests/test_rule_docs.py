"""The README documents what the code does: the generated layer table is current, every rule
page says how to silence a deliberate case, and every option and configuration key is there."""

import dataclasses
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

from cli_run import keras_reuse

from flake8_keras_reuse.command import config, formats

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def gen_rule_docs():
    spec = importlib.util.spec_from_file_location(
        "gen_rule_docs", ROOT / "tools" / "gen_rule_docs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def section(code):
    match = re.search(rf"^### {code}: .*?(?=^##)", README, re.M | re.S)
    return match.group(0) if match else ""


def test_layer_table_is_what_the_script_writes():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_rule_docs.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    table = README.split("layer-categories:begin")[1].split("layer-categories:end")[0]
    catalog = json.loads(
        (ROOT / "flake8_keras_reuse" / "knowledge" / "layers.json").read_text("utf-8")
    )
    for name in catalog["layers"]:
        assert f"`{name}`" in table, name


def test_option_table_is_what_the_option_records_write():
    tool = gen_rule_docs()
    assert tool.stale(README) == []
    block = README.split(tool.OPTIONS_BEGIN)[1].split(tool.OPTIONS_END)[0]
    assert block == "\n" + tool.option_table()
    assert len(block.strip().splitlines()) == 2 + len(config.OPTIONS)
    # A README edited by hand, or an option added to the table but not to the README, is stale.
    assert tool.stale(README.replace("| print the version |", "| prints it |")) == ["option"]
    assert tool.stale(README.replace("| `--isolated` | | read no configuration |\n", "")) == [
        "option"
    ]
    extra = dataclasses.replace(config.KEYS["statistics"], flags=("--count",), key="count")
    assert "| `--count` | `count` |" in tool.option_table(config.OPTIONS + (extra,))


def test_the_formats_are_the_writers_everywhere():
    assert config.FORMATS == tuple(formats.WRITERS)
    assert config.KEYS["format"].choices == config.FORMATS
    assert f"--format {{{','.join(formats.WRITERS)}}}" in keras_reuse("--help").stdout
    escaped = "\\|".join(formats.WRITERS)  # a | inside a Markdown table cell
    assert f"`--format {escaped}`" in README


def test_every_rule_page_says_how_to_silence_a_deliberate_case():
    for code in ("KR001", "KR002", "KR003", "KR004"):
        page = section(code)
        assert "**Silence a deliberate case.**" in page, code
        assert f"# noqa: {code}" in page, code


def test_every_option_and_configuration_key_is_documented():
    helped = set(re.findall(r"(--[a-z][a-z-]+)", keras_reuse("--help").stdout))
    assert {"--select", "--stdin-filename", "--format", "--jobs"} <= helped
    command = README.split("## The `keras-reuse` command")[1].split("\n## Notebooks")[0]
    missing = [
        o
        for o in helped
        if o != "--help"
        and f"`{o}" not in command
        and f" {o}" not in command
        and f"`{o.replace('--', '--no-')}" not in command
    ]
    assert missing == []
    keys = list(config.KEYS)
    assert [k for k in keys if f"| `{k}` |" not in command] == []


def test_links_inside_the_readme_lead_somewhere():
    headings = re.findall(r"^#+ (.+)$", README, re.M)
    anchors = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}
    links = set(re.findall(r"\]\(#([^)]+)\)", README))
    assert links and links <= anchors, links - anchors


def test_every_rule_page_says_the_fix_the_findings_carry():
    """A page's `**Fix** (safe|unsafe, ...)` is the applicability the before/after pairs' findings
    carry (display-only aside); a page that says `**Fix.** None` has no fix in any pair."""
    from flake8_keras_reuse import analyse
    from flake8_keras_reuse.findings import DISPLAY_ONLY

    offered = {}
    for path in sorted((ROOT / "tests" / "fixes").glob("*.py")):
        if ".fixed" in path.name:
            continue
        for finding in analyse(path.read_text(encoding="utf-8"), str(path)):
            if finding.fix is not None and finding.fix.applicability != DISPLAY_ONLY:
                offered.setdefault(finding.code, set()).add(finding.fix.applicability)
    for code in ("KR001", "KR002", "KR003", "KR004", "KR005", "KR006"):
        page = section(code)
        said = re.search(r"^\*\*Fix\*\* \((safe|unsafe), `--(fix|unsafe-fixes)`\)", page, re.M)
        if said is None:
            assert "**Fix.** None" in page, code
            assert code not in offered, code
        else:
            assert offered.get(code) == {said.group(1)}, code
            assert (said.group(2) == "fix") == (said.group(1) == "safe"), code
