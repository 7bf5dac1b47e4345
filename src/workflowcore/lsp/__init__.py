"""``workflowcore lsp``: a language server for CircleCI configs and orb sources.

The editor half of the library: the same ``load`` pipeline as ``validate`` gives the
diagnostics, and the plain data plus the source map give hover, navigation, completion,
symbols and code actions (docs/editors.md).

Only :mod:`.server` needs pygls (the ``lsp`` extra); the analysis modules here use the core
library alone, so nothing on ``validate``'s import path ever imports pygls. The CLI imports
:mod:`.server` only inside the ``lsp`` subcommand.
"""
