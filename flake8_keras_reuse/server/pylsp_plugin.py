"""The python-lsp-server plugin (entry point `pylsp`): the language server's diagnostics and code
actions in every editor that runs pylsp, and in JupyterLab through jupyterlab-lsp.

pylsp checks a notebook as one document of its cells joined; its IPython lines (`%time`,
`!pip`) are blanked as the command blanks them. Settings: `pylsp.plugins.keras_reuse`, with
`enabled` and any `[tool.keras-reuse]` key, over the pyproject.toml above the document.
"""

from __future__ import annotations

from typing import Any, Dict, List

from pylsp import hookimpl

from ..command import config
from ..command.lint import NOTEBOOK_SUFFIX, Linter
from .documents import Cell, Checked, Json, check_cells, check_text, linter_for

PLUGIN = "keras_reuse"


@hookimpl
def pylsp_settings() -> Dict[str, Any]:
    return {"plugins": {PLUGIN: {"enabled": True}}}


@hookimpl
def pylsp_lint(config: Any, workspace: Any, document: Any, is_saved: bool) -> List[Json]:
    linter = _linter(config, document)
    checked = _check(linter, document)
    return checked.diagnostics().get(document.uri, [])


@hookimpl
def pylsp_code_actions(
    config: Any, workspace: Any, document: Any, range: Json, context: Json
) -> List[Json]:
    linter = _linter(config, document)
    checked = _check(linter, document)
    ours = [d for d in context.get("diagnostics", ()) if d.get("source") == "keras-reuse"]
    return checked.actions(ours, linter)


def _check(linter: Linter, document: Any) -> Checked:
    if document.path.endswith(NOTEBOOK_SUFFIX):  # pylsp's joined cells: one cell of ours
        cells = [Cell(document.uri, document.source)]
        return check_cells(linter, document.uri, document.path, cells, len)
    return check_text(linter, document.uri, document.path, document.source, len)


def _linter(pylsp_config: Any, document: Any) -> Linter:
    settings = dict(pylsp_config.plugin_settings(PLUGIN, document_path=document.path) or {})
    settings.pop("enabled", None)
    try:
        return linter_for(document.path, settings)
    except config.ConfigError:
        return Linter()
