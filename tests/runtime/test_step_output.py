"""What a job's output tells its reader (issue 12): errors name the shell, not the job's
script file; the built-in steps say what they did, in grammatical lines."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from tests.runtime._jobenv import Env

from workflowcore.runtime.steps._engine import MAX_INLINE_SCRIPT

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX shells")


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def test_a_missing_command_is_reported_by_the_shell_not_the_script_file(env: Env) -> None:
    result = env.run("build", [{"run": "nosuchcommand"}])
    assert result.status == "failed"
    assert "line 1: nosuchcommand: command not found" in result.log or \
        "line 1: nosuchcommand: not found" in result.log  # dash words it so
    assert "/steps/step-" not in result.log
    [first] = [line for line in result.log.splitlines() if "nosuchcommand:" in line]
    assert first.startswith(("/bin/bash: ", "/bin/sh: ")), first  # CircleCI's prefix


def test_dollar_zero_and_line_numbers_are_the_shells(env: Env) -> None:
    result = env.run("build", [{"run": "echo \"$0\"\ntrue\necho \"at $LINENO\""}],
                     definition={"shell": "/bin/bash -eo pipefail"}) \
        if os.path.exists("/bin/bash") else None
    if result is None:
        pytest.skip("needs /bin/bash")
    assert result.ok, result.log
    assert result.steps[0].output.splitlines() == ["/bin/bash", "at 3"]


def test_a_script_too_long_for_one_argument_runs_from_its_file(env: Env) -> None:
    filler = "# " + "x" * 200 + "\n"
    script = filler * (MAX_INLINE_SCRIPT // len(filler) + 10) + 'echo "$0"\n'
    assert len(script.encode()) > MAX_INLINE_SCRIPT
    result = env.run("big", [{"run": {"name": "big", "command": script}}],
                     definition={"shell": "/bin/sh -e"})
    assert result.ok, result.log
    assert result.steps[0].output.endswith("/steps/step-000")  # ran as a file, still works


def test_a_non_posix_shell_still_gets_the_script_file(env: Env) -> None:
    python = shutil.which("python3")
    if python is None:
        pytest.skip("needs python3")
    result = env.run("py", [{"run": {"shell": python,
                                     "command": "import sys\nprint(sys.argv[0][-14:])"}}])
    assert result.ok, result.log
    assert result.steps[0].output == "steps/step-000"


def test_builtin_steps_say_what_they_did(env: Env) -> None:
    produced = env.run("build", [
        {"run": "mkdir -p dist deps && echo a > dist/a && echo d > deps/d"},
        {"persist_to_workspace": {"root": ".", "paths": ["dist"]}},
        {"save_cache": {"key": "deps-v1", "paths": ["deps"]}},
        {"save_cache": {"key": "deps-v1", "paths": ["deps"]}},
        {"store_artifacts": {"path": "dist"}},
    ])
    assert produced.ok, produced.log
    lines = produced.log.splitlines()
    assert "persisted 1 path to the workspace" in lines
    assert "saved cache deps-v1 (1 path)" in lines
    assert "Skipping cache generation, cache already exists for key: deps-v1" in lines
    assert "stored 1 artifact" in lines
    assert not any("(s)" in line for line in lines)

    consumed = env.run("test", [
        {"attach_workspace": {"at": "ws"}},
        {"restore_cache": {"keys": ["deps-v1"]}},
        {"run": "cat ws/dist/a ~/project/deps/d"},
    ], upstream_jobs=("build",))
    assert consumed.ok, consumed.log
    lines = consumed.log.splitlines()
    assert "attached 1 workspace layer" in lines
    assert "restored cache deps-v1" in lines
    assert consumed.steps[2].output == "a\nd"
    # the success line is the step's note too (what `status`/JSON consumers read)
    assert consumed.steps[1].note == "restored cache deps-v1"


def test_test_result_counts_are_grammatical(env: Env) -> None:
    xml = ('<testsuite tests="1" failures="0" errors="0" skipped="0">'
           '<testcase classname="a" name="b" time="0.1"/></testsuite>')
    result = env.run("t", [
        {"run": f"mkdir -p results && echo '{xml}' > results/one.xml"},
        {"store_test_results": {"path": "results"}},
    ])
    assert result.ok, result.log
    assert "1 test, 0 failures, 0 errors, 0 skipped (1 file)" in result.log.splitlines()
