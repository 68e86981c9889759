"""The `keras-reuse` command: the plugin's analysis without flake8, for ruff users, editors,
pre-commit and CI.

Settings come from the command line, then `[tool.keras-reuse]` (config.py), then the option
table's defaults (options.py); the names are flake8's. Exit status: 0 nothing found, 1 findings
(or a file that could not be checked), 2 a usage or configuration error, or an internal error
(an internal-error finding included).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import re
import signal
import sys
import traceback
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar, Union

from .. import __version__
from ..api import raise_errors
from ..findings import Settings
from ..options import (
    CHOICE,
    FLAG,
    JOBS,
    LAYER_OPTIONS,
    LIST,
    OPTIONAL_TEXT,
    PATHS,
    TOGGLE,
    TOP,
    VERSION,
    Option,
    extra_layers,
    split_list,
)
from ..rules import internal_error
from . import config, formats, per_file
from .adding_noqa import NoqaAdder
from .files import PathError, excluded, find_files, normalize_patterns
from .fixing import Fixer, Outcome, unified_diff
from .lint import Linter, Row
from .per_file import PerFile
from .selection import Selection

PROG = "keras-reuse"
T = TypeVar("T")


class UsageError(Exception):
    pass


def _jobs(value: str) -> Union[int, str]:
    if value == "auto":
        return value
    try:
        jobs = int(value)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'auto', got {value!r}")
    return jobs


def _version() -> str:
    return (
        f"{PROG} {__version__} (flake8-keras-reuse; {platform.python_implementation()} "
        f"{platform.python_version()} on {platform.system()})"
    )


def parser() -> argparse.ArgumentParser:
    """The command line, made from the option table (options.py), in its order and groups."""
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Find Keras layer instances called more than once in one forward pass "
        "(the flake8-keras-reuse checks, without flake8).",
        epilog="Settings may also go in [tool.keras-reuse] of pyproject.toml, under the long "
        "option names. Exit status: 0 clean, 1 findings, 2 usage or internal error.",
    )
    groups: Dict[str, Any] = {TOP: p}
    for option in config.OPTIONS:
        if option.group not in groups:
            groups[option.group] = p.add_argument_group(option.group)
        groups[option.group].add_argument(*option.flags, **_argparse_kwargs(option))
    return p


def _argparse_kwargs(option: Option) -> Dict[str, Any]:
    """add_argument's keywords for one option; a setting pyproject may give defaults to None
    (not given), so that the file's value applies."""
    kwargs: Dict[str, Any] = {"help": option.help} if option.help else {}
    if option.metavar:
        kwargs["metavar"] = option.metavar
    if option.kind == PATHS:
        return {"nargs": "*", **kwargs}
    default = None if option.key else option.default
    if option.kind == FLAG:
        return {"action": "store_true", "default": default, **kwargs}
    if option.kind == TOGGLE:
        return {"action": argparse.BooleanOptionalAction, "default": default, **kwargs}
    if option.kind == CHOICE:
        return {"choices": option.choices, **kwargs}
    if option.kind == JOBS:
        return {"type": _jobs, **kwargs}
    if option.kind == OPTIONAL_TEXT:  # main() turns a bare --name into --name= first
        return {"nargs": "?", "const": "", "default": None, **kwargs}
    if option.kind == VERSION:
        return {"action": "version", "version": _version(), **kwargs}
    return kwargs  # LIST and PATH: one string as given


