"""Never silent, never stuck: results that do not depend on odd characters, file order, -j, the
caller's stack depth or how long the process has run."""

import ast
import itertools
import subprocess
import sys
import textwrap

from expectations import FIXTURES, expected
from test_flake8_cli import flake8, parse

from flake8_keras_reuse.api import analyse

# Characters str.splitlines() breaks at and Python does not.
ODD_BREAKS = "\x0c\x0b\x1c\x1d\x1e\x85\u2028\u2029"


def findings(source, filename):
    return {(f.line, f.code) for f in analyse(source, filename, tree=ast.parse(source))}


def test_odd_line_breaks_in_a_comment_change_nothing():
    for rel in ("graphs/owners.py", "graphs/functional.py", "subclass/seed_article_bad.py"):
        path = FIXTURES / rel
        source = path.read_text(encoding="utf-8")
        assert findings(source, str(path)) == expected(path)
        odd = f"# page{ODD_BREAKS}break\n" + source.replace("\n", f"  # {ODD_BREAKS}\n", 3)
        assert findings(odd, str(path)) == {(line + 1, code) for line, code in expected(path)}


DEEP_SIBLING = """\
import keras

WEIGHTS = {deep}


class DeepNorm(keras.layers.BatchNormalization):
    pass
"""

USER = """\
import keras

from {module} import DeepNorm


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.norm = DeepNorm()

    def call(self, x):
        return self.norm(self.norm(x))
"""


def _deep_project(tmp_path):
    """Two models that use a layer class from a module with a deeply nested expression: building
    that module's tree once failed or not by the stack depth at the time, and the failure was
    cached for the process."""
    deep = "+".join(["1"] * 900)  # deep enough for the old failure, parseable on every Python
    (tmp_path / "deep.py").write_text(DEEP_SIBLING.format(deep=deep))
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.py").write_text(USER.format(module="deep"))
    return ["a.py", "b.py", "c.py", "deep.py"]


def test_same_findings_for_every_order_and_job_count(tmp_path):
    # deep.py itself is not linted: pyflakes' own recursion fails on it, and flake8 stops.
    files = _deep_project(tmp_path)[:3]
    runs = {}
    for order in itertools.permutations(files):
        runs[("-j1",) + order] = flake8("--select=KR", "-j1", *order, cwd=tmp_path)
    runs[("-j2",)] = flake8("--select=KR", "-j2", *files, cwd=tmp_path)
    results = {key: parse_at(out, tmp_path) for key, out in runs.items()}
    first = next(iter(results.values()))
    assert {row for rows in first.values() for row in rows} == {(12, "KR001")}
    assert len(first) == 3
    for key, result in results.items():
        assert result == first, key


def parse_at(output, root):
    return {path.rsplit("/", 1)[-1]: rows for path, rows in parse(output).items()}


def test_findings_do_not_depend_on_the_callers_stack_depth(tmp_path):
    _deep_project(tmp_path)
    source = (tmp_path / "a.py").read_text()

    def nested(depth):
        if depth:
            return nested(depth - 1)
        return findings(source, str(tmp_path / "a.py"))

    limit = sys.getrecursionlimit()
    assert nested(10) == nested(limit - 100) == {(12, "KR001")}


MEMORY_ROUNDS = textwrap.dedent("""\
    import ast, gc, os, pathlib, resource, sys
    from flake8_keras_reuse.api import analyse
    from flake8_keras_reuse.resolution import project
    project._CACHE_SIZE = 64  # far fewer than the modules: most are read, evicted, read again
    root = pathlib.Path(sys.argv[1]); N = 300
    pkg = root / "proj"; pkg.mkdir(); (pkg / "__init__.py").write_text("")
    def write(i, rnd):
        dense = "".join(f"        self.l{j} = layers.Dense({j + rnd})\\n" for j in range(30))
        (pkg / f"m{i}.py").write_text(
            f"import keras\\nfrom keras import layers\\n"
            f"from proj.m{(i + 1) % N} import Block{(i + 1) % N}\\n\\n"
            f"class Block{i}(layers.BatchNormalization):\\n    \\"\\"\\"Doc.\\"\\"\\"\\n\\n"
            f"class Net{i}(keras.Model):\\n    def __init__(self):\\n"
            f"        super().__init__()\\n        self.b = Block{(i + 1) % N}()\\n{dense}\\n"
            f"    def call(self, x):\\n        return self.b(self.b(x))\\n")
        os.utime(pkg / f"m{i}.py", ns=(rnd * 10**9 + 1, rnd * 10**9 + 1))
    for rnd in range(4):
        for i in range(N):
            write(i, rnd)
        found = 0
        for i in range(N):
            path = pkg / f"m{i}.py"; src = path.read_text()
            found += len(analyse(src, str(path)))
        gc.collect()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(found, round(rss), len(gc.get_objects()), gc.get_freeze_count())
""")


