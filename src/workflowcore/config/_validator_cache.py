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
import sys
from pathlib import Path
from typing import Any, Optional, Tuple

import pydantic
import pydantic_core

from . import _discriminators, models
from ._fast_validate import (
    cache_dir,
    key_material,
    lite_schema_file,
    read_lite_schema,
    read_trusted,
)
from .models import Config

__all__ = ["cache_file", "config_validator"]

#: the validator this module installed on Config (so the second call does not rebuild it)
_installed: Any = None
#: changes when what this module stores changes
_FORMAT = "1"


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
    return cache_dir() / f"pydantic-schema-{h.hexdigest()[:24]}.pickle"


def _read(path: Path) -> Optional[Tuple[Any, Any]]:
    loaded = read_trusted(path, pickle.load)  # our own file: read_trusted checks it first
    if loaded is None:
        return None
    try:
        schema, core_config = loaded
    except (TypeError, ValueError):  # a foreign file: rebuild (and overwrite) it
        return None
    return schema, core_config


def _write(path: Path, schema: Any, core_config: Any) -> None:
    with contextlib.suppress(pickle.PicklingError, TypeError, AttributeError):
        _write_bytes(path, pickle.dumps((schema, core_config), protocol=pickle.HIGHEST_PROTOCOL))


def _write_bytes(path: Path, data: bytes) -> None:
    """Atomically (a reader never sees half a file); silently skipped if it cannot be."""
    import tempfile  # only when storing: not on every cold start

    with contextlib.suppress(OSError):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".pydantic-schema-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


#: the values of ``PYDANTIC_DISABLE_PLUGINS`` with which pydantic loads no plugin at all
#: (pydantic/plugin/_loader.py, documented under "Plugins" in pydantic's docs)
_ALL_PLUGINS_OFF = ("__all__", "1", "true")


def _validator_from(schema: Any, core_config: Any) -> Any:
    if os.environ.get("PYDANTIC_DISABLE_PLUGINS") in _ALL_PLUGINS_OFF:
        # what pydantic's factory below builds when there are no plugins, without importing
        # its plugin loader (and importlib.metadata, ~10 ms): the CLI's validate sets this
        # (cli/main.py entry), a library host may too.
        return pydantic_core.SchemaValidator(schema, core_config)
    # pydantic's own factory (as pydantic's build calls it), so installed pydantic plugins
    # wrap this validator exactly as they wrap the one pydantic builds.
    from pydantic.plugin._schema_validator import create_schema_validator

    return create_schema_validator(schema, Config, Config.__module__, Config.__qualname__,
                                   "BaseModel", core_config,
                                   Config.model_config.get("plugin_settings"))


class _LitePickler(pickle.Pickler):
    """The schema with every model class as ``("model", name, reported)``, every function
    as ``("function", name)`` and every other method of a model as ``("unused", name)``:
    what :mod:`._fast_validate` loads without pydantic."""

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, type) and issubclass(obj, pydantic.BaseModel):
            reported = (obj.model_config.get("extra") == "allow"
                        and obj.__name__ not in models.NOT_REPORTED_EXTRAS)
            return ("model", obj.__name__, reported)
        func = getattr(obj, "__func__", obj)  # Config's wrap validator is a bound classmethod
        if func is getattr(Config._commands_shadow_builtins, "__func__", None):
            return ("function", "_commands_shadow_builtins")
        if func is getattr(models.MultiKeyStep._several_key_step, "__func__", None):
            return ("function", "_several_key_step")
        if callable(obj) and getattr(obj, "__module__", None) == _discriminators.__name__:
            return ("function", obj.__name__)
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, type) and issubclass(owner, pydantic.BaseModel):
            # pydantic's JSON-schema hooks in the schema's metadata, which validation never
            # calls: loaded as None (and a schema that did call one would not build, and
            # the quick validation would step aside)
            return ("unused", obj.__name__)
        return None


def _write_lite(schema: Any, core_config: Any) -> None:
    """The schema for the CLI's quick validation, if it is not stored yet (or is another's)."""
    material = key_material()
    if material is None:
        return
    if read_lite_schema(material) is not None:
        return  # stored already
    names = [m.__name__ for m in vars(models).values()
             if isinstance(m, type) and issubclass(m, pydantic.BaseModel)]
    if len(names) != len(set(names)):  # the stand-ins are found by name
        return
    import io

    buf = io.BytesIO()
    try:
        _LitePickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(
            (material, schema, core_config))
    except (pickle.PicklingError, TypeError, AttributeError):
        return
    _write_bytes(Path(lite_schema_file(material)), buf.getvalue())


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
            _write_lite(*cached)
            return validator
    Config.model_rebuild()
    from pydantic._internal._config import ConfigWrapper

    core_config = ConfigWrapper(Config.model_config, check=False).core_config(
        title=Config.__name__)
    if path is not None:
        _write(path, Config.__pydantic_core_schema__, core_config)
    _write_lite(Config.__pydantic_core_schema__, core_config)
    return Config.__pydantic_validator__
