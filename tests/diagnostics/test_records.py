"""The record classes of the validate path (named tuples and ``workflowcore._record.Record``
instead of dataclasses, for the cold start: docs/dev/cold-start.md) behave as the
dataclasses did where it matters: construction, defaults, equality, immutability, copies."""

from __future__ import annotations

import pickle

import pytest

from workflowcore import Diagnostic, Severity
from workflowcore._record import Record
from workflowcore.config import LoadResult, load
from workflowcore.config.checks.base import Context, Invocation
from workflowcore.config.compile import CompileResult
from workflowcore.config.compile._diag import Source
from workflowcore.config.compile._orbs import Namespace


def test_a_diagnostic_gets_its_defaults_and_a_one_character_span() -> None:
    d = Diagnostic("requires-unknown", "no such job", line=3, column=5)
    assert (d.severity, d.path, d.hint, d.related) == (Severity.ERROR, "<string>", None, ())
    assert (d.end_line, d.end_column) == (3, 6)
    assert Diagnostic("c", "m", line=2, column=4, end_line=2, end_column=9).end_column == 9


def test_a_diagnostic_is_immutable_hashable_and_compared_by_value() -> None:
    d = Diagnostic("c", "m", line=1, column=1)
    with pytest.raises(AttributeError):
        d.message = "x"  # type: ignore[misc]
    assert d == Diagnostic("c", "m") and hash(d) == hash(Diagnostic("c", "m"))
    assert d != Diagnostic("c", "m", severity=Severity.WARNING)
    assert repr(d).startswith("Diagnostic(code='c', message='m', severity=")


def test_replace_makes_a_changed_copy_and_normalises_the_end_again() -> None:
    d = Diagnostic("c", "m", line=1, column=1, end_line=1, end_column=4)
    moved = d.replace(line=7, column=2, end_line=0, end_column=0)
    assert (moved.line, moved.column, moved.end_line, moved.end_column) == (7, 2, 7, 3)
    assert d.line == 1  # the original is unchanged
    assert d._replace(hint="h") == d.replace(hint="h")
    assert d.replace(hint="h").hint == "h"


def test_a_diagnostic_survives_pickling_for_other_processes() -> None:
    d = Diagnostic("c", "m", Severity.INFO, "p.yml", 2, 3, 2, 8, "h", ("x",))
    assert pickle.loads(pickle.dumps(d)) == d


class _Pair(Record):
    __slots__ = ("a", "b")

    def __init__(self, a: object, b: object) -> None:
        self.a = a
        self.b = b


def test_a_record_compares_and_shows_its_fields_in_order() -> None:
    assert _Pair(1, [2]) == _Pair(1, [2])
    assert _Pair(1, 2) != _Pair(1, 3)
    assert _Pair(1, 2) != (1, 2)
    assert repr(_Pair(1, "x")) == "_Pair(a=1, b='x')"
    with pytest.raises(TypeError):
        hash(_Pair(1, 2))  # mutable, as an eq dataclass
    with pytest.raises(AttributeError):
        _Pair(1, 2).c = 3  # type: ignore[attr-defined]


def test_a_record_that_refers_to_itself_still_has_a_repr() -> None:
    root = Namespace("", "config", Source(None, "c.yml", True))
    child = Namespace("x", "inline", root.source, parent=root)
    root.orbs["x"] = child
    assert "parent=..." in repr(child) or "..." in repr(root)


def test_the_public_results_keep_their_constructors_and_fresh_containers() -> None:
    a, b = CompileResult(None), CompileResult(None)
    a.diagnostics.append(Diagnostic("c", "m"))
    assert b.diagnostics == [] and not b.ok
    result = load("version: 2.1\njobs: {}\n")
    assert isinstance(result, LoadResult) and result.data == {"version": 2.1, "jobs": {}}
    assert "LoadResult(config=" in repr(result)
    ctx = Context({}, result.source_map, "2.1")
    assert ctx.diagnostics == [] and ctx.used_jobs == frozenset()
    inv = Invocation("w", 0, "build", "build", {}, ("workflows", "w", "jobs", 0))
    assert inv.ref_loc == ("workflows", "w", "jobs", 0) and not inv.has_map
