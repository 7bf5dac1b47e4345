"""``load()`` and the host's garbage collector (issue 13): paused during a load by default,
always restored (also when the load raises), never switched on for a host that turned it
off, and left alone entirely with ``gc_pause=False``."""

from __future__ import annotations

import gc
from typing import Iterator, List

import pytest

from workflowcore import load
from workflowcore._gc import gc_paused
from workflowcore.config.checks.base import Check, Context

CONFIG = "version: 2.1\njobs:\n  build:\n    docker: [{image: python:3}]\n    steps: [checkout]\n"


class _Boom(Exception):
    pass


class _Raises(Check):
    """A check that fails: a bug in a check (or a KeyboardInterrupt) mid-load."""

    def visit_config(self, ctx: Context) -> None:
        raise _Boom("a check failed")


class _SeesGc(Check):
    """Records whether the collector is on while the checks run, inside the load."""

    def __init__(self) -> None:
        self.seen: List[bool] = []

    def visit_config(self, ctx: Context) -> None:
        self.seen.append(gc.isenabled())


@pytest.fixture
def gc_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.fixture
def gc_off() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    yield
    if was:
        gc.enable()


@pytest.mark.usefixtures("gc_on")
def test_a_load_pauses_the_collector_and_switches_it_back_on() -> None:
    seen = _SeesGc()
    result = load(CONFIG, "c.yml", checks=[seen])
    assert result.ok, result.diagnostics
    assert seen.seen == [False]
    assert gc.isenabled()


@pytest.mark.usefixtures("gc_on")
def test_a_load_that_raises_leaves_the_collector_on() -> None:
    with pytest.raises(_Boom):
        load(CONFIG, "c.yml", checks=[_Raises()])
    assert gc.isenabled()


@pytest.mark.usefixtures("gc_off")
def test_a_host_that_switched_the_collector_off_keeps_it_off() -> None:
    assert load(CONFIG, "c.yml").ok
    assert not gc.isenabled()
    with pytest.raises(_Boom):
        load(CONFIG, "c.yml", checks=[_Raises()])
    assert not gc.isenabled()


@pytest.mark.usefixtures("gc_on")
def test_gc_pause_false_leaves_the_collector_alone() -> None:
    seen = _SeesGc()
    assert load(CONFIG, "c.yml", checks=[seen], gc_pause=False).ok
    assert seen.seen == [True]
    assert gc.isenabled()


@pytest.mark.usefixtures("gc_on")
def test_gc_pause_false_also_holds_for_what_the_load_calls() -> None:
    """The 2.1 lint compile inside a load pauses the collector through the same switch,
    so a host's ``gc_pause=False`` reaches it too."""
    with gc_paused(False), gc_paused():  # what compile_config does
        assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
