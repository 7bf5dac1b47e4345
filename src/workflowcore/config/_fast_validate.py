"""Validate a config against Config's schema with pydantic-core alone, for the CLI's
``validate`` (``load(..., models=False)``).

Why: pydantic and the ~70 model classes of :mod:`.models` are ~70 ms of a cold
``workflowcore validate`` of a small config, and validate never looks at the models when the
config is valid: it only needs to know *that* it is valid. pydantic-core validates from the
core schema alone; the schema refers to the model classes (pydantic-core makes an instance of
each, and needs nothing of the class but that) and to the functions of
:mod:`._discriminators` (pydantic-free). So the schema is cached a second time, with each
model class replaced by its name, and loaded here with a plain stand-in class per name.

The answer is yes or "ask the models": a config that fails, or that holds a key
:func:`.models.ignored_keys` would report (extra keys of the models whose extras it lists:
docker images, step arguments, several-key steps), goes the full way, through pydantic and
the real models, which word the diagnostics. The result is the same either way; only a valid
config without such keys skips pydantic.

The file is written by :mod:`._validator_cache` (which has the models) beside the pydantic
schema, under the same rules: kept in ``$XDG_CACHE_HOME/workflowcore``, loaded only if owned
by this user and writable by no one else, and it holds the exact sources and versions it was
built from (compared on loading: a stale schema is never used). Its unpickler resolves no
global name at all: model classes and functions come in as names from a fixed table.
"""

from __future__ import annotations

import os
import stat
import sys
import zlib
from importlib.machinery import PathFinder
from typing import IO, Any, Callable, Dict, List, Optional, Tuple, TypeVar, Union

from .._paths import cache_dir, cache_path

try:  # the C unpickler itself: pickle.py around it is ~1 ms of a cold start to import
    from _pickle import Unpickler, UnpicklingError
except ImportError:  # pragma: no cover - an interpreter without the C accelerator
    from pickle import Unpickler, UnpicklingError
from . import _discriminators
from ._core_module import pydantic_core_module

__all__ = ["SCHEMA_FUNCTIONS", "cache_dir", "key_material", "lite_schema_file",
           "read_lite_schema", "read_trusted", "trusted", "validates_quietly"]

_T = TypeVar("_T")

#: changes when what the file holds changes
_FORMAT = "1"

#: The functions a schema may call, by the name the stored schema gives them.
SCHEMA_FUNCTIONS: Dict[str, Callable[..., Any]] = {
    f.__name__: f for f in (
        _discriminators._commands_shadow_builtins, _discriminators._filters_kind,
        _discriminators._kind_or_template, _discriminators._logic_kind,
        _discriminators._machine_kind, _discriminators._requirement_kind,
        _discriminators._several_key_step,
        _discriminators._step_tag, _discriminators._steps_body_kind,
        _discriminators._str_or_map, _discriminators._workflow_job_kind)}


