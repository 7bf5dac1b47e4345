"""Layer 1: YAML text → validated config + diagnostics, and 2.1 compilation.

``load``/``load_file`` return a :class:`LoadResult` with every problem at once; the
``*_or_raise`` variants raise :class:`~workflowcore.errors.ConfigError`.
"""

from .compile import CompileResult, compile_config, to_yaml
from .loader import LoadResult, load, load_file, load_file_or_raise, load_or_raise
from .models import Config, keys_at
from .sourcemap import SourceMap

__all__ = [
    "CompileResult",
    "Config",
    "LoadResult",
    "SourceMap",
    "compile_config",
    "keys_at",
    "load",
    "load_file",
    "load_file_or_raise",
    "load_or_raise",
    "to_yaml",
]
