"""The fixtures' verdicts, proven by running the models on real Keras 3 (JAX, CPU).

Every model class in tests/fixtures is built and called once on small inputs, with each layer's
calls counted. A reported attribute must be one instance that really ran twice or more in that
pass and holds variables (shared weights or statistics). An attribute that ran twice and holds
variables but is not reported must be listed in SILENT_BY_DESIGN with the reason. Fixtures and
classes that cannot run say why in SKIPPED.
"""

import ast
import json
import os
import pathlib
import subprocess
import sys

import pytest
from expectations import FIXTURES, claims, expected, fixture_files, needs_keras

from flake8_keras_reuse.api import analyse_unsafely

pytestmark = needs_keras()

RUNNER = pathlib.Path(__file__).with_name("oracle_runner.py")
P2 = [[2, 8], [2, 8]]  # two feature vectors
IMG = [2, 8, 8, 3]

SPECS = {
    "subclass/seed_article_bad.py": {"FeatureExtractor": {"inputs": [[2, 28, 28, 1]]}},
    "subclass/seed_article_good.py": {"FeatureExtractor": {"inputs": [[2, 28, 28, 1]]}},
    "subclass/import_spellings.py": {
        "KerasDotLayers": {"inputs": P2},
        "ModuleAlias": {"inputs": P2},
        "TfKeras": {"inputs": P2},
        "LegacyTfKeras": {"inputs": P2},
        "FromKerasImportLayers": {"inputs": [IMG, IMG]},
        "FromImportAs": {"inputs": P2},
        "FromTensorflowImportKeras": {"inputs": P2},
        "FromTensorflowKerasImportLayers": {"inputs": [IMG, IMG]},
        "TensorflowPythonKeras": {"inputs": P2},
    },
    "subclass/import_star_and_fallback.py": {"Star": {"inputs": P2}, "Fallback": {"inputs": P2}},
    "subclass/stateless_and_special.py": {
        "AllStateless": {"inputs": [IMG, IMG]},
        "ManualUnroll": {"init": {"units": 4}, "inputs": [[2, 4, 3], [[2, 4], [2, 4]]]},
        "Recompute": {"inputs": [[2, 8]]},
    },
    "subclass/placeholders_and_bases.py": {
        "Attention": {"inputs": [[2, 8]]},
        "Placeholder": {"inputs": [[2, 8]]},
        "PlaceholderOnly": {"inputs": [[2, 8]]},
    },
    "subclass/one_call_many_layers.py": {"TwoStreams": {"inputs": [[2, 8]]}},
    "verdicts/crashes.py": {
        "Literals": {"inputs": [IMG]},
        "Symbolic": {"inputs": [[2, 8]]},
        "ThroughConcatenate": {"inputs": [IMG]},
        "Depthwise": {"inputs": [IMG]},
        "InALoopHelper": {"inputs": [[2, 8]]},
    },
    "verdicts/equal_and_unknown.py": {
        "EqualLiterals": {"inputs": [IMG]},
        "TwoParameters": {"inputs": [[2, 8]]},
        "OtherAxis": {"inputs": [[2, 4, 8]]},
        "UnknownInput": {"inputs": [[2, 8]]},
    },
    "verdicts/slips.py": {
        "Slip": {"inputs": [IMG]},
        "SlipFixed": {"inputs": [IMG]},
        "LetterTwins": {"inputs": [[2, 8], [2, 8]]},
        "TwinUsedInBuild": {"inputs": [[2, 8]]},
        "TwinOfAnotherClass": {"inputs": [[2, 8]]},
        "Dynamic": {"inputs": [[2, 8]]},
    },
    "subclass/loops.py": {
        "Tower": {"inputs": [IMG]},
        "Comprehension": {"inputs": [[[2, 8], [2, 8], [2, 8]]]},
        "LoopAfterUse": {"inputs": [IMG]},
        "StepGuard": {"inputs": [[2, 8]]},
        "FirstPassOnly": {"inputs": [[2, 8]]},
        "SameInputEveryPass": {"inputs": [[2, 8]]},
    },
    "subclass/branches.py": {
        "Exclusive": {"init": {"mode": "a"}, "inputs": [[2, 8]], "kwargs": {"training": True}},
        "EarlyReturn": {"inputs": [[2, 8]]},
        "SameConditionTwice": {"inputs": [[2, 8, 16]], "kwargs": {"memory": [2, 8, 16]}},
        "NotExclusive": {"inputs": [[2, 8]], "kwargs": {"training": True}},
        "ConditionRebound": {"inputs": [[2, 8]], "kwargs": {"flag": True}},
        "HelperEarlyExit": {"inputs": [[2, 8]], "kwargs": {"paged": True}},
        "KeyedSwitch": {"init": {"cfg": {"IsNot": 1}}, "inputs": [[2, 8]]},
        "ConditionReboundByWalrus": {"inputs": [[2, 8]], "kwargs": {"flag": True}},
    },
    "subclass/rebinding.py": {
        "ConditionReboundEveryWay": {"inputs": [[2, 8]]},
        "RebindsNothing": {"inputs": [[2, 8]], "kwargs": {"flag": True}},
    },
    "subclass/branches_match.py": {
        "MatchMode": {"init": {"mode": "a"}, "inputs": [[2, 8]]},
        "SharedInsideMatch": {"init": {"mode": "shared"}, "inputs": [[2, 8]]},
    },
    "subclass/instance_name.py": {
        "ThisNet": {"inputs": [IMG]},
        "StaticHelper": {"inputs": [[2, 8]]},
    },
    "subclass/helpers.py": {
        "HelperTwice": {"inputs": [[2, 16, 16, 3]]},
        "LayerAsArgument": {"inputs": P2},
        "PropertyAndAlias": {"inputs": P2},
        "NestedFunctions": {"inputs": P2},
        "DefinedButNotCalled": {"inputs": [[2, 8]], "kwargs": {"flag": True}},
        "Recursive": {"inputs": [[2, 8]]},
        "SameTensorThroughHelpers": {"inputs": [[2, 4]]},
        "OtherTensorThroughHelper": {"inputs": [[2, 4]]},
    },
    "subclass/assignments.py": {
        "BuiltLater": {"inputs": P2},
        "LocalVariable": {"inputs": P2},
        "Embeddings": {"inputs": [["int", 2, 5], ["int", 2, 5]]},
    },
    "graphs/owners.py": {"TwoNames": {"inputs": P2}, "Collections": {"inputs": [[2, 8]]}},
    "graphs/built_in_call.py": {
        "Classifier": {"init": {"classes": 3}, "inputs": [IMG]},
        "NotOnTheForwardPath": {"inputs": [[2, 8]]},
        "Residual": {"inputs": [[2, 4]]},
    },
    "graphs/functional.py": {},
    "graphs/sequential.py": {},
    "graphs/expected_errors.py": {},
    "graphs/closures.py": {},
    "identity/slots_and_composites.py": {"Heads": {"inputs": [IMG]}},
    "identity/reached_other_ways.py": {
        "Reached": {"inputs": [[2, 8]]},
        "OncePerObject": {"inputs": [[2, 8]]},
        "WrittenTwice": {"inputs": [[2, 8]]},
    },
    "identity/factories.py": {},
    "identity/two_graphs.py": {},
    "identity/name_spelling.py": {},
    "identity/first_call_same_model.py": {},
    "identity/handed_in.py": {},
    "identity/builders_and_globals.py": {},
    "identity/wrappers.py": {"PerStep": {"inputs": [[2, 3, 8], [2, 3, 8]]}},
    "identity/instance_attributes.py": {"ResidualStages": {"inputs": [[2, 8]]}},
    "identity/borrowed_layers.py": {},
    "identity/composite_parts.py": {
        name: {"inputs": [[2, 8]]}
        for name in (
            "Staged",
            "SamePartTwice",
            "PartNotKnown",
            "OverlappingParts",
            "TrainingFromKeras",
            "HandedOn",
        )
    },
}

