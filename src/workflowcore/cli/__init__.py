"""The ``workflowcore`` command. The only layer that reads argv, the environment or decides
exit codes; everything it does is a library call plus a reporter.
"""

from .main import main

__all__ = ["main"]
