"""The option table: one record per option of the `keras-reuse` command and the flake8 plugin.

Both front ends generate what they need from `OPTIONS`: the command its argparse parser
(command/main.py) and its `[tool.keras-reuse]` validation (command/config.py), the plugin its
flake8 options (plugin.py, the records marked `flake8`), and tools/gen_rule_docs.py the README's
option table. The layer options (`LAYER_OPTIONS`) map class names to catalog categories the same
way in both. Nothing of flake8 or argparse is imported here: the front ends translate a record's
`kind` into their own library's terms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

# What an option holds, and so how each front end reads it.
PATHS = "paths"  # the positional files and folders
LIST = "list"  # names, comma- or whitespace-separated; in pyproject also a list of strings
FLAG = "flag"  # on when given; true or false in pyproject
TOGGLE = "toggle"  # --name or --no-name; true or false in pyproject
CHOICE = "choice"  # one of `choices`
JOBS = "jobs"  # a positive number of processes, or "auto"
PATH = "path"  # one file name, command line only
MAPPING = "mapping"  # patterns to codes (flake8's per-file-ignores); in pyproject also a table
OPTIONAL_TEXT = "optional-text"  # --name or --name=TEXT (`=` required, as ruff's); command line
VERSION = "version"  # print the version and exit

# The argparse groups of `keras-reuse --help`, in the order they are shown ("" is the parser's
# own "options" section).
TOP = ""
CODES = "which codes are reported (flake8's rules)"
LAYERS = "layer classes the catalog does not know (comma-separated qualified names)"
FILES = "which files are checked"
OUTPUT = "output"
FIXES = "fixes (as ruff's)"

# flake8's default excludes, and the tool and environment folders ruff also skips.
DEFAULT_EXCLUDE = (
    ".svn",
    "CVS",
    ".bzr",
    ".hg",
    ".git",
    "__pycache__",
    ".tox",
    ".nox",
    ".eggs",
    "*.egg",
    ".direnv",
    ".git-rewrite",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".pants.d",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".venv",
    ".vscode",
    "__pypackages__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)


@dataclass(frozen=True)
class Option:
    flags: Tuple[str, ...]  # the command-line spellings, as --help lists them
    kind: str  # PATHS, LIST, FLAG, ...
    help: str  # --help's text (flake8's too); "" leaves argparse's own
    doc: str  # what the README's option table says it does
    group: str = TOP  # the --help group
    key: Optional[str] = None  # the [tool.keras-reuse] key; None: command line only
    metavar: Optional[str] = None
    default: Any = None  # the value when neither the command line nor pyproject sets it
    choices: Optional[Tuple[str, ...]] = None  # CHOICE: None until the command binds them
    flake8: bool = False  # flake8 gets it too, under the same long name (flake8's config key)
    category: Optional[str] = None  # a layer option: the catalog category its classes get

    @property
    def long(self) -> str:
        """The first --spelling (the one flake8 offers); a positional's name."""
        return next((flag for flag in self.flags if flag.startswith("--")), self.flags[0])

    @property
    def dest(self) -> str:
        """The attribute argparse and flake8 store the option under."""
        return self.long.lstrip("-").replace("-", "_")


def _layers(name: str, short: str, category: str, help: str, doc: str) -> Option:
    return Option(
        (f"--{name}", f"--{short}"),
        LIST,
        help,
        doc,
        LAYERS,
        key=name,
        metavar="NAMES",
        flake8=True,
        category=category,
    )