# The claims about Keras that back a finding outside a model class (a functional graph, a
# Sequential list, an owner), or the silence on a line, sit on the fixture lines they concern
# as `# keras: <expression>` (expectations.claims); the runner evaluates each.

SKIPPED = {
    "subclass/not_keras.py": "imports torch and a module that does not exist: it models code "
    "whose classes cannot be known, so there is nothing to run",
    "project/zoo/models/net.py": "imports zoo.norms, which refuses to be imported on purpose "
    "(it proves the linter never imports project modules)",
    "project/zoo/models/on_backend.py": "imports its layers from zoo.backend, a package the "
    "runner does not put on the path; the reuse itself is graphs/functional.py's, proven there",
    "subclass/assignments.py::FrozenNorm": "a layer the fixture's models use, not a model",
    "graphs/owners.py::Branch": "takes a layer argument; its sharing is the claim on line 53",
    **{
        f"identity/handed_in.py::{name}": "takes its layer from the caller: the claims on its "
        "lines run it with what the file gives it"
        for name in ("Siamese", "GivenAnything", "NeverConstructedHere", "Base", "Derived")
    },
    "graphs/built_in_call.py::LazyHead": "Keras 3 refuses a sublayer added in call() after "
    "build; Keras 2 builds it once: not reported",
    "identity/slots_and_composites.py::ConvNorm": "a layer the fixture's model uses, not a model",
    **{
        f"reports/{path.name}": "a reduction of a public bug report (source in its header): the "
        "report shows what Keras did; many use Keras 1/2 or TF1 APIs"
        for path in (FIXTURES / "reports").glob("*.py")
    },
    **{
        f"corpus/{path.name}": "a reduction of unseen package code that once got a false finding: "
        "nothing is reported, so there is no claim to run"
        for path in (FIXTURES / "corpus").glob("*.py")
    },
    **{
        f"identity/slots_and_composites.py::{name}": "a layer the fixture's model uses, not a model"
        for name in ("Gate", "Activation2")
    },
    **{
        f"identity/composite_parts.py::{name}": "a layer the fixture's models use, not a model"
        for name in ("TwoStage", "SharedSublayer", "ByTraining", "HandsItselfOn")
    },
}

