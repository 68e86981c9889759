"""The `keras-reuse` command's output formats: text, json, sarif and github.

- text: flake8's `path:line:col: CODE message` (ruff's `path:cell N:line:col:` for notebooks);
- json: one object per finding, in a list;
- sarif: SARIF 2.1.0, one run, every rule of `messages.RULES` with its help URI, columns in
  characters; a file that could not be checked is a tool notification, not a result;
- github: workflow commands (`::error file=...`) that GitHub Actions shows on the diff.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Counter, Dict, List, Tuple
from urllib.parse import quote

from .. import __version__
from ..rules import DOCS, RULES
from .lint import Row

TOOL = "keras-reuse"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
HOMEPAGE = DOCS.rstrip("#")


def location(finding: Row) -> str:
    cell = f"cell {finding.cell}:" if finding.cell is not None else ""
    return f"{one_line(finding.path)}:{cell}{finding.line}:{finding.col}"


def one_line(value: str) -> str:
    """A file name or an error's text on one line: a newline in either must not start a line
    of the report that a reader or a script takes for another finding."""
    return value.replace("\r", "\\r").replace("\n", "\\n")


def text(findings: List[Row]) -> str:
    return "".join(f"{location(f)}: {one_line(f.text)}\n" for f in findings)


def as_json(findings: List[Row]) -> str:
    rows = []
    for f in findings:
        rule = RULES.get(f.code) if f.code is not None else None
        rows.append(
            {
                "filename": f.path,
                "cell": f.cell,
                "line": f.line,
                "column": f.col,
                "code": f.code,
                "name": rule.name if rule else None,
                "message": f.message,
                "url": rule.help_uri if rule else None,
                "severity": rule.severity if rule else None,
                "fix": _fix(f),
            }
        )
    return json.dumps(rows, indent=2) + "\n"


def _fix(f: Row) -> Any:
    """A finding's fix as ruff's JSON gives it: applicability, message and edits (positions
    as the finding's, columns in UTF-8 bytes from 1; in a notebook, of the joined cells)."""
    fix = f.finding.fix if f.finding is not None else None
    if fix is None:
        return None
    return {
        "applicability": fix.applicability,
        "message": fix.description,
        "edits": [
            {
                "location": {"row": e.line, "column": e.col + 1},
                "end_location": {"row": e.end_line, "column": e.end_col + 1},
                "content": e.text,
            }
            for e in fix.edits
        ],
    }


def github(findings: List[Row]) -> str:
    out = []
    for f in findings:
        title = f"{TOOL} ({f.code or 'error'})"
        place: Tuple[Tuple[str, object], ...]
        if f.cell is None:
            place = (("line", f.line), ("col", f.col))
        else:  # the .ipynb file's line; the cell and its line are in the message
            place = (("line", f.file_line),) if f.file_line is not None else ()
        properties = ",".join(
            f"{key}={_escape_property(str(value))}"
            for key, value in (("title", title), ("file", f.path), *place)
        )
        rule = RULES.get(f.code) if f.code is not None else None
        command = "warning" if rule is not None and rule.severity == "review" else "error"
        out.append(f"::{command} {properties}::{_escape_data(f'{location(f)}: {f.text}')}\n")
    return "".join(out)


def _escape_data(value: str) -> str:
    # The escaping of GitHub's toolkit (@actions/core, command.ts).
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _level(severity: str) -> str:
    """SARIF's level for a rule's severity: a bug fails, sharing to review warns."""
    return "error" if severity == "bug" else "warning"


def sarif(findings: List[Row]) -> str:
    rules = list(RULES.values())
    index = {rule.code: i for i, rule in enumerate(rules)}
    results, notifications = [], []
    prints = _fingerprints(findings)
    for f in findings:
        where = [_sarif_location(f)]
        if f.code is None:
            notifications.append(
                {"level": "error", "message": {"text": f.text}, "locations": where}
            )
            continue
        rule = RULES.get(f.code)
        result: Dict[str, Any] = {
            "ruleId": f.code,
            "level": _level(rule.severity if rule else "bug"),
            "message": {"text": f.message},
            "locations": where,
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        result["partialFingerprints"] = {FINGERPRINT: prints[id(f)]}
        if f.cell is not None:
            result["properties"] = {"cell": f.cell, "cellLine": f.line, "cellColumn": f.char_col}
        results.append(result)
    run = {
        "tool": {
            "driver": {
                "name": TOOL,
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": HOMEPAGE,
                "rules": [
                    {
                        "id": rule.code,
                        "name": rule.name,
                        "shortDescription": {"text": rule.summary},
                        "helpUri": rule.help_uri,
                        "help": {"text": f"{rule.summary}. See {rule.help_uri}"},
                        "defaultConfiguration": {"level": _level(rule.severity)},
                    }
                    for rule in rules
                ],
            }
        },
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(os.getcwd()).as_uri() + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2) + "\n"


# Code scanning follows a result across commits by this key: made of the file, the code, what
# the message names (the instance, its class, a twin or a size) and which such finding of the
# file it is in line order, never of a line or column, so moving the code keeps it.
FINGERPRINT = "kerasReuseFinding/v1"


def _fingerprints(findings: List[Row]) -> Dict[int, str]:
    seen: Counter[Tuple[str, ...]] = collections.Counter()
    prints: Dict[int, str] = {}
    for f in sorted(findings, key=lambda r: (r.path, r.cell or 0, r.line, r.col)):
        args = f.finding.args if f.finding is not None else {}
        named = tuple(f"{k}={args[k]}" for k in sorted(args))
        key = (f.path.replace(os.sep, "/"), str(f.code), *named)
        seen[key] += 1
        text = "\0".join((*key, str(seen[key])))
        prints[id(f)] = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
    return prints


def _sarif_location(f: Row) -> Dict:
    if os.path.isabs(f.path):
        artifact = {"uri": Path(f.path).as_uri()}
    else:
        # The name's own bytes, percent-encoded: a name that is not UTF-8 stays exact.
        artifact = {
            "uri": quote(os.fsencode(f.path.replace(os.sep, "/"))),
            "uriBaseId": "%SRCROOT%",
        }
    region: Dict[str, int] = {"startLine": f.line, "startColumn": f.char_col}
    if f.cell is not None:  # the .ipynb file's line (columns there are JSON's, not the cell's)
        region = {"startLine": f.file_line} if f.file_line is not None else {}
    location: Dict[str, Any] = {"physicalLocation": {"artifactLocation": artifact}}
    if region:
        location["physicalLocation"]["region"] = region
    return location


def statistics(findings: List[Row]) -> str:
    """flake8's --statistics: per code, how many, and the first message."""
    counts: Counter[str] = collections.Counter()
    first: Dict[str, str] = {}
    for f in findings:
        key, message = (f.code, f.message) if f.code else f.text.split(": ", 1)
        counts[key] += 1
        first.setdefault(key, message)
    return "".join(f"{counts[key]:<5} {key} {first[key]}\n" for key in sorted(counts))


WRITERS = {"text": text, "json": as_json, "sarif": sarif, "github": github}


def fixed(outcomes: List[Tuple[str, Any]]) -> str:
    """--show-fixes with --fix: per file, how many findings of each code were fixed (ruff's)."""
    out = []
    for path, outcome in outcomes:
        counts: Counter[str] = collections.Counter(f.code for f in outcome.fixed)
        if counts:
            out.append(f"- {one_line(path)}:\n")
            for code in sorted(counts):
                rule = RULES.get(code)
                out.append(f"    {counts[code]} x {code} ({rule.name if rule else code})\n")
    total = sum(len(outcome.fixed) for _, outcome in outcomes)
    if not total:
        return "No findings fixed.\n"
    return f"Fixed {total} finding{'s' * (total != 1)}:\n" + "".join(out)


def offered(findings: List[Row]) -> str:
    """--show-fixes without --fix: the fix each finding offers, and its applicability."""
    out = [
        f"{location(f)}: {f.code} [{f.finding.fix.applicability}] "
        f"{one_line(f.finding.fix.description)}\n"
        for f in findings
        if f.finding is not None and f.finding.fix is not None
    ]
    return "".join(out) if out else "No fixes offered.\n"