class Choices:
    """Command line over configuration over the option table's defaults, by pyproject key."""

    def __init__(self, args: argparse.Namespace, cfg: config.Config) -> None:
        self.args = args
        self.cfg = cfg

    def given(self, key: str) -> Any:
        """The command line's value, or None when it does not set the option."""
        return getattr(self.args, config.KEYS[key].dest, None)

    def get(self, key: str) -> Any:
        value = self.given(key)
        if value is not None:
            return split_list(value) if config.KEYS[key].kind == LIST else value
        return self.cfg.values.get(key, config.KEYS[key].default)

    def per_file(self, key: str) -> Optional[PerFile]:
        """per-file-ignores, its relative patterns resolved from where they were written."""
        given = self.given(key)
        if given is not None:
            try:
                return PerFile(per_file.parse(given), os.getcwd())
            except per_file.PerFileError as exc:
                raise UsageError(f"--{key}: {exc}") from None
        entries = self.cfg.values.get(key)
        return PerFile(entries, self.cfg.folder) if entries else None

    def patterns(self, key: str) -> List[str]:
        """Exclude patterns, relative ones resolved from where they were written."""
        if self.given(key) is not None:
            return normalize_patterns(self.get(key), os.getcwd())
        return normalize_patterns(
            self.cfg.values.get(key, config.KEYS[key].default), self.cfg.folder
        )


class OutputError(Exception):
    """The report cannot be written where it was asked to go."""