def test_memory_stays_flat_over_rounds_of_changed_project_modules(tmp_path):
    # 300 project modules (more than the cache keeps), every one changed before each round:
    # what the cache drops must be freed, and nothing that may be dropped is frozen.
    proc = subprocess.run(
        [sys.executable, "-c", MEMORY_ROUNDS, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    rounds = [list(map(int, line.split())) for line in proc.stdout.splitlines()]
    assert [r[0] for r in rounds] == [300] * 4  # each module's model reuses its sibling's norm
    peak = [r[1] for r in rounds]
    assert peak[-1] - peak[1] <= 8, peak  # MiB; the old freezing grew about 40 MiB a round
    # Cached trees are frozen (full collections skip them), so an evicted tree must be freed by
    # reference counting alone: the frozen count stays level instead of growing every round.
    assert rounds[-1][3] <= rounds[1][3] * 1.05, rounds


FREED_AFTER_CHECK = textwrap.dedent("""\
    import ast, gc, sys, weakref
    from astroid import MANAGER
    from flake8_keras_reuse.api import analyse
    from flake8_keras_reuse.resolution import project
    built = []
    original = project.build
    def build(*args, **kwargs):
        module = original(*args, **kwargs)
        built.append(weakref.ref(module))
        return module
    project.build = build
    path = sys.argv[1]; src = open(path).read()
    found = [len(analyse(src, path)) for _ in range(5)]
    gc.collect()
    alive = sum(ref() is not None for ref in built)
    print(found, len(built), alive, "builtins" in MANAGER.astroid_cache)
""")


def test_checked_files_do_not_outlive_their_check(tmp_path):
    # Nothing holds a checked file's astroid tree once the check returns (astroid's lookup()
    # cache held the last 128 trees), but for the last one: astroid's object models (a class's
    # special attributes) remember the last node they were asked about. And astroid's model of
    # builtins, 12 MiB, is never built although the file uses builtins where a layer could be.
    path = tmp_path / "model.py"
    path.write_text(
        textwrap.dedent("""\
        import keras
        from keras import layers

        class Registry(dict):
            pass

        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.bn = layers.BatchNormalization()
                self.table = dict()
                self.n = len(Registry())

            def call(self, x):
                x = self.bn(self.table(x))
                print(x)
                return self.bn(self.table(x))
    """)
    )
    proc = subprocess.run(
        [sys.executable, "-c", FREED_AFTER_CHECK, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found, built, alive, builtins = proc.stdout.rsplit(None, 3)
    assert (found, built, builtins) == ("[1, 1, 1, 1, 1]", "5", "False"), proc.stdout
    assert int(alive) <= 1, proc.stdout


def test_trees_built_without_what_resolution_never_reads_resolve_alike(monkeypatch):
    # Calls lose their arguments and opaque expressions become `...` unless an asked node is
    # inside: on every fixture, the findings (messages included) are those of full trees.
    from collections import OrderedDict

    from expectations import fixture_files

    from flake8_keras_reuse.resolution import project

    def all_findings():
        monkeypatch.setattr(project.Project, "_cache", OrderedDict())
        found = {}
        for path in fixture_files():
            source = path.read_text(encoding="utf-8")
            found[str(path.relative_to(FIXTURES))] = analyse(source, str(path))
        return found

    pruned = all_findings()
    monkeypatch.setattr(project, "_encloses", lambda starts, node: True)
    full = all_findings()
    assert sum(map(len, full.values())) > 50
    assert pruned == full