def trusted(fd: int) -> bool:
    """Owned by this user and writable by no one else (POSIX); elsewhere, trusted."""
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        return False
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        return True
    return st.st_uid == getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read_trusted(path: Union[str, os.PathLike[str]],
                 load: Callable[[IO[bytes]], _T]) -> Optional[_T]:
    """``load(file)`` of the cache file ``path`` if it is :func:`trusted` (never through a
    link); ``None`` when it is missing, not trusted, or ``load`` fails on it (a damaged or
    foreign file: the caller builds the value the full way and rewrites it)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        if not trusted(f.fileno()):
            return None
        try:
            return load(f)
        except Exception:
            return None


def key_material() -> Optional[bytes]:
    """What the schema is made from: the sources of the models and of what they call, and
    the versions of pydantic (its ``version.py``, read without importing pydantic),
    pydantic-core and Python. ``None``: one of them cannot be read, nothing is cached."""
    here = os.path.dirname(__file__)
    try:
        spec = PathFinder.find_spec("pydantic")
        if spec is None:  # installed through another finder (importlib.util is ~3 ms)
            import importlib.util

            spec = importlib.util.find_spec("pydantic")
        if spec is None or spec.origin is None:
            return None
        parts = [_read_bytes(os.path.join(here, name))
                 for name in ("models.py", "_discriminators.py", "_vocabulary.py")]
        parts.append(_read_bytes(os.path.join(os.path.dirname(spec.origin), "version.py")))
    except (OSError, ValueError, TypeError):
        return None
    version = pydantic_core_module().__version__
    parts += [x.encode() for x in (_FORMAT, version, sys.version)]
    return b"\0\0".join(parts)


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def lite_schema_file(material: bytes) -> str:
    """The file for ``material``; its name tells versions apart cheaply (CRC-32: hashlib
    costs ~3 ms to import), the material stored inside decides."""
    crc = zlib.crc32(material)
    return os.path.join(cache_path(), f"pydantic-core-schema-{crc:08x}-{len(material):x}.pickle")


class _Node:
    """A stand-in for one model class: pydantic-core fills ``__dict__`` with the fields and
    ``__pydantic_extra__`` with the extra keys, as it does for a model."""

    __slots__ = (
        "__dict__",
        "__pydantic_extra__",
        "__pydantic_fields_set__",
        "__pydantic_private__",
    )
    #: ``ignored_keys`` may list this model's extra keys
    reported: bool = False


class _Unpickler(Unpickler):
    """Resolves model classes and schema functions by name only, never a global."""

    def __init__(self, file: IO[bytes]) -> None:
        super().__init__(file)
        self.classes: Dict[str, type] = {}

    def persistent_load(self, pid: Any) -> Any:
        if isinstance(pid, tuple) and len(pid) == 3 and pid[0] == "model":
            _, name, reported = pid
            cls = self.classes.get(name)
            if cls is None:
                cls = type(str(name), (_Node,), {"__slots__": (), "reported": bool(reported),
                                                 "__module__": __name__})
                self.classes[name] = cls
            return cls
        if isinstance(pid, tuple) and len(pid) == 2 and pid[0] == "function" \
                and pid[1] in SCHEMA_FUNCTIONS:
            return SCHEMA_FUNCTIONS[pid[1]]
        if isinstance(pid, tuple) and len(pid) == 2 and pid[0] == "unused":
            return None  # a JSON-schema hook of pydantic's, in metadata validation ignores
        raise UnpicklingError(f"not part of a schema: {pid!r}")

    def find_class(self, module: str, name: str) -> Any:
        raise UnpicklingError(f"not part of a schema: {module}.{name}")


_validator: Any = None
_tried = False


def read_lite_schema(material: bytes) -> Optional[Tuple[Any, Any]]:
    """The stored schema and core config made from ``material``, or ``None``."""
    loaded = read_trusted(lite_schema_file(material), lambda f: _Unpickler(f).load())
    if loaded is None:
        return None
    try:
        stored, schema, core_config = loaded
    except (TypeError, ValueError):  # not what this module writes
        return None
    if stored != material:
        return None
    return schema, core_config


def _load_validator() -> Any:
    SchemaValidator = pydantic_core_module().SchemaValidator
    material = key_material()
    stored = read_lite_schema(material) if material is not None else None
    if stored is None:
        return None
    try:
        return SchemaValidator(*stored)
    except Exception:  # not a schema this pydantic-core takes: the full way
        return None


def _has_reported_extras(value: Any) -> bool:
    stack: List[Any] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, _Node):
            extra = getattr(node, "__pydantic_extra__", None)
            if extra:
                if type(node).reported:
                    return True
                stack.extend(extra.values())
            stack.extend(node.__dict__.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
    return False


def validates_quietly(data: Any) -> bool:
    """True: ``data`` fits Config's schema and holds no key ``ignored_keys`` would list,
    so the schema has nothing to say about it. False: ask pydantic and the models (it does
    not fit, it may hold such a key, or there is no cached schema to tell)."""
    global _validator, _tried
    if not _tried:
        _tried = True
        _validator = _load_validator()
    if _validator is None:
        return False
    ValidationError = pydantic_core_module().ValidationError
    try:
        result = _validator.validate_python(data)
    except ValidationError:
        return False
    return not _has_reported_extras(result)

