"""`python -m flake8_keras_reuse`: the `keras-reuse` command."""
import sys

from .cli import main

sys.exit(main())