class Terminated(BaseException):
    """SIGTERM: end the run and its workers, as Ctrl-C does."""


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(_equals_only(sys.argv[1:] if argv is None else list(argv)))
    previous = _on_sigterm()
    try:
        return run(args)
    except KeyboardInterrupt:  # Ctrl-C: the shell's convention, 128 + SIGINT, no traceback
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        return 143  # 128 + SIGTERM
    except OutputError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except (UsageError, config.ConfigError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except PathError as exc:
        print(f"{PROG}: error: no such file or folder: {exc}", file=sys.stderr)
        return 2
    except Exception:  # noqa: BLE001 - an internal error: say so, and fail the run
        if raise_errors():
            raise
        traceback.print_exc()
        print(f"{PROG}: internal error; please report it with the traceback above", file=sys.stderr)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _equals_only(argv: List[str]) -> List[str]:
    """An optional value is given with `=` only (`--add-noqa=REASON`, as ruff's): a bare
    `--add-noqa` never takes the path after it as its reason."""
    bare = {option.long for option in config.OPTIONS if option.kind == OPTIONAL_TEXT}
    out: List[str] = []
    for index, arg in enumerate(argv):
        if arg == "--":
            return out + argv[index:]
        out.append(arg + "=" if arg in bare else arg)
    return out


SELECTION_KEYS = ("select", "ignore", "extend-select", "extend-ignore")
# A code or a prefix of one, as flake8 writes them (its VALID_CODE_PREFIX): `kr001` selects
# nothing, and silently nothing would look like a clean run.
VALID_CODE = re.compile(r"[A-Z]{1,3}[0-9]{0,3}\Z")


def _codes(settings: Choices, key: str) -> Any:
    codes = settings.get(key)
    for code in codes or ():
        if not VALID_CODE.match(code):
            raise UsageError(
                f"{key}: {code!r} is not a code or a prefix of one (codes are written KR001, "
                "prefixes KR or KR00)"
            )
    return codes


def _on_sigterm() -> Any:
    """SIGTERM raises Terminated in the main thread, so the workers are ended with it; the
    previous handler, or None when none could be set."""

    def terminated(signum: int, frame: Any) -> None:
        raise Terminated()

    try:
        return signal.signal(signal.SIGTERM, terminated)
    except ValueError:  # not the main thread (a test runner's worker thread)
        return None


def make_linter(settings: Choices) -> Linter:
    """The linter the settings describe (the command's, and the language server's)."""
    return Linter(
        settings=Settings(
            layers=extra_layers({o.dest: settings.get(o.key or "") for o in LAYER_OPTIONS})
        ),
        selection=Selection(*(_codes(settings, key) for key in SELECTION_KEYS)),
        disable_noqa=bool(settings.get("disable-noqa")),
        per_file=settings.per_file("per-file-ignores"),
    )


def configured(cfg: config.Config) -> Choices:
    """The settings of a configuration alone, with nothing given on a command line."""
    return Choices(parser().parse_args([]), cfg)


def run(args: argparse.Namespace) -> int:
    if args.isolated:
        cfg = config.Config()
    else:
        cfg = config.load(args.config or config.find(os.getcwd()))
    settings = Choices(args, cfg)
    linter = make_linter(settings)
    exclude = settings.patterns("exclude") + settings.patterns("extend-exclude")
    diff = bool(args.diff)
    fixing = diff or bool(settings.get("fix"))
    fixer: Union[Fixer, NoqaAdder, None] = None
    if args.add_noqa is not None:
        if fixing or linter.disable_noqa:
            raise UsageError("--add-noqa cannot be used with --fix, --diff or --disable-noqa")
        fixer = NoqaAdder(linter, args.add_noqa)
    elif fixing:
        fixer = Fixer(linter, unsafe=bool(settings.get("unsafe-fixes")))
    outcomes: List[Outcome] = []
    fixed_stdin: Optional[bytes] = None

    if args.stdin_filename is not None or "-" in args.paths:
        if any(path != "-" for path in args.paths):
            raise UsageError("standard input ('-' or --stdin-filename) is checked alone")
        name = args.stdin_filename or "stdin"
        if sys.stdin is None:  # the process was started with its standard input closed
            raise UsageError("standard input is closed: nothing to check")
        data = sys.stdin.buffer.read()
        if excluded(name, exclude):
            findings: List[Row] = []
        elif fixer is not None:
            outcome = fixer.fix_bytes(data, name)
            outcomes.append(outcome)
            findings = outcome.rows
            fixed_stdin = outcome.data if outcome.data is not None else data
        else:
            findings = linter.lint_bytes(data, name)
        paths = [name]
    else:
        respect_gitignore = bool(settings.get("respect-gitignore"))
        unreadable: List[Tuple[str, str]] = []
        files = find_files(args.paths or ["."], exclude, respect_gitignore, unreadable)
        findings = [Row(path, 1, 1, 1, None, error) for path, error in unreadable]
        if fixer is None:
            findings += [
                row
                for rows in _check(linter.lint_path, files, settings.get("jobs"))
                for row in rows
            ]
        else:
            outcomes = _check(fixer.fix_path, files, settings.get("jobs"))
            findings += [row for outcome in outcomes for row in outcome.rows]
        paths = files

    if args.output_file:
        _check_output(args.output_file)  # before the work, where it can be
    if diff:
        return _report_diff(outcomes, paths, findings, args.output_file)
    if fixer is not None and fixed_stdin is None:
        _write_fixed(outcomes, paths)
    fmt = settings.get("format")
    report = formats.WRITERS[fmt](findings)
    extra = formats.statistics(findings) if settings.get("statistics") else ""
    if settings.get("show-fixes"):
        if isinstance(fixer, NoqaAdder):
            pass  # the directives are the change; --show-fixes is about fixes
        elif fixer is not None:
            extra += formats.fixed(list(zip(paths, outcomes)))
        else:
            extra += formats.offered(findings)
    if extra and fmt == "text" and fixed_stdin is None:
        report, extra = report + extra, ""
    if fixed_stdin is not None:  # the fixed text is the output; the report goes beside it
        _write_bytes(fixed_stdin)
        sys.stderr.write(report)
    else:
        _write(report, args.output_file)
    if extra:
        sys.stderr.write(extra)
    if isinstance(fixer, NoqaAdder):
        count = sum(len(o.fixed) for o in outcomes)
        changed = sum(1 for o in outcomes if o.data is not None)
        sys.stderr.write(
            f"{PROG}: added # noqa to {count} finding{'s' * (count != 1)} in {changed} "
            f"file{'s' * (changed != 1)}\n"
        )
    elif fixer is not None:
        count = sum(len(o.fixed) for o in outcomes)
        if count:
            left = sum(1 for f in findings if f.code is not None)
            sys.stderr.write(
                f"{PROG}: fixed {count} finding{'s' * (count != 1)} "
                f"({left} left; without --unsafe-fixes, unsafe fixes are not applied)\n"
                if not settings.get("unsafe-fixes")
                else f"{PROG}: fixed {count} finding{'s' * (count != 1)} ({left} left)\n"
            )
    if any(f.code == internal_error.RULE.code for f in findings):
        return 2
    if settings.get("exit-zero"):
        return 0  # reported, never failing the build (adopting on a code base with findings)
    return 1 if findings else 0


def _report_diff(
    outcomes: List[Outcome], paths: List[str], findings: List[Row], output_file: Optional[str]
) -> int:
    """--diff: what --fix would change, as one unified diff; nothing is written to a file."""
    parts = [
        unified_diff(path, outcome.original, outcome.data)
        for path, outcome in zip(paths, outcomes)
        if outcome.data is not None
    ]
    _write("".join(parts), output_file)
    count = sum(len(o.fixed) for o in outcomes if o.data is not None)
    if count:
        sys.stderr.write(f"{PROG}: would fix {count} finding{'s' * (count != 1)}\n")
    if any(f.code == internal_error.RULE.code for f in findings):
        return 2
    return 1 if parts else 0


def _write_fixed(outcomes: List[Outcome], paths: List[str]) -> None:
    """Each changed file written again in place (its mode and links kept)."""
    for path, outcome in zip(paths, outcomes):
        if outcome.data is None:
            continue
        try:
            with open(path, "r+b") as handle:
                handle.write(outcome.data)
                handle.truncate()
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _write_bytes(data: bytes) -> None:
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        _quiet_stdout()
    except OSError as exc:
        _quiet_stdout()
        raise OutputError(f"cannot write the fixed text: {exc.strerror or exc}") from None


def _check(work: Callable[[str], T], files: List[str], jobs: Union[int, str]) -> List[T]:
    """`work` (the linter's or the fixer's) on every file, in file order; -j N gives the very
    same list as -j 1.

    At most one worker per core: more only cost memory (each holds its own caches)."""
    cores = os.cpu_count() or 1
    jobs = cores if jobs == "auto" else min(int(jobs), cores)
    jobs = min(jobs, len(files))
    per_file = None
    if jobs > 1:
        try:
            pool = multiprocessing.Pool(jobs, initializer=_worker_signals)
        except (OSError, ImportError, NotImplementedError):
            pool = None  # no process support here (as flake8, fall back to one)
        if pool is not None:
            try:
                chunk = max(1, len(files) // (jobs * 4))
                per_file = list(pool.imap(work, files, chunksize=chunk))
                pool.close()
            finally:
                pool.terminate()  # Ctrl-C, SIGTERM or an error: the workers end with the run
                pool.join()
    if per_file is None:
        per_file = [work(path) for path in files]
    return per_file


def _worker_signals() -> None:
    """Workers leave Ctrl-C and SIGTERM to the main process, which ends them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _check_output(path: str) -> None:
    """Refuse, before any work, a report target that cannot be written or is a link (a
    committed `report.txt -> ~/.bashrc` must not be overwritten)."""
    if os.path.islink(path):
        raise OutputError(f"cannot write {path}: it is a symbolic link")
    if os.path.isdir(path):
        raise OutputError(f"cannot write {path}: it is a folder")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OutputError(f"cannot write {path}: no folder {folder}")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise OutputError(f"cannot write {path}: permission denied")


def _write(report: str, output_file: Optional[str]) -> None:
    if output_file:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(output_file, flags, 0o666)
            # surrogateescape: a file name that is not UTF-8 is written as its own bytes
            with open(fd, "w", encoding="utf-8", errors="surrogateescape") as handle:
                handle.write(report)
        except OSError as exc:
            raise OutputError(f"cannot write {output_file}: {exc.strerror or exc}") from None
        return
    try:
        stdout: Any = sys.stdout  # a TextIOWrapper unless replaced
        stdout.reconfigure(errors="backslashreplace")
    except AttributeError:  # replaced by something that is not a text file
        pass
    try:
        sys.stdout.write(report)
        sys.stdout.flush()
    except BrokenPipeError:  # `| head -1`: the reader has what it wanted
        _quiet_stdout()
    except OSError as exc:  # a full disk
        _quiet_stdout()
        raise OutputError(f"cannot write the report: {exc.strerror or exc}") from None


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush fails no more."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(main())
