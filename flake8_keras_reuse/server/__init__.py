"""The editors' front end: a language server (`keras-reuse server`) and a python-lsp-server
plugin, both on the command's linter (the optional `[server]` extra)."""
