"""Notebooks: code cells checked as one module, findings reported by cell and line."""

import json
from pathlib import Path

from cli_run import LINE, keras_reuse
from expectations import EXPECT

from flake8_keras_reuse.command import notebook

FIXTURE = Path(__file__).parent / "fixtures" / "notebooks" / "two_blocks_one_norm.ipynb"


def cells_of(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def expected(path):
    """{(cell, line, code)} from the `# expect:` comments inside the code cells."""
    found = set()
    for number, cell in enumerate(cells_of(path), start=1):
        if cell["cell_type"] != "code":
            continue
        for row, line in enumerate("".join(cell["source"]).splitlines(), start=1):
            match = EXPECT.search(line)
            if match:
                found.update(
                    (number, row, c.partition(":")[0].strip()) for c in match.group(1).split(",")
                )
    return found


def found(output):
    return {
        (int(m["cell"]), int(m["row"]), m["code"]) for m in map(LINE.match, output.splitlines())
    }


def test_reuse_across_cells_is_reported_at_its_cell_and_line():
    out = keras_reuse("--isolated", FIXTURE.name, cwd=FIXTURE.parent, status=(1,)).stdout
    assert found(out) == expected(FIXTURE) == {(5, 3, "KR005"), (7, 10, "KR001")}
    # The BatchNormalization is built for 8 channels in cell 3 and gets 16 in cell 5.
    assert out.splitlines()[0] == (
        "two_blocks_one_norm.ipynb:cell 5:3:5: KR005 'norm' (BatchNormalization) was built for "
        "8 channels in cell 3, line 3 (after Conv2D(8, ...)); here it gets 16 (after "
        "Conv2D(16, ...)): this call raises. Give each use its own instance."
    )


def test_noqa_inside_a_cell():
    # Cell 7 silences its KR002 with a noqa comment; without noqa it is reported.
    out = keras_reuse("--isolated", "--disable-noqa", FIXTURE, status=(1,)).stdout
    assert (7, 9, "KR002") in found(out)


def test_stdin_notebook():
    out = keras_reuse(
        "--isolated", "--stdin-filename", "nb.ipynb", stdin=FIXTURE.read_text(encoding="utf-8")
    ).stdout
    assert found(out) == expected(FIXTURE)


def test_ipython_lines_become_pass_and_line_numbers_stay():
    cells = [
        {"cell_type": "markdown", "source": ["# title\n"]},
        {
            "cell_type": "code",
            "source": ["%matplotlib inline\n", "!pip install x\n", "import os\n"],
        },
        {"cell_type": "code", "source": "%%bash\necho hi\n"},
        {
            "cell_type": "code",
            "source": [
                "x = !ls\n",
                "for f in x:\n",
                "    %time print(f)\n",
                "os?\n",
                "msg = (1\n",
                "       % 2)\n",
                "text = '''\n",
                "%not a magic\n",
                "'''\n",
                "%alias a b \\\n",
                "  c\n",
                "y = 1",
            ],
        },
        {"cell_type": "code", "source": "%%time\nz = 2\n"},
        {"cell_type": "raw", "source": "%%time\n"},
    ]
    book = notebook.read(json.dumps({"cells": cells, "metadata": {}}))
    assert book.source.splitlines() == [
        "pass",
        "pass",
        "import os",
        "pass",
        "for f in x:",
        "    pass",
        "pass",
        "msg = (1",
        "       % 2)",
        "text = '''",
        "%not a magic",
        "'''",
        "pass",
        "",
        "y = 1",
        "pass",
        "z = 2",
    ]
    assert book.locate(3) == (2, 3)
    assert book.locate(4) == (4, 1) and book.locate(15) == (4, 12)
    assert book.locate(17) == (5, 2)
    compile(book.source, "nb", "exec")


def test_other_languages_and_broken_notebooks(tmp_path):
    r_book = {
        "cells": [{"cell_type": "code", "source": "library(keras)\n"}],
        "metadata": {"language_info": {"name": "R"}},
    }
    (tmp_path / "r.ipynb").write_text(json.dumps(r_book))
    (tmp_path / "broken.ipynb").write_text("{not json")
    bad_cell = {
        "cells": [
            {"cell_type": "markdown", "source": "x"},
            {"cell_type": "code", "source": "x = 1\n"},
            {"cell_type": "code", "source": "def f(:\n    pass\n"},
        ]
    }
    (tmp_path / "syntax.ipynb").write_text(json.dumps(bad_cell))
    out = keras_reuse("--isolated", ".", cwd=tmp_path, status=(1,)).stdout.splitlines()
    assert out[0].startswith("broken.ipynb:1:1: NotebookError: not a Jupyter notebook")
    assert out[1].startswith("syntax.ipynb:cell 3:1:7: SyntaxError: ")
    assert len(out) == 2
