"""The validator of :class:`~workflowcore.config.models.Config`, built from a core schema
cached on disk.

Why: every ``workflowcore validate`` (a pre-commit hook, an editor's save hook) is a new
process, and pydantic generates Config's core schema from the type annotations in Python on
first use — about 20 ms, the largest single part of a cold validate after the imports. The
generated schema is plain data plus references to the model classes and the module-level
functions of :mod:`~workflowcore.config.models`, so it pickles; building pydantic-core's
validator from it takes under a millisecond. The first process stores it, the next ones load
it.

The cache is keyed by what the schema is generated from: the source of ``models.py`` (which
also defines every function and class the schema refers to) and the versions of pydantic,
pydantic-core and Python; an edited working tree gets a new key, not a stale schema. It
lives beside the orb store, in ``$XDG_CACHE_HOME/workflowcore`` (default
``~/.cache/workflowcore``). A file that is not owned by this user, or that others may
write, is not loaded: unpickling runs code. Anything that goes wrong (no home directory, a
read-only disk, another pydantic) falls back to pydantic's own build, which is what the
cache replaces: validation is the same either way, and pydantic plugins installed in the
environment still see it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional, Tuple

import pydantic
import pydantic_core

from . import models
from .models import Config

__all__ = ["cache_file", "config_validator"]

#: the validator this module installed on Config (so the second call does not rebuild it)
_installed: Any = None
#: changes when what this module stores changes
_FORMAT = "1"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "workflowcore"


def cache_file() -> Optional[Path]:
    """Where the schema for this code and these versions is cached (``None``: the models'
    source cannot be read, so no key can be made and nothing is cached)."""
    try:
        source = Path(models.__file__).read_bytes()
    except (OSError, TypeError):
        return None
    h = hashlib.sha256(source)
    for part in (_FORMAT, pydantic.VERSION, pydantic_core.__version__, sys.version):
        h.update(b"\0" + part.encode())
    return _cache_dir() / f"pydantic-schema-{h.hexdigest()[:24]}.pickle"


def _trusted(fd: int) -> bool:
    """Owned by this user and writable by no one else (POSIX); elsewhere, trusted."""
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        return False
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        return True
    return st.st_uid == getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read(path: Path) -> Optional[Tuple[Any, Any]]:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        if not _trusted(f.fileno()):
            return None
        try:
            schema, core_config = pickle.load(f)  # our own file, checked above
        except Exception:  # a truncated or foreign file: rebuild (and overwrite) it
            return None
    return schema, core_config


def _write(path: Path, schema: Any, core_config: Any) -> None:
    """Atomically (a reader never sees half a file); silently skipped if it cannot be."""
    with contextlib.suppress(OSError, pickle.PicklingError, TypeError, AttributeError):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".pydantic-schema-")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump((schema, core_config), f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _validator_from(schema: Any, core_config: Any) -> Any:
    # pydantic's own factory (as pydantic's build calls it), so installed pydantic plugins
    # wrap this validator exactly as they wrap the one pydantic builds.
    from pydantic.plugin._schema_validator import create_schema_validator

    return create_schema_validator(schema, Config, Config.__module__, Config.__qualname__,
                                   "BaseModel", core_config,
                                   Config.model_config.get("plugin_settings"))


def config_validator() -> Any:
    """Config's validator (``validate_python(data)`` returns a :class:`Config` or raises
    ``pydantic.ValidationError``), from the cache when there is one."""
    global _installed
    current = Config.__pydantic_validator__
    if Config.__pydantic_complete__ or (_installed is not None and current is _installed):
        return current
    path = cache_file()
    cached = _read(path) if path is not None else None
    if cached is not None:
        try:
            validator = _validator_from(*cached)
        except Exception:  # another pydantic's private API or schema: build as pydantic does
            validator = None
        if validator is not None:
            Config.__pydantic_validator__ = validator
            _installed = validator
            return validator
    Config.model_rebuild()
    if path is not None:
        from pydantic._internal._config import ConfigWrapper

        core_config = ConfigWrapper(Config.model_config, check=False).core_config(
            title=Config.__name__)
        _write(path, Config.__pydantic_core_schema__, core_config)
    return Config.__pydantic_validator__
