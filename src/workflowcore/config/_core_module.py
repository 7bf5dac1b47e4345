"""pydantic-core's compiled module, loaded without its package's ``__init__``.

Why: ``import pydantic_core`` runs ``pydantic_core/__init__.py``, which imports
``core_schema`` (a module of ~100 ``TypedDict`` classes, each of which makes ``typing``
evaluate its annotations), ``typing_extensions`` and ``decimal``: ~15 ms of a cold
``workflowcore validate`` that needs only ``SchemaValidator``, ``ValidationError`` and
``__version__``, which all live in the compiled ``pydantic_core._pydantic_core``
(docs/dev/cold-start.md). So the compiled module is found beside the package and loaded as
the import system would load it, under its own name in ``sys.modules``: a later
``import pydantic_core`` (the full way, or the host's own pydantic) finds it there and uses
the very same module (an extension module cannot be initialised twice). Until that import
happens, a finder for the package alone waits at the front of ``sys.meta_path``: the import
system sets a submodule as an attribute of its package only when it loads it, so the
finder sets ``pydantic_core._pydantic_core`` itself, then steps aside.

If the package is already imported, or the compiled module is not a plain file beside it (a
zip, a frozen application, another layout), the ordinary import is used: slower, never
wrong.
"""

from __future__ import annotations

import contextlib
import os
import sys
from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader, ModuleSpec, PathFinder
from types import ModuleType
from typing import Any

__all__ = ["pydantic_core_module"]

_NAME = "pydantic_core._pydantic_core"


class _PackageAttribute:
    """A meta path finder for ``pydantic_core`` only, used once: it finds the package as the
    path finder does and has its loader give the package its compiled module as the
    attribute ``_pydantic_core`` before ``__init__`` runs (which then finds it imported)."""

    @classmethod
    def find_spec(cls, name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if name != "pydantic_core":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(cls)
        spec = PathFinder.find_spec(name, path)
        loader = spec.loader if spec is not None else None
        exec_module = getattr(loader, "exec_module", None)
        if exec_module is None:
            return spec

        def exec_with_attribute(module: ModuleType) -> None:
            compiled = sys.modules.get(_NAME)
            if compiled is not None:
                module._pydantic_core = compiled  # type: ignore[attr-defined]
            exec_module(module)

        loader.exec_module = exec_with_attribute  # type: ignore[method-assign,union-attr]
        return spec


def _load_beside_package() -> ModuleType | None:
    spec = PathFinder.find_spec("pydantic_core")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for suffix in EXTENSION_SUFFIXES:
            path = os.path.join(folder, "_pydantic_core" + suffix)
            if os.path.isfile(path):
                loader = ExtensionFileLoader(_NAME, path)
                module_spec = ModuleSpec(_NAME, loader, origin=path)
                module_spec.has_location = True
                module = loader.create_module(module_spec)
                module.__spec__ = module_spec
                module.__loader__ = loader
                module.__file__ = path
                sys.modules[_NAME] = module
                try:
                    loader.exec_module(module)
                except BaseException:
                    sys.modules.pop(_NAME, None)
                    raise
                sys.meta_path.insert(0, _PackageAttribute)
                return module
    return None


def pydantic_core_module() -> ModuleType:
    """The module holding ``SchemaValidator``, ``ValidationError`` and ``__version__``."""
    loaded = sys.modules.get(_NAME)
    if loaded is not None:
        return loaded
    if "pydantic_core" not in sys.modules:
        try:
            module = _load_beside_package()
        except ImportError:
            module = None
        if module is not None:
            return module
    import pydantic_core

    return pydantic_core
