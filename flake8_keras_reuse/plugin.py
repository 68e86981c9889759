"""flake8 glue: the entry point flake8 instantiates per file, and the plugin's options.

A thin front end over `api.analyse`, as flake8's own pyflakes plugin is over pyflakes: the
findings come back as data and are rendered here as flake8 shows them.
"""
from __future__ import annotations

import ast
from typing import Any, ClassVar, Iterator, Sequence, Tuple

from . import __version__
from .api import analyse
from .findings import Settings
from .options import LAYER_OPTIONS, extra_layers
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
        for option in LAYER_OPTIONS:
            manager.add_option(f"--{option.name}", default="", parse_from_config=True,
                               comma_separated_list=True, help=option.help)

    @classmethod
    def parse_options(cls, options: Any) -> None:
        cls.settings = Settings(layers=extra_layers(vars(options)))

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        findings = analyse("".join(self.lines), self.filename, self.settings, tree=self.tree)
        for finding in findings:
            yield finding.line, finding.col, text(finding), type(self)