SILENT_BY_DESIGN = {
    (
        "subclass/helpers.py",
        "SameTensorThroughHelpers",
        "head",
    ): "the helpers get the very tensor call() ran it on: one value computed again",
    (
        "subclass/loops.py",
        "SameInputEveryPass",
        "proj",
    ): "called on the same unchanged input on every pass: one value computed again",
    (
        "identity/composite_parts.py",
        "Staged",
        "block",
    ): "each call runs its own part of the block: the claim on line 35 shows that no sublayer "
    "runs twice",
    (
        "identity/reached_other_ways.py",
        "Reached",
        "norm",
    ): "reported where it is called twice: inside the module helper (line 10), not in the class",
    (
        "subclass/stateless_and_special.py",
        "ManualUnroll",
        "cell",
    ): "a recurrent cell is made to be called once per timestep",
    (
        "subclass/stateless_and_special.py",
        "Recompute",
        "key",
    ): "the same unchanged tensor twice: one value computed twice, no second input",
    (
        "subclass/helpers.py",
        "DefinedButNotCalled",
        "bn",
    ): "keras.ops.cond runs one branch per pass (JAX traces both); functions handed to "
    "library calls are not followed",
    ("subclass/helpers.py", "Recursive", "dense"): "recursion between helpers is not followed",
    (
        "subclass/assignments.py",
        "BuiltLater",
        "unknown_kind",
    ): "make_layer() returns a BatchNormalization or a Dense by its argument: not provable",
}

SUMMARY = []  # printed at the end of the session by conftest.py


def holds(group, attr):
    """Whether a group of names for one instance includes an attribute (`norms` names the
    list, `norms[0]` its first slot)."""
    return any(name == attr or name.startswith(attr + "[") for name in group)


