"""`python -m flake8_keras_reuse`: the `keras-reuse` command."""

import os
import sys

if __name__ == "__main__":
    # Python puts the current folder first on sys.path for `-m`: a checked-out repository's own
    # tomllib.py or json.py would be imported before the standard library's (pip's __main__
    # removes it for the same reason).
    if sys.path and sys.path[0] in ("", os.getcwd()):
        sys.path.pop(0)
    from flake8_keras_reuse.cli import main

    sys.exit(main())
