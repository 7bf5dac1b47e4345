"""``python -m workflowcore``."""

from .cli.main import entry

entry()
