"""Hostile but valid input: large classes, deep helper chains, recursion, inheritance cycles.

These assert behaviour (a result, no exception); their speed is the benchmark's business.
"""

import ast
import textwrap

import pytest

from flake8_keras_reuse.api import analyse_unsafely
from flake8_keras_reuse.plugin import KerasReuseChecker


def run(source, filename="hostile.py"):
    source = textwrap.dedent(source)
    return analyse_unsafely(ast.parse(source), source, filename)


def model(init, body, extra=""):
    return (
        "import keras\n\n\nclass Net(keras.Model):\n    def __init__(self):\n"
        + textwrap.indent(init, " " * 8)
        + "\n"
        + extra
        + "    def call(self, x):\n"
        + textwrap.indent(body, " " * 8)
        + "\n"
    )


def test_fifteen_hundred_layer_attributes():
    n = 1500
    init = "\n".join(f"self.bn{i} = keras.layers.BatchNormalization()" for i in range(n))
    body = "\n".join(f"x = self.bn{i}(self.bn{i}(x))" for i in range(n)) + "\nreturn x"
    found = run(model(init, body))
    assert len(found) == n and all(f.code == "KR001" for f in found)


def test_a_long_helper_chain_is_followed_or_given_up_quietly():
    def chain(depth):
        helpers = "".join(
            f"    def _h{i}(self, x):\n        return self._h{i + 1}(x)\n\n" for i in range(depth)
        )
        helpers += f"    def _h{depth}(self, x):\n        return self.bn(x)\n\n"
        return model(
            "self.bn = keras.layers.BatchNormalization()", "return self._h0(self._h0(x))", helpers
        )

    assert [f.code for f in run(chain(30))] == ["KR001"]
    assert run(chain(400)) == []  # past the depth limit: no finding, and no RecursionError


def test_mutual_recursion_and_self_recursion():
    helpers = (
        "    def _a(self, x):\n        return self._b(self.bn(x))\n\n"
        "    def _b(self, x):\n        return self._a(x)\n\n"
        "    def _c(self, x):\n        return self._c(x)\n\n"
    )
    found = run(
        model("self.bn = keras.layers.BatchNormalization()", "return self._c(self._a(x))", helpers)
    )
    assert found == []


def test_inheritance_cycles():
    source = """
        import keras

        class A(B):
            def call(self, x):
                return self.bn(self.bn(x))

        class B(A):
            def __init__(self):
                self.bn = keras.layers.BatchNormalization()

        class C(C):
            def call(self, x):
                return self.bn(self.bn(x))
    """
    assert run(source) == []


def test_deeply_nested_calls():
    body = "return " + "self.dense(" * 150 + "x" + ")" * 150
    found = run(model("self.dense = keras.layers.Dense(3)", body))
    assert len(found) == 149


def test_a_huge_flat_call_body():
    body = "\n".join("x = self.act(x)" for _ in range(20000)) + "\nreturn x"
    assert run(model("self.act = keras.layers.ReLU()", body)) == []


def _explode(*args, **kwargs):
    raise KeyError("simulated failure deep inside resolution")


def test_an_internal_error_is_one_kr900_finding_not_silence(monkeypatch):
    monkeypatch.setattr("flake8_keras_reuse.api.analyse_unsafely", _explode)
    monkeypatch.setenv("KERAS_REUSE_RAISE", "0")
    tree = ast.parse("x = 1\n")
    [(line, col, message, _)] = KerasReuseChecker(tree, "x.py", ["x = 1\n"]).run()
    assert (line, col) == (1, 0)
    assert message.startswith("KR900 flake8-keras-reuse could not check this file (KeyError in ")
    assert "test_hostile.py" not in message and "please report it" in message


def test_the_raise_switch_lets_the_error_through(monkeypatch):
    monkeypatch.setattr("flake8_keras_reuse.api.analyse_unsafely", _explode)
    monkeypatch.setenv("KERAS_REUSE_RAISE", "1")
    with pytest.raises(KeyError):
        list(KerasReuseChecker(ast.parse("x = 1\n"), "x.py", ["x = 1\n"]).run())


def _steps_used(source, monkeypatch):
    """Walk steps one file takes (the work the budget counts), and whether it ran out."""
    from flake8_keras_reuse.core import walk as forward

    budgets = []

    class Counting(forward.Budget):
        def __init__(self, lines):
            super().__init__(lines)
            self.start = self.left
            budgets.append(self)

    monkeypatch.setattr(forward, "Budget", Counting)
    run(source)
    [budget] = budgets
    return budget.start - budget.left, budget.spent


@pytest.mark.parametrize(
    "case", ["notebook_script", "many_branches", "long_call", "nested_defs_in_call"]
)
def test_generated_worst_cases_cost_linear_work(case, monkeypatch):
    # Notebook exports (functions calling earlier ones, nested defs) once cost exponential
    # work; a long call() with many branches, quadratic. Work per line must stay flat.
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    import synthetic

    make = getattr(synthetic, case)
    small, large = (make(100), make(400)) if case != "long_call" else (make(2000), make(8000))
    per_line = []
    for source in (small, large):
        steps, spent = _steps_used(source, monkeypatch)
        assert not spent
        per_line.append(steps / source.count("\n"))
    assert per_line[1] <= 1.5 * per_line[0] + 1, per_line  # linear: 4x the code, ~4x the work
