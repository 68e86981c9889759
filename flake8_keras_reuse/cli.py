"""The `keras-reuse` console script: `keras-reuse server` starts the language server, anything
else is the command."""

from __future__ import annotations

import sys
from typing import Optional, Sequence


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["server"]:
        from .server.lsp import main as serve

        return serve(args[1:])
    from .command.main import main as command

    return command(args)
