"""Layer 1: YAML text → validated config + diagnostics, and 2.1 compilation.

``load``/``load_file`` return a :class:`LoadResult` with every problem at once; the
``*_or_raise`` variants raise :class:`~workflowcore.errors.ConfigError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .loader import LoadResult, load, load_file, load_file_or_raise, load_or_raise
from .sourcemap import SourceMap

if TYPE_CHECKING:
    from .compile import CompileResult, compile_config, to_yaml
    from .models import Config, keys_at


def __getattr__(name: str) -> Any:
    """The compiler's names and the models', imported on first use: loading a 2.0 config
    (and so a cold ``workflowcore validate`` of one) never needs the compiler, and a cold
    ``workflowcore validate`` of a valid config not even pydantic."""
    if name in ("CompileResult", "compile_config", "to_yaml", "Config", "keys_at"):
        import importlib

        module = importlib.import_module(
            ".models" if name in ("Config", "keys_at") else ".compile", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

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
