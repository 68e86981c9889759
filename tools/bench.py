#!/usr/bin/env python3
"""Benchmark: default flake8 over real Keras code, with this plugin installed and without it.

    python tools/bench.py [--repeat 3] [--jobs 1] [--corpus keras_hub keras]

Makes two virtual environments under bench-envs/ with the same flake8 (one also has this
project installed), downloads the `keras` and `keras-hub` wheels from the package registry and
lints their sources in both, alternating runs so that machine noise hits both alike. Prints files,
seconds (best of --repeat), peak memory and the ratio plugin/plain, per corpus. It also times
editor mode (one buffer through stdin). Read the ratios, not the seconds: machines are noisy.
"""
import argparse
import os
import pathlib
import subprocess
import sys
import time
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENVS = ROOT / "bench-envs"
WHEELS = {"keras": "keras==3.15.1", "keras_hub": "keras-hub==0.32.0"}


def sh(*cmd, **kw):
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def flake8_version(python):
    out = subprocess.run([str(python), "-c", "import flake8; print(flake8.__version__)"],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def make_env(name, install):
    env = ENVS / name
    python = env / "bin" / "python"
    if not python.exists():
        sh(sys.executable, "-m", "venv", env)
    sh(python, "-m", "pip", "install", "--quiet", *install)
    return python


def corpus(name):
    """The package's sources from its wheel, extracted once."""
    target = ENVS / "corpus" / name
    if not target.exists():
        wheels = ENVS / "wheels"
        sh(sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", wheels,
           WHEELS[name])
        wheel = next(wheels.glob(f"{name}-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            members = [m for m in archive.namelist() if m.startswith(f"{name}/")]
            archive.extractall(target, members)
    return target


def timed(cmd, cwd, stdin=None):
    """(seconds, peak MiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(c) for c in cmd], cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, stdin=subprocess.PIPE if stdin else None)
    if stdin:
        proc.stdin.write(stdin)
        proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) not in (0, 1) or "Traceback" in err:
        sys.exit(f"{cmd} failed:\n{err}")
    return seconds, usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", default="1")
    parser.add_argument("--corpus", nargs="+", default=["keras_hub", "keras"],
                        choices=sorted(WHEELS))
    args = parser.parse_args()

    # The plugin's environment picks flake8 as a user's would; the plain one gets the same.
    plugin = make_env("plugin", [str(ROOT)])
    sh(plugin, "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", str(ROOT))
    version = flake8_version(plugin)
    plain = make_env("plain", [f"flake8=={version}"])
    assert flake8_version(plain) == version

    print(f"flake8 {version}, -j {args.jobs}, best of {args.repeat}")
    print(f"{'corpus':<22}{'files':>7}{'plain s':>10}{'plugin s':>10}{'plain MiB':>11}"
          f"{'plugin MiB':>12}{'ratio':>8}")
    for name in args.corpus:
        src = corpus(name)
        files = sum(1 for _ in src.rglob("*.py"))
        cmd = ["-m", "flake8", "-j", args.jobs, "--exit-zero", "--isolated", "."]
        best = {"plain": (float("inf"), 0), "plugin": (float("inf"), 0)}
        for _ in range(args.repeat):
            for label, python in (("plain", plain), ("plugin", plugin)):
                seconds, mib = timed([python, *cmd], src)
                best[label] = (min(best[label][0], seconds), max(best[label][1], mib))
        ratio = best["plugin"][0] / best["plain"][0]
        print(f"{name:<22}{files:>7}{best['plain'][0]:>10.2f}{best['plugin'][0]:>10.2f}"
              f"{best['plain'][1]:>11.0f}{best['plugin'][1]:>12.0f}{ratio:>8.3f}")

    # Editor mode: one buffer through stdin, the largest model file of the first corpus.
    src = corpus(args.corpus[0])
    path = max(src.rglob("*_backbone.py"), default=None, key=lambda p: p.stat().st_size) \
        or max(src.rglob("*.py"), key=lambda p: p.stat().st_size)
    data = path.read_bytes()
    best = {}
    for _ in range(max(args.repeat, 5)):
        for label, python in (("plain", plain), ("plugin", plugin)):
            cmd = [python, "-m", "flake8", "--isolated", "--exit-zero",
                   "--stdin-display-name", path.relative_to(src), "-"]
            seconds, _ = timed(cmd, src, stdin=data)
            best[label] = min(best.get(label, float("inf")), seconds)
    print(f"editor mode, {path.relative_to(src)} ({len(data.splitlines())} lines): "
          f"plain {best['plain'] * 1000:.0f} ms, plugin {best['plugin'] * 1000:.0f} ms, "
          f"ratio {best['plugin'] / best['plain']:.3f}")


if __name__ == "__main__":
    main()
