"""The `keras-reuse` command: the analysis without flake8, for ruff users, editors, CI and
pre-commit; a front end over `api.analyse`, as the flake8 plugin is.

A new output format is one writer in formats.py.
"""
