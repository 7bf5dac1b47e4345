"""``Record``: the base of the small mutable classes that ``workflowcore validate`` imports.

Why not dataclasses: a cold ``validate`` is a new process per call (pre-commit, an editor's
save hook), and ``dataclasses`` costs it ~18 ms: ~7 ms to import (it imports ``inspect``,
with ``ast``, ``dis`` and ``tokenize``) and ~0.45 ms per class, since every class's
``__init__``, ``__repr__`` and ``__eq__`` are generated as source text and compiled
(docs/dev/cold-start.md). The classes on that path are therefore ``typing.NamedTuple``
where they are immutable values, and ``Record`` subclasses with ``__slots__`` and a plain
``__init__`` where they are mutable. ``Record`` gives them what the dataclass did besides
``__init__``: a ``repr`` and an ``==`` over their fields. The rest of the package, which
validate never imports, keeps using dataclasses.
"""

from __future__ import annotations

import reprlib
from typing import Iterator

__all__ = ["Record"]


class Record:
    """Fields are the ``__slots__`` of the class and of its ``Record`` bases, in order."""

    __slots__ = ()

    def _fields(self) -> Iterator[str]:
        for klass in reversed(type(self).__mro__):
            yield from klass.__dict__.get("__slots__", ())

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name, None)!r}" for name in self._fields())
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n, None) == getattr(other, n, None) for n in self._fields())

    __hash__ = None  # type: ignore[assignment]  # mutable, as an eq=True dataclass

