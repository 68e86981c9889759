"""`[tool.keras-reuse]` in pyproject.toml: the command's configuration, keyed as flake8's options.

The file is the first `pyproject.toml` with a `[tool.keras-reuse]` table, looking from the
current folder upwards (as ruff finds `[tool.ruff]`), or the one `--config` names. Unknown keys
and wrong types are errors: a typo must not silently turn a setting off.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

from ..options import CHOICE, FLAG, JOBS, LIST, MAPPING, TOGGLE, Option, split_list
from ..options import OPTIONS as SHARED
from . import formats, per_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.9 and 3.10
    import tomli as tomllib

TABLE = "keras-reuse"
FORMATS = tuple(formats.WRITERS)  # a format is added in formats.py only
# The option table with the command's own choices filled in: the parser, this validation and
# the README's table are all made from it.
OPTIONS: Tuple[Option, ...] = tuple(
    dataclasses.replace(option, choices=FORMATS) if option.key == "format" else option
    for option in SHARED
)
KEYS: Dict[str, Option] = {option.key: option for option in OPTIONS if option.key}


class ConfigError(Exception):
    pass


@dataclass
class Config:
    path: Optional[str] = None  # the pyproject.toml read, if any
    values: Dict[str, Any] = field(default_factory=dict)  # key -> list, bool, str or int

    @property
    def folder(self) -> str:
        """What relative `exclude` patterns are relative to."""
        return os.path.dirname(os.path.abspath(self.path)) if self.path else os.getcwd()


def find(start: str) -> Optional[str]:
    """The nearest pyproject.toml at or above `start` that has a [tool.keras-reuse] table."""
    folder = os.path.abspath(start)
    while True:
        candidate = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(candidate) and TABLE in _tool(_read(candidate), candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def load(path: Optional[str]) -> Config:
    if path is None:
        return Config()
    table = _tool(_read(path), path).get(TABLE, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.{TABLE}] must be a table")
    values: Dict[str, Any] = {}
    for key, value in table.items():
        values[key] = _check(path, key, value)
    return Config(path, values)


def validate(where: str, table: Dict[str, Any]) -> Dict[str, Any]:
    """Settings given elsewhere (an editor's), keyed and checked as `[tool.keras-reuse]`."""
    return {key: _check(where, key, value) for key, value in table.items()}


def _tool(data: Dict[str, Any], path: str) -> Dict[str, Any]:
    """The file's [tool] table; a `tool` that is not a table is an error, as for ruff."""
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: 'tool' must be a table, not {type(tool).__name__}")
    return tool


def _read(path: str) -> Dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _check(path: str, key: str, value: Any) -> Any:
    where = f"{path}: [tool.{TABLE}] {key}"
    option = KEYS.get(key)
    if option is None:
        raise ConfigError(f"{where}: unknown key (known keys: {', '.join(KEYS)})")
    wanted = _wanted(option, value)
    if wanted:
        raise ConfigError(f"{where} must be {wanted}")
    if option.kind == MAPPING:
        try:
            return per_file.parse(value)
        except per_file.PerFileError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    return split_list(value) if option.kind == LIST else value


def _wanted(option: Option, value: Any) -> Optional[str]:
    """What the option's value must be instead of `value`, or None when it is right."""
    if option.kind == LIST:
        if isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            return None
        return "a list of strings or a comma-separated string"
    if option.kind == MAPPING:
        if isinstance(value, (str, dict)) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            return None
        return "a string of patterns and codes, a list of such strings, or a table"
    if option.kind in (FLAG, TOGGLE):
        return None if isinstance(value, bool) else "true or false"
    if option.kind == CHOICE:
        choices = option.choices or ()
        return None if value in choices else f"one of {', '.join(choices)}"
    if option.kind == JOBS:
        if value == "auto" or (
            isinstance(value, int) and not isinstance(value, bool) and value > 0
        ):
            return None
        return 'a positive integer or "auto"'
    raise TypeError(f"{option.long}: a {option.kind} option cannot have a [tool.{TABLE}] key")
