"""Inputs that made the code hang or crash, found while writing docs/security.md (issue 10:
every expansion bounded, never a hang, never a traceback). The slow cases run in a child
process with a timeout, so a regression fails instead of hanging the suite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from tests.runtime._jobenv import Env

from workflowcore.config import load
from workflowcore.runtime._process import stop_orphan_group
from workflowcore.runtime.steps import file_checksum
from workflowcore.runtime.stores import FileSystemCacheStore
from workflowcore.runtime.stores._glob import match_segment

SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.fixture(autouse=True)
def _alarm() -> Iterator[None]:
    """A hang in-process (a read of /dev/zero, an open of a FIFO) fails after 30 s."""
    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError("the call did not return within 30 s")
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(30)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _quick(code: str, *args: str, timeout: float = 10) -> str:
    env = dict(os.environ, PYTHONPATH=SRC)
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=timeout, check=True, env=env)
    return done.stdout.strip()


def test_a_number_of_thousands_of_digits_is_a_diagnostic_not_a_traceback() -> None:
    config = ("version: 2.1\njobs:\n  b: {docker: [{image: x}], steps: [checkout]}\n"
              "workflows:\n  w:\n    when:\n      equal: [1, << pipeline.parameters.n >>]\n"
              "    jobs: [b]\nparameters:\n  n: {type: integer, default: 1}\n")
    r = load(config.replace("[1, ", "[" + "9" * 5000 + ", "))
    assert r.data is not None  # loaded; the huge number is data, not a crash
    from workflowcore.expr import ExprError, parse_expression
    with pytest.raises(ExprError, match="Invalid numeric literal"):
        parse_expression("9" * 5000 + " == 1")


def test_a_template_name_with_many_dots_is_checked_in_linear_time() -> None:
    code = ("import sys; from workflowcore.config import load; "
            "r = load(sys.argv[1]); print(len(r.diagnostics) > 0)")
    name = ".".join(["a"] * 40) + " @"
    config = ("version: 2.1\njobs:\n  b:\n    docker: [{image: x}]\n"
              f"    steps: [{{run: 'echo << {name} >>'}}]\n"
              "workflows:\n  w: {jobs: [b]}\n")
    assert _quick(code, config) == "True"


def test_a_long_binary_looking_scalar_resolves_in_linear_time() -> None:
    code = ("import sys; from workflowcore.config._yaml import parse_yaml; "
            "r = parse_yaml('k: ' + sys.argv[1] + '\\n', 'x'); print(type(r.data['k']).__name__)")
    assert _quick(code, "0b" + "1" * 40_000 + "z") == "str"
    assert _quick(code, "0x" + "f" * 40_000 + "g") == "str"
    assert _quick(code, "0b1_0") == "int"


def test_go_glob_matching_never_backtracks_exponentially() -> None:
    code = ("import sys; from workflowcore.runtime.stores._glob import match_segment; "
            "print(match_segment(sys.argv[1], sys.argv[2]))")
    assert _quick(code, "*a*a*a*a*a*b", "a" * 200) == "False"
    assert _quick(code, "*a*a*a*a*a*b", "a" * 200 + "b") == "True"


@pytest.mark.parametrize(("pattern", "name", "expected"), [
    ("*", ".hidden", True), ("a*b", "axxb", True), ("a*b", "axxc", False),
    ("[a-c]?d", "bzd", True), ("[^a]x", "ax", False), ("[^a]x", "bx", True),
    ("*.py", "x.py", True), ("\\*", "*", True), ("\\*", "a", False), ("a**", "a", True),
    ("?", "", False), ("*x*", "ax", True), ("[!a]x", "!x", True), ("*[0-9]", "v10", True),
])
def test_go_glob_semantics_are_kept(pattern: str, name: str, expected: bool) -> None:
    assert match_segment(pattern, name) is expected


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_a_checksum_of_a_device_or_fifo_is_refused_without_blocking(
        tmp_path: Path, special: str) -> None:
    path = Path(special)
    if special == "fifo":
        path = tmp_path / "fifo"
        os.mkfifo(path)
    with pytest.raises(OSError, match="not a regular file"):
        file_checksum(path)


def test_a_checksum_in_a_cache_key_of_a_fifo_fails_the_step_with_a_message(
        tmp_path: Path) -> None:
    env = Env(tmp_path)
    result = env.run("c", [{"run": "mkfifo lock.fifo"},
                           {"save_cache": {"key": 'k-{{ checksum "lock.fifo" }}',
                                           "paths": ["."]}}])
    text = "\n".join(env.lines)
    assert "Traceback" not in text
    assert "lock.fifo: is a fifo (named pipe), not a regular file" in text.lower()
    assert result.status == "success"  # a key that cannot be rendered skips the save


def test_a_cache_key_that_is_not_utf8_has_a_directory(tmp_path: Path) -> None:
    store = FileSystemCacheStore(tmp_path)
    assert store._dir("deps-m\udcff") != store._dir("deps-m")
    assert not store.exists("deps-m\udcff")


@pytest.mark.parametrize("pgid", [0, 1, -5])
def test_a_recorded_group_id_that_cannot_be_a_jobs_is_never_signalled(pgid: int) -> None:
    assert stop_orphan_group(pgid, "-", grace=0.1, wait=0.1) is True


def test_our_own_process_group_is_never_signalled() -> None:
    assert stop_orphan_group(os.getpgrp(), "-", grace=0.1, wait=0.1) is True  # still here


def test_one_finding_is_listed_at_most_max_same_finding_times() -> None:
    from workflowcore.config.compile._diag import MAX_SAME_FINDING
    steps = "".join(f"      - run: echo {i} << parameters.x >>\n" for i in range(150))
    config = ("version: 2.1\njobs:\n  b:\n    docker: [{image: x}]\n    steps:\n" + steps
              + "workflows:\n  w: {jobs: [b]}\n")
    r = load(config)
    same = [d for d in r.diagnostics if d.code == "param-undeclared"]
    assert len(same) == MAX_SAME_FINDING + 1
    assert "and in 50 more places not listed (the first 100 are)" in same[-1].message
    assert [d.line for d in same[:3]] == [6, 7, 8]
