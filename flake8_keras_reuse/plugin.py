"""flake8 glue: the entry point flake8 instantiates per file, and the plugin's options.

A thin front end over `api.analyse`, as flake8's own pyflakes plugin is over pyflakes: the
findings come back as data and are rendered here as flake8 shows them.
"""

from __future__ import annotations

import ast
from typing import Any, ClassVar, Dict, Iterator, Sequence, Tuple

from . import __version__
from .api import analyse
from .findings import Settings
from .options import FLAKE8_OPTIONS, LIST, Option, extra_layers
from .rules import text


class KerasReuseChecker:
    name = "flake8-keras-reuse"
    version = __version__
    settings: ClassVar[Settings] = Settings()  # from the options (options.py)

    def __init__(self, tree: ast.Module, filename: str, lines: Sequence[str]) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager: Any) -> None:
        """flake8's share of the option table (options.py): the records marked `flake8`."""
        for option in FLAKE8_OPTIONS:
            manager.add_option(option.long, **_flake8_kwargs(option))

    @classmethod
    def parse_options(cls, options: Any) -> None:
        cls.settings = Settings(layers=extra_layers(vars(options)))

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        findings = analyse("".join(self.lines), self.filename, self.settings, tree=self.tree)
        for finding in findings:
            yield finding.line, finding.col, text(finding), type(self)


def _flake8_kwargs(option: Option) -> Dict[str, Any]:
    """add_option's keywords: flake8 reads the option from its config files too."""
    if option.kind != LIST:
        raise TypeError(f"{option.long}: only list options are offered to flake8 so far")
    return {
        "default": "",
        "parse_from_config": True,
        "comma_separated_list": True,
        "help": option.help,
    }