OPTIONS: Tuple[Option, ...] = (
    Option(
        ("paths",),
        PATHS,
        "files and folders to check (default: .); '-' reads standard input",
        "files and folders to check (default `.`); `-` reads standard input",
        metavar="PATH",
    ),
    Option(
        ("--select",),
        LIST,
        "codes or prefixes to report (default: KR)",
        "codes or prefixes to report, comma-separated (default `KR`)",
        CODES,
        key="select",
        metavar="CODES",
    ),
    Option(
        ("--ignore",),
        LIST,
        "codes or prefixes not to report",
        "codes or prefixes not to report",
        CODES,
        key="ignore",
        metavar="CODES",
    ),
    Option(
        ("--extend-select",),
        LIST,
        "add to --select",
        "added to `select`",
        CODES,
        key="extend-select",
        metavar="CODES",
    ),
    Option(
        ("--extend-ignore",),
        LIST,
        "add to --ignore",
        "added to `ignore`",
        CODES,
        key="extend-ignore",
        metavar="CODES",
    ),
    Option(
        ("--per-file-ignores",),
        MAPPING,
        "codes to ignore in some files, as flake8's: 'tests/*:KR001,KR002 legacy.py:KR'",
        "codes not to report in some files, with flake8's syntax and meaning: "
        "`tests/*:KR001,KR002 legacy.py:KR` (the longest matching pattern applies; in "
        'pyproject also a table, `{"tests/*" = ["KR001"]}`)',
        CODES,
        key="per-file-ignores",
        metavar="MAPPING",
    ),
    Option(
        ("--disable-noqa",),
        FLAG,
        "report findings even where '# noqa' silences them",
        "report what `# noqa` comments silence",
        CODES,
        key="disable-noqa",
        default=False,
    ),
    # Order matters: a class named in two layer options gets the category of the later one.
    _layers(
        "keras-reuse-stats-layers",
        "stats-layers",
        "stats",
        "Qualified names of layer classes that keep moving statistics (KR001).",
        "your layer classes that keep moving statistics (KR001)",
    ),
    _layers(
        "keras-reuse-weight-layers",
        "weight-layers",
        "weights",
        "Qualified names of layer classes whose weights a second call shares (KR002).",
        "your layer classes with weights (KR002)",
    ),
    _layers(
        "keras-reuse-safe-layers",
        "safe-layers",
        "stateless",
        "Qualified names of layer classes that are safe to call more than once.",
        "layer classes safe to call any number of times",
    ),
    Option(
        ("--exclude",),
        LIST,
        f"names or paths to skip, replacing the default list ({','.join(DEFAULT_EXCLUDE[:5])},...)",
        "names or paths to skip, replacing the default (`.git`, `.venv`, `venv`, `build`, "
        "`dist`, `__pycache__`, `.ipynb_checkpoints`, `node_modules`, `site-packages`, tool "
        "caches, ...)",
        FILES,
        key="exclude",
        metavar="PATTERNS",
        default=DEFAULT_EXCLUDE,
    ),
    Option(
        ("--extend-exclude",),
        LIST,
        "add to --exclude",
        "added to `exclude`",
        FILES,
        key="extend-exclude",
        metavar="PATTERNS",
        default=(),
    ),
    Option(
        ("--respect-gitignore",),
        TOGGLE,
        "skip what .gitignore files ignore (default: yes)",
        "skip what `.gitignore` files and `.git/info/exclude` ignore when walking folders "
        "(default: yes)",
        FILES,
        key="respect-gitignore",
        default=True,
    ),
    Option(
        ("--stdin-filename",),
        PATH,
        "check standard input as the file NAME (editors)",
        "check standard input as the file `NAME` (its sibling modules are read from disk)",
        FILES,
        metavar="NAME",
    ),
    Option(
        ("--format",),
        CHOICE,
        "output format (default: text)",
        "the output format (default `text`)",
        OUTPUT,
        key="format",
        default="text",
    ),
    Option(
        ("-o", "--output-file"),
        PATH,
        "write the report to FILE",
        "write the report to `FILE`",
        OUTPUT,
        metavar="FILE",
    ),
    Option(
        ("--statistics",),
        FLAG,
        "count the findings per code (on stderr unless --format text)",
        "add a count per code (with the first message), after a text report or on stderr",
        OUTPUT,
        key="statistics",
        default=False,
    ),
    Option(
        ("--exit-zero",),
        FLAG,
        "exit with status 0 even when there are findings (an internal error still exits 2)",
        "exit 0 even when there are findings, as flake8's and ruff's `--exit-zero` (a KR900 "
        "internal error still exits 2)",
        OUTPUT,
        key="exit-zero",
        default=False,
    ),
    Option(
        ("--fix",),
        FLAG,
        "apply the safe fixes, then report what is left",
        "apply the fixes that are safe, write the files, and report what is left (standard "
        "input: the fixed text is written to standard output, the report to standard error)",
        FIXES,
        key="fix",
        default=False,
    ),
    Option(
        ("--unsafe-fixes",),
        FLAG,
        "apply the unsafe fixes too (with --fix or --diff)",
        "with `--fix` or `--diff`, apply the unsafe fixes too (they may change what a saved "
        "model loads: see [Fixing](#fixing))",
        FIXES,
        key="unsafe-fixes",
        default=False,
    ),
    Option(
        ("--diff",),
        FLAG,
        "print what --fix would change as a unified diff, and write nothing",
        "print what `--fix` would change as a unified diff (`patch -p0` and `git apply -p0` "
        "apply it) and write nothing; exit 1 when there is a change",
        FIXES,
        default=False,
    ),
    Option(
        ("--show-fixes",),
        FLAG,
        "list the fixes applied (or, without --fix, the fixes offered), per file",
        "list the fixes applied per file (without `--fix`: the fixes each finding offers, and "
        "their applicability)",
        FIXES,
        key="show-fixes",
        default=False,
    ),
    Option(
        ("--add-noqa",),
        OPTIONAL_TEXT,
        "add '# noqa: CODES' (with ' - REASON' when given as --add-noqa=REASON) to every line "
        "with a finding",
        "add `# noqa: KR00x` (` - REASON` with `--add-noqa=REASON`) to every line with a "
        "finding, merged with a `# noqa: ...` already there, so that CI fails only on new "
        "findings (see [Adopting](#adopting-on-an-existing-project))",
        FIXES,
        metavar="REASON",
    ),
    Option(
        ("-j", "--jobs"),
        JOBS,
        "processes to check files with, or 'auto' (default: auto); "
        "the output is the same for any N",
        "processes to check with, or `auto` (the default); the output is the same for any `N`",
        key="jobs",
        metavar="N",
        default="auto",
    ),
    Option(
        ("--config",),
        PATH,
        "read [tool.keras-reuse] from this file instead of the nearest one",
        "read `[tool.keras-reuse]` from this file",
        metavar="PYPROJECT",
    ),
    Option(
        ("--isolated",), FLAG, "read no configuration file", "read no configuration", default=False
    ),
    Option(("--version",), VERSION, "", "print the version"),
)

LAYER_OPTIONS = tuple(option for option in OPTIONS if option.category)
FLAKE8_OPTIONS = tuple(option for option in OPTIONS if option.flake8)

# flake8's own splitting of comma-separated options (flake8.utils.COMMA_SEPARATED_LIST_RE):
# commas and any whitespace, so a config value may also list one name per line.
_SEPARATORS = re.compile(r"[,\s]")


def split_list(value: Union[None, str, Iterable[str]]) -> List[str]:
    """A comma- or whitespace-separated string, or a list of such strings, as a list of items."""
    if value is None:
        return []
    parts = [value] if isinstance(value, str) else list(value)
    return [item for part in parts for item in _SEPARATORS.split(part) if item]


def extra_layers(values: Mapping[str, Optional[Iterable[str]]]) -> Dict[str, str]:
    """{qualified class name: category} from {option dest or key: the names given to it}."""
    extra = {}
    for option in LAYER_OPTIONS:
        given = values.get(option.dest, values.get(option.key or ""))
        for name in split_list(given):
            extra[name.strip()] = option.category or ""
    return extra