def model_classes(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(
            isinstance(s, ast.FunctionDef) and s.name == "call" for s in node.body
        ):
            yield node


@pytest.fixture(scope="module")
def oracle():
    specs = {}
    for path, classes in SPECS.items():
        checks = claims(FIXTURES / path)
        specs[str(FIXTURES / path)] = {**classes, "__checks__": checks}
    env = dict(os.environ, KERAS_BACKEND="jax")
    proc = subprocess.run(
        [sys.executable, str(RUNNER)],
        input=json.dumps(specs),
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return {str(pathlib.Path(p).relative_to(FIXTURES)): r for p, r in out.items()}


def test_every_model_is_run_or_skipped_with_a_reason():
    for path in fixture_files():
        rel = str(path.relative_to(FIXTURES))
        if rel in SKIPPED:
            continue
        for cls in model_classes(path):
            assert cls.name in SPECS.get(rel, {}) or f"{rel}::{cls.name}" in SKIPPED, (
                f"{rel}::{cls.name} is neither run by the oracle nor skipped with a reason"
            )


@pytest.mark.parametrize("rel", sorted(SPECS))
def test_findings_are_what_keras_does(oracle, rel):
    path = FIXTURES / rel
    source = path.read_text(encoding="utf-8")
    findings = analyse_unsafely(ast.parse(source), source, str(path))
    classes = {c.name: c for c in model_classes(path)}
    checks = oracle[rel].pop("__checks__", {})
    for line, verdict in checks.items():
        assert verdict is True, f"{rel}:{line}: Keras does not bear out the claim: {verdict}"
    inside = {line for c in classes.values() for line in range(c.lineno, c.end_lineno + 1)}
    # The claims on lines with an expected finding back it; the others back a silence.
    verdict_lines = {line for line, _ in expected(path)}
    checked = {line for line in claims(path) if line in verdict_lines}
    outside = {f.line for f in findings if f.line not in inside}
    assert outside <= checked, f"{rel}: findings no Keras claim backs: {outside - checked}"
    assert checked <= {f.line for f in findings}, (
        f"{rel}: Keras shows sharing the plugin does not report"
    )
    if checks:
        SUMMARY.append(f"{rel}: {len(checks)} claim(s) about Keras hold")
    for name, result in oracle[rel].items():
        cls = classes[name]
        # A merged finding names the other instances its call reuses in "also".
        reported = {
            attr[len("self.") :]
            for f in findings
            if cls.lineno <= f.line <= cls.end_lineno
            and f.code in ("KR001", "KR002", "KR005", "KR006")
            for attr in [f.args["attr"], *filter(None, f.args.get("also", "").split("\n"))]
            if attr.startswith("self.")
        }
        # One instance may sit under several names (a property, an alias): judge instances.
        names = {}
        for attr, info in result["attrs"].items():
            names.setdefault(info["instance"], (info, set()))[1].add(attr)
        shared = {
            frozenset(attrs)
            for info, attrs in names.values()
            if info["calls"] >= 2 and info["variables"] > 0
        }
        for attr in reported:
            assert any(holds(group, attr) for group in shared), (
                f"{rel}::{name}: 'self.{attr}' is reported, but Keras ran it once or it "
                f"holds no variables: {result}"
            )
        silent = {attr for (f, c, attr) in SILENT_BY_DESIGN if (f, c) == (rel, name)}
        for group in shared:
            if not any(holds(group, attr) for attr in reported):
                assert group & silent, (
                    f"{rel}::{name}: Keras shared {sorted(group)} but nothing is reported"
                )
        SUMMARY.append(
            f"{rel}::{name}: {len(reported)} finding(s) proven"
            + (f", run ended in {result['error'].split(':')[0]}" if result["error"] else "")
        )


def test_summary_counts():
    run = sum(len(c) for c in SPECS.values())
    skipped = [f"{key}: {why}" for key, why in SKIPPED.items()]
    SUMMARY.append(f"oracle: {run} model classes run on Keras, {len(skipped)} skipped")
    SUMMARY.extend("  skipped " + s for s in skipped)
    assert run >= 30


def test_every_keras_claim_is_in_a_fixture_the_oracle_runs():
    # A claim in a fixture the runner never loads would look proven and be proven by nothing.
    unrun = [
        f"{path.relative_to(FIXTURES)}:{line}"
        for path in fixture_files()
        for line in claims(path)
        if str(path.relative_to(FIXTURES)) not in SPECS
    ]
    assert unrun == []
    assert sum(len(claims(FIXTURES / rel)) for rel in SPECS) >= 40
