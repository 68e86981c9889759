"""git's own verdicts on ignored paths, and the command's GitIgnore asked the same way."""

import os
import subprocess


def git_ignored(repo, paths):
    """The paths `git check-ignore` says are ignored in the work tree `repo`."""
    proc = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin"],
        cwd=repo,
        input="\n".join(paths) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return set(proc.stdout.splitlines())


def ignored(ignore, root, rel, dirs=()):
    """Whether GitIgnore ignores `rel`, itself or through a folder above it, as git decides
    for a path (as the walk asks: a folder it skips hides everything below)."""
    parts = rel.split("/")
    for depth in range(1, len(parts) + 1):
        path = os.path.join(str(root), *parts[:depth])
        is_dir = depth < len(parts) or rel in dirs
        if ignore.ignores(path, is_dir):
            return True
    return False
