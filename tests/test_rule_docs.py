"""The README documents what the code does: the generated layer table is current, every rule
page says how to silence a deliberate case, and every option and configuration key is there."""
import json
import re
import subprocess
import sys
from pathlib import Path

from cli_run import keras_reuse
from flake8_keras_reuse.command import config

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(code):
    match = re.search(rf"^### {code}: .*?(?=^##)", README, re.M | re.S)
    return match.group(0) if match else ""


def test_layer_table_is_what_the_script_writes():
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_rule_docs.py"), "--check"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    table = README.split("layer-categories:begin")[1].split("layer-categories:end")[0]
    catalog = json.loads((ROOT / "flake8_keras_reuse" / "knowledge" / "layers.json").read_text("utf-8"))
    for name in catalog["layers"]:
        assert f"`{name}`" in table, name


def test_every_rule_page_says_how_to_silence_a_deliberate_case():
    for code in ("KR001", "KR002", "KR003", "KR004"):
        page = section(code)
        assert "**Silence a deliberate case.**" in page, code
        assert f"# noqa: {code}" in page, code


def test_every_option_and_configuration_key_is_documented():
    helped = set(re.findall(r"(--[a-z][a-z-]+)", keras_reuse("--help").stdout))
    assert {"--select", "--stdin-filename", "--format", "--jobs"} <= helped
    command = README.split("## The `keras-reuse` command")[1].split("\n## Notebooks")[0]
    missing = [o for o in helped if o != "--help" and f"`{o}" not in command
               and f" {o}" not in command and f"`{o.replace('--', '--no-')}" not in command]
    assert missing == []
    keys = list(config.KEYS)
    assert [k for k in keys if f"| `{k}` |" not in command] == []


def test_links_inside_the_readme_lead_somewhere():
    headings = re.findall(r"^#+ (.+)$", README, re.M)
    anchors = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}
    links = set(re.findall(r"\]\(#([^)]+)\)", README))
    assert links and links <= anchors, links - anchors
