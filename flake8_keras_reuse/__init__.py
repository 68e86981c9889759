"""flake8-keras-reuse: find Keras layer instances called more than once in one forward pass.

The analysis behind one seam: `analyse(source, filename)` returns `Finding` records and
`render(finding)` their messages (api.py). They are imported on first use, so importing the
package (for `__version__`, or `python -m`) imports nothing else.
"""

from typing import Any

__version__ = "0.1.0"

__all__ = ["Finding", "Settings", "__version__", "analyse", "render"]


def __getattr__(name: str) -> Any:
    if name in ("analyse", "render"):
        from . import api

        return getattr(api, name)
    if name in ("Finding", "Settings"):
        from . import findings

        return getattr(findings, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
