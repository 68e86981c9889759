#!/usr/bin/env python3
r"""Run the plugin's check over every .py file under some folders, as a crash and cost sweep.

    python tools/sweep.py "$(python -c "import sysconfig; print(sysconfig.get_paths()['stdlib'])")"
    python tools/sweep.py .venv/lib/python3*/site-packages \
        /root/.pyenv/versions/*/lib/python3*/site-packages

Each file is read as the plugin reads project modules (PEP 263 encoding), parsed with `ast`
(files that do not parse here are counted and skipped) and checked with KERAS_REUSE_RAISE=1, so
an internal error raises; it is caught per file and recorded with its type and the innermost
frame in flake8_keras_reuse. Prints totals: files, parse failures, internal errors (grouped by
type and frame, with files), findings per code, budget exhaustions, the slowest files.
Exit status 1 when there was an internal error or an exhausted budget.
"""

import argparse
import ast
import collections
import faulthandler
import os
import pathlib
import sys
import time
import tokenize
import warnings

os.environ["KERAS_REUSE_RAISE"] = "1"
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import fuzz  # noqa: E402  (tools/fuzz.py: the budget log, the frame of an error)


def python_files(paths, exclude):
    seen = set()
    for top in paths:
        if os.path.isfile(top):
            yield top
            continue
        for folder, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d not in exclude)
            for name in sorted(files):
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    real = os.path.realpath(path)
                    if real not in seen:
                        seen.add(real)
                        yield path


def read(path):
    with open(path, "rb") as handle:
        raw = handle.read()
    encoding, _ = tokenize.detect_encoding(iter(raw.splitlines(True)).__next__)
    return raw.decode(encoding)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--exclude", default="", help="folder names to skip, comma-separated")
    parser.add_argument("--slowest", type=int, default=10)
    parser.add_argument(
        "--stuck-after",
        type=float,
        default=120.0,
        help="dump the stacks when one file takes longer than this",
    )
    parser.add_argument("--findings", action="store_true", help="print every finding")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    exclude = {e for e in args.exclude.split(",") if e}

    from fuzz import check_safely

    log = fuzz.budget_log()
    fuzz.measure_budget()
    totals = collections.Counter()
    codes = collections.Counter()
    errors = collections.defaultdict(list)
    unparsed = collections.Counter()
    budget = []
    times = []
    shares = []
    started = time.monotonic()
    for path in python_files(args.paths, exclude):
        totals["files"] += 1
        try:
            source = read(path)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(source, filename=path)
        except (
            SyntaxError,
            ValueError,
            UnicodeError,
            OSError,
            RecursionError,
            MemoryError,
            LookupError,
        ) as exc:
            totals["parse failures"] += 1
            unparsed[type(exc).__name__] += 1
            continue
        totals["checked"] += 1
        spent = log.spent
        fuzz._MeasuredBudget.last = None
        faulthandler.dump_traceback_later(args.stuck_after, exit=False)
        start = time.perf_counter()
        try:
            found = check_safely(tree, source, path)
        except Exception as exc:  # noqa: BLE001 - recorded per file
            found = []
            totals["internal errors"] += 1
            errors[(type(exc).__name__, fuzz.innermost_plugin_frame(exc))].append(
                (path, str(exc)[:200])
            )
        finally:
            faulthandler.cancel_dump_traceback_later()
        seconds = time.perf_counter() - start
        lines = source.count("\n") + 1
        times.append((seconds, path, lines))
        measured = fuzz._MeasuredBudget.last
        if measured is not None and getattr(measured, "start", 0) > 0:
            shares.append(((measured.start - measured.left) / measured.start, path, lines))
        if log.spent > spent:
            totals["budget exhaustions"] += 1
            budget.append((path, lines, seconds))
        if found:
            totals["files with findings"] += 1
            if args.findings:
                for row, col, message in found:
                    print(f"{path}:{row}:{col + 1}: {message}")
            codes.update(message.split()[0] for _, _, message in found)
        if args.verbose and totals["files"] % 1000 == 0:
            print(
                f"... {totals['files']} files, {time.monotonic() - started:.0f}s",
                file=sys.stderr,
                flush=True,
            )
    elapsed = time.monotonic() - started

    print(f"paths: {' '.join(args.paths)}")
    print(
        f"files: {totals['files']}, checked {totals['checked']}, parse failures "
        f"{totals['parse failures']}" + (f" ({dict(unparsed)})" if unparsed else "")
    )
    print(f"internal errors: {totals['internal errors']}")
    for (kind, frame), where in sorted(errors.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(where)} x {kind} at {frame}")
        for path, message in where[:5]:
            print(f"      {path}: {message}")
    print(
        f"files with findings: {totals['files with findings']}; findings per code: "
        + (", ".join(f"{c} {n}" for c, n in sorted(codes.items())) or "none")
    )
    print(f"budget exhaustions: {totals['budget exhaustions']}")
    for path, lines, seconds in budget:
        print(f"  {path} ({lines} lines, {seconds:.2f}s)")
    if shares:
        shares.sort(reverse=True)
        print(
            "largest shares of the budget used: "
            + "; ".join(f"{share:.1%} {path} ({lines} lines)" for share, path, lines in shares[:3])
        )
    check_time = sum(t for t, _, _ in times)
    print(
        f"time: {elapsed:.1f}s in all, {check_time:.1f}s checking"
        + (f", mean {check_time / len(times) * 1000:.1f}ms per file" if times else "")
    )
    print(f"slowest {args.slowest}:")
    for seconds, path, lines in sorted(times, reverse=True)[: args.slowest]:
        print(f"  {seconds:7.3f}s  {path} ({lines} lines)")
    return 1 if totals["internal errors"] or totals["budget exhaustions"] else 0


if __name__ == "__main__":
    sys.exit(main())
